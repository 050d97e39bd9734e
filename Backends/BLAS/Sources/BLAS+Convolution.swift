import MinoCore
import MinoCPU

/// `conv2d` as im2col plus gemm: per group and block of samples, the patches
/// of the input are copied into a column buffer `[K nb·L]` (`K = C/g·kh·kw`,
/// `L = Ho·Wo`, the block's samples side by side) and one gemm
/// `W_g [O/g K] · cols` gives the block's outputs, which are copied into
/// `[N O L]` with the bias. The buffers come from the shared buffer cache, so
/// after warm-up a call allocates only its output.
enum BLASConvolution {
    /// Column-buffer elements a batch block may use (16 MB of float32): enough to put a
    /// LeNet-sized batch in one gemm, bounded for large images.
    static let blockElements = 1 << 22

    static func conv2d<T: BLASFloat>(_ inputs: [Operand], _ window: Window, _: T.Type) throws -> CPUStorage? {
        guard inputs.count == 3 else { return nil }
        var w = window
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let weight = CPUTransfer.contiguous(try inputs[1].cpu())
        let bias = try inputs[2].cpu()
        let g = try Ops.conv2dGeometry("conv2d", x.shape, weight.shape, bias.shape, &w)
        let out = CPUStorage(uninitialized: [g.batch, g.outChannels, g.outHeight, g.outWidth], dtype: x.dtype)
        if out.shape.elementCount == 0 { return out }
        let (n, c, h, wd) = (g.batch, g.channels, g.height, g.width)
        let (groups, k, l) = (g.groups, g.columnRows, g.columnCount)
        let og = g.outChannels / groups
        let po = out.pointer(T.self)
        let pb = bias.pointer(T.self), sb = bias.strides.first ?? 1
        guard k > 0 else {
            for s in 0..<n {
                for o in 0..<g.outChannels {
                    let v = pb[o * sb], row = po + (s * g.outChannels + o) * l
                    for i in 0..<l { row[i] = v }
                }
            }
            return out
        }
        // Samples per gemm: the columns of a block of samples side by side, [K, nb·L].
        let nb = Swift.max(1, Swift.min(n, blockElements / Swift.max(k * l, 1)))
        let width = nb * l
        let (m32, k32) = (try BLASMatMul.int32(og, "dimension"), try BLASMatMul.int32(k, "dimension"))
        let px = x.pointer(T.self), pw = weight.pointer(T.self)
        let cg = c / groups
        let (kh, kw) = (g.kernelHeight, g.kernelWidth)
        let (sh, sw, ph, pwd, dh, dw) = (g.strideHeight, g.strideWidth, g.padHeight, g.padWidth,
                                         g.dilationHeight, g.dilationWidth)
        let (ho, wo) = (g.outHeight, g.outWidth)
        let (colBlock, colSize) = CPUBufferCache.shared.take(k * width * MemoryLayout<T>.stride)
        let (productBlock, productSize) = CPUBufferCache.shared.take(og * width * MemoryLayout<T>.stride)
        defer {
            CPUBufferCache.shared.give(colBlock, size: colSize)
            CPUBufferCache.shared.give(productBlock, size: productSize)
        }
        let cols = colBlock.assumingMemoryBound(to: T.self)
        let product = productBlock.assumingMemoryBound(to: T.self)
        for gi in 0..<groups {
            var s0 = 0
            while s0 < n {
                let count = Swift.min(nb, n - s0)
                let ld = count * l
                for s in s0..<(s0 + count) {
                    let image = px + (s * c + gi * cg) * h * wd
                    let column0 = (s - s0) * l
                    // cols[(ci·kh + i)·kw + j][sample·L + y·wo + x] =
                    //   input[ci][y·sh − ph + i·dh][x·sw − pw + j·dw], 0 outside.
                    var r = 0
                    for ci in 0..<cg {
                        let plane = image + ci * h * wd
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let dst = cols + r * ld + column0
                                for y in 0..<ho {
                                    let iy = y * sh - ph + i * dh
                                    let line = dst + y * wo
                                    guard iy >= 0, iy < h else {
                                        for xx in 0..<wo { line[xx] = 0 }
                                        continue
                                    }
                                    let src = plane + iy * wd
                                    // ix = xx·sw + x0 lies in the row for lo ≤ xx < hi; zeros either side.
                                    let x0 = j * dw - pwd
                                    let lo = Swift.min(x0 >= 0 ? 0 : (-x0 + sw - 1) / sw, wo)
                                    let hi = Swift.max(Swift.min(wo, x0 > wd - 1 ? 0 : (wd - 1 - x0) / sw + 1), lo)
                                    for xx in 0..<lo { line[xx] = 0 }
                                    if sw == 1 {
                                        (line + lo).update(from: src + lo + x0, count: hi - lo)
                                    } else {
                                        for xx in lo..<hi { line[xx] = src[xx * sw + x0] }
                                    }
                                    for xx in hi..<wo { line[xx] = 0 }
                                }
                                r += 1
                            }
                        }
                    }
                }
                // One gemm for the block: W_g [O/g K] · cols [K count·L] → product [O/g count·L].
                let n32 = try BLASMatMul.int32(ld, "dimension")
                T.gemm(transA: false, transB: false, m: m32, n: n32, k: k32, alpha: 1, a: pw + gi * og * k, lda: k32,
                       b: cols, ldb: n32, beta: 0, c: product, ldc: n32)
                // Each sample's rows to [N O L], plus the bias.
                for s in s0..<(s0 + count) {
                    for o in 0..<og {
                        let channel = gi * og + o
                        let v = pb[channel * sb]
                        let src = product + o * ld + (s - s0) * l
                        let dst = po + (s * g.outChannels + channel) * l
                        for i in 0..<l { dst[i] = src[i] + v }
                    }
                }
                s0 += count
            }
        }
        return out
    }
}
