import MinoCore
import MinoCPU

/// `conv2d` as im2col plus gemm: per sample and group, the patches of the
/// input are copied into a column buffer `[K L]` (`K = C/g·kh·kw`, `L = Ho·Wo`)
/// and one gemm `W_g [O/g K] · cols [K L]` adds into the output rows, which
/// hold the bias first (beta = 1). The column buffer comes from the shared
/// buffer cache, so after warm-up a call allocates only its output.
enum BLASConvolution {
    static func conv2d<T: BLASFloat>(_ inputs: [Operand], _ window: Window, _: T.Type) throws -> CPUStorage? {
        guard inputs.count == 3 else { return nil }
        var w = window
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let weight = CPUTransfer.contiguous(try inputs[1].cpu())
        let bias = try inputs[2].cpu()
        let g = try Ops.conv2dGeometry("conv2d", x.shape, weight.shape, bias.shape, &w)
        let out = CPUStorage(uninitialized: [g.batch, g.outChannels, g.outHeight, g.outWidth], dtype: x.dtype)
        let (n, c, h, wd) = (g.batch, g.channels, g.height, g.width)
        let (groups, k, l) = (g.groups, g.columnRows, g.columnCount)
        let og = g.outChannels / groups
        let po = out.pointer(T.self)
        let pb = bias.pointer(T.self), sb = bias.strides.first ?? 1
        if out.shape.elementCount == 0 { return out }
        // The bias, broadcast over every output position.
        for s in 0..<n {
            for o in 0..<g.outChannels {
                let v = pb[o * sb]
                let row = po + (s * g.outChannels + o) * l
                for i in 0..<l { row[i] = v }
            }
        }
        guard k > 0 else { return out }
        let (m32, n32, k32) = (try BLASMatMul.int32(og, "dimension"), try BLASMatMul.int32(l, "dimension"),
                               try BLASMatMul.int32(k, "dimension"))
        let px = x.pointer(T.self), pw = weight.pointer(T.self)
        let cg = c / groups
        let (kh, kw) = (g.kernelHeight, g.kernelWidth)
        let (sh, sw, ph, pwd, dh, dw) = (g.strideHeight, g.strideWidth, g.padHeight, g.padWidth,
                                         g.dilationHeight, g.dilationWidth)
        let (ho, wo) = (g.outHeight, g.outWidth)
        // A 1×1 kernel with stride 1 and no padding reads the input as it is.
        let direct = kh == 1 && kw == 1 && sh == 1 && sw == 1 && ph == 0 && pwd == 0
        let bytes = k * l * MemoryLayout<T>.stride
        let (block, size) = CPUBufferCache.shared.take(direct ? 0 : bytes)
        defer { CPUBufferCache.shared.give(block, size: size) }
        let cols = block.assumingMemoryBound(to: T.self)
        for s in 0..<n {
            for gi in 0..<groups {
                let image = px + (s * c + gi * cg) * h * wd
                if !direct {
                    // cols[(ci·kh + i)·kw + j][y·wo + x] = input[ci][y·sh − ph + i·dh][x·sw − pw + j·dw], 0 outside.
                    var r = 0
                    for ci in 0..<cg {
                        let plane = image + ci * h * wd
                        for i in 0..<kh {
                            for j in 0..<kw {
                                let dst = cols + r * l
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
                T.gemm(transA: false, transB: false, m: m32, n: n32, k: k32, alpha: 1,
                       a: pw + gi * og * k, lda: k32, b: direct ? UnsafePointer(image) : UnsafePointer(cols), ldb: n32,
                       beta: 1, c: po + (s * g.outChannels + gi * og) * l, ldc: n32)
            }
        }
        return out
    }
}
