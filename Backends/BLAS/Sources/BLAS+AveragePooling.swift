import MinoCore
import MinoCPU

/// Average pooling as direct loops over each `[H W]` plane, with the semantics of the
/// composites they replace: `avgPool2d` is the mean of each `kh × kw` window with zero
/// padding counted (PyTorch's `count_include_pad=True`), `adaptiveAvgPool2d` the mean of
/// PyTorch's adaptive windows, rows `⌊i·H/Ho⌋ ..< ⌈(i+1)·H/Ho⌉` (columns alike).
///
/// A window sum is separable: for each output row the input rows of its windows are added
/// into one row buffer (contiguous adds, which vectorise), then each output adds its
/// window's columns of that buffer and scales by 1/count. The buffer is the only scratch,
/// taken from ``CPUBufferCache`` (no allocation per call besides the output).
enum BLASAveragePooling {
    /// `[N C Ho Wo]`: the mean of each window, zero padding counted.
    static func avgPool2d<T: BLASFloat>(_ inputs: [Operand], _ window: Window, _: T.Type) throws -> CPUStorage? {
        var w = window
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let g = try Ops.poolGeometry("avgPool2d", x.shape, &w)
        let out = CPUStorage(uninitialized: [g.batch, g.channels, g.outHeight, g.outWidth], dtype: x.dtype)
        let planes = g.batch * g.channels
        if planes == 0 || g.columnCount == 0 { return out }
        // As `mean` scales the columns' sum: by 1/(kh·kw), padded positions adding zero.
        let scale = T(1 / Double(g.kernelHeight * g.kernelWidth))
        uniformWindows(x.pointer(T.self), planes: planes, height: g.height, width: g.width,
                       kernel: (g.kernelHeight, g.kernelWidth), stride: (g.strideHeight, g.strideWidth),
                       padding: (g.padHeight, g.padWidth), scale: scale, into: out.pointer(T.self),
                       outHeight: g.outHeight, outWidth: g.outWidth)
        return out
    }

    /// `[… Ho Wo]` of an input `[… H W]` (rank 3 or 4): the mean of each adaptive window.
    /// Nil for an empty plane (the composite's all-zero averaging rows give 0, not a mean).
    static func adaptiveAvgPool2d<T: BLASFloat>(_ inputs: [Operand], _ size: Shape, _: T.Type) throws
        -> CPUStorage? {
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        guard x.rank == 3 || x.rank == 4, size.rank == 2 else { return nil }
        let (h, wd, ho, wo) = (x.shape[x.rank - 2], x.shape[x.rank - 1], size[0], size[1])
        guard h > 0, wd > 0, ho > 0, wo > 0 else { return nil }
        let leading = Array(x.shape.dims.dropLast(2))
        let out = CPUStorage(uninitialized: Shape(leading + [ho, wo]), dtype: x.dtype)
        let planes = leading.reduce(1, *)
        if planes == 0 { return out }
        let (px, po) = (x.pointer(T.self), out.pointer(T.self))
        if h % ho == 0 && wd % wo == 0 {
            // Every window the same size: stride = kernel = H/Ho × W/Wo, as avgPool2d.
            let (kh, kw) = (h / ho, wd / wo)
            uniformWindows(px, planes: planes, height: h, width: wd, kernel: (kh, kw), stride: (kh, kw),
                           padding: (0, 0), scale: T(1 / Double(kh * kw)), into: po, outHeight: ho, outWidth: wo)
            return out
        }
        // Scratch: each output column's window [start, end) as Ints, then the row buffer.
        let bytes = 2 * wo * MemoryLayout<Int>.stride + wd * MemoryLayout<T>.stride
        let (block, capacity) = CPUBufferCache.shared.take(bytes)
        defer { CPUBufferCache.shared.give(block, size: capacity) }
        let columns = block.assumingMemoryBound(to: Int.self)
        let row = (block + 2 * wo * MemoryLayout<Int>.stride).assumingMemoryBound(to: T.self)
        for j in 0..<wo {
            (columns[2 * j], columns[2 * j + 1]) = adaptiveWindow(j, input: wd, output: wo)
        }
        for p in 0..<planes {
            let plane = px + p * h * wd, target = po + p * ho * wo
            for i in 0..<ho {
                let (top, bottom) = adaptiveWindow(i, input: h, output: ho)
                sumRows(plane, top..<bottom, width: wd, into: row)
                let result = target + i * wo
                for j in 0..<wo {
                    let (start, end) = (columns[2 * j], columns[2 * j + 1])
                    var sum = row[start]
                    for c in (start + 1)..<end { sum += row[c] }
                    result[j] = sum * T(1 / Double((bottom - top) * (end - start)))
                }
            }
        }
        return out
    }

    /// PyTorch's adaptive window of output `i`: `⌊i·input/output⌋ ..< ⌈(i+1)·input/output⌉`
    /// (the ceiling as floor plus one for a remainder, so nothing beyond `output·input` is formed).
    @inline(__always)
    static func adaptiveWindow(_ i: Int, input: Int, output: Int) -> (Int, Int) {
        let next = (i + 1) * input
        return (i * input / output, next / output + (next % output == 0 ? 0 : 1))
    }

    /// Windows of one size at a fixed stride over `planes` planes `[H W]` into `[Ho Wo]`:
    /// `out = scale · Σ window`, the positions outside the plane (padding) adding zero.
    static func uniformWindows<T: BLASFloat>(_ x: UnsafeMutablePointer<T>, planes: Int, height h: Int, width wd: Int,
                                             kernel: (Int, Int), stride: (Int, Int), padding: (Int, Int), scale: T,
                                             into out: UnsafeMutablePointer<T>, outHeight ho: Int, outWidth wo: Int) {
        let (kh, kw) = kernel, (sh, sw) = stride, (ph, pw) = padding
        if kh == h && kw == wd && ph == 0 && pw == 0 {
            // One window, the whole plane (global pooling): a contiguous sum per plane.
            for p in 0..<planes { out[p] = T(BLASReduce.contiguousSum(x + p * h * wd, h * wd)) * scale }
            return
        }
        // The row buffer with `pw` zeros each side: every window's columns lie inside it.
        let length = wd + 2 * pw
        let (block, capacity) = CPUBufferCache.shared.take(length * MemoryLayout<T>.stride)
        defer { CPUBufferCache.shared.give(block, size: capacity) }
        let row = block.assumingMemoryBound(to: T.self)
        row.initialize(repeating: 0, count: length)
        for p in 0..<planes {
            let plane = x + p * h * wd, target = out + p * ho * wo
            for y in 0..<ho {
                let top = y * sh - ph
                sumRows(plane, Swift.max(top, 0)..<Swift.min(top + kh, h), width: wd, into: row + pw)
                let result = target + y * wo
                // Constant strides for the common cases, so the column loops vectorise.
                switch sw {
                case 1: sumColumns(row, stride: 1, kernel: kw, count: wo, scale: scale, into: result)
                case 2: sumColumns(row, stride: 2, kernel: kw, count: wo, scale: scale, into: result)
                default: sumColumns(row, stride: sw, kernel: kw, count: wo, scale: scale, into: result)
                }
            }
        }
    }

    /// `row[0..<width] = Σ plane rows in rows` (zeros for no rows).
    @inline(__always)
    static func sumRows<T: BLASFloat>(_ plane: UnsafeMutablePointer<T>, _ rows: Range<Int>, width: Int,
                                      into row: UnsafeMutablePointer<T>) {
        guard let first = rows.first else {
            row.update(repeating: 0, count: width)
            return
        }
        let a = plane + first * width
        // Two or three rows (the common kernels) in one pass; more, added one row at a time.
        switch rows.count {
        case 1: row.update(from: a, count: width)
        case 2:
            let b = a + width
            for c in 0..<width { row[c] = a[c] + b[c] }
        case 3:
            let b = a + width, d = b + width
            for c in 0..<width { row[c] = a[c] + b[c] + d[c] }
        default:
            row.update(from: a, count: width)
            for r in rows.dropFirst() {
                let source = plane + r * width
                for c in 0..<width { row[c] += source[c] }
            }
        }
    }

    /// `out[j] = scale · Σ_{k < kernel} row[j·stride + k]` for `j < count`.
    @inline(__always)
    static func sumColumns<T: BLASFloat>(_ row: UnsafeMutablePointer<T>, stride: Int, kernel: Int, count: Int,
                                         scale: T, into out: UnsafeMutablePointer<T>) {
        // Kernels of two or three columns (the common ones) in one pass; more, a pass per column.
        switch kernel {
        case 2:
            for j in 0..<count { out[j] = (row[j &* stride] + row[j &* stride &+ 1]) * scale }
        case 3:
            for j in 0..<count { out[j] = (row[j &* stride] + row[j &* stride &+ 1] + row[j &* stride &+ 2]) * scale }
        default:
            for j in 0..<count { out[j] = row[j &* stride] }
            for k in 1..<Swift.max(kernel, 1) {
                let shifted = row + k
                for j in 0..<count { out[j] += shifted[j &* stride] }
            }
            for j in 0..<count { out[j] *= scale }
        }
    }
}
