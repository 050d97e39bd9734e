import MinoCore
import MinoCPU
import MinoKernels

extension BLASBackend {
    public func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        let s = try x.cpu()
        let outShape = s.shape.reduced(over: axes, keepDims: keepDims)
        switch (kernel, s.dtype) {
        case (.sum, .float32):
            if let out = BLASReduce.sum(s, axes: axes, outShape: outShape, Float.self) { return out }
        case (.sum, .float64):
            if let out = BLASReduce.sum(s, axes: axes, outShape: outShape, Double.self) { return out }
        case (.max, .float32):
            if let out = BLASReduce.max(s, axes: axes, outShape: outShape, Float.self) { return out }
        case (.max, .float64):
            if let out = BLASReduce.max(s, axes: axes, outShape: outShape, Double.self) { return out }
        default:
            break
        }
        return try cpuReduce(kernel, x, axes: axes, keepDims: keepDims)
    }

    public func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        // A middle axis (max-pool's window axis): the [outer n inner] sweep; else the shared kernel.
        guard x.shape.rank > 0, axis < x.shape.rank - 1, x.shape[axis] > 0 else {
            return try cpuArgmax(x, axis: axis, keepDims: keepDims)
        }
        switch x.dtype {
        case .float32: return BLASArgmax.middle(CPUTransfer.contiguous(try x.cpu()), axis: axis, keepDims: keepDims, Float.self)
        case .float64: return BLASArgmax.middle(CPUTransfer.contiguous(try x.cpu()), axis: axis, keepDims: keepDims, Double.self)
        case .int64: return try cpuArgmax(x, axis: axis, keepDims: keepDims)
        }
    }
}

/// Reductions of contiguous tensors over one run of adjacent axes: the tensor
/// is seen as `[outer, reduced, inner]`, and each output sums (or maxes) a
/// strided column of `reduced` elements. float32 sums accumulate in float64,
/// as the reference backend's do. Other layouts run the shared CPU kernels.
enum BLASReduce {
    /// `[outer, reduced, inner]` when `x` is contiguous and `axes` (sorted, non-empty) are adjacent.
    static func blocks(_ x: CPUStorage, axes: [Int]) -> (outer: Int, reduced: Int, inner: Int)? {
        guard x.isContiguous, let first = axes.first, let last = axes.last, last - first + 1 == axes.count else {
            return nil
        }
        let dims = x.shape.dims
        var outer = 1, reduced = 1, inner = 1
        for axis in 0..<first { outer *= dims[axis] }
        for axis in first...last { reduced *= dims[axis] }
        for axis in (last + 1)..<dims.count { inner *= dims[axis] }
        return (outer, reduced, inner)
    }

    static func sum<T: BLASFloat>(_ x: CPUStorage, axes: [Int], outShape: Shape, _: T.Type) -> CPUStorage? {
        guard let (outer, reduced, inner) = blocks(x, axes: axes) else { return nil }
        let out = CPUStorage(uninitialized: outShape, dtype: x.dtype)
        if T.self == Float.self, NativeKernels.isEnabled {
            nativeSum(x.pointer(Float.self), out.pointer(Float.self), outer: outer, reduced: reduced, inner: inner)
            return out
        }
        let src = x.pointer(T.self), dst = out.pointer(T.self)
        if inner == 1 {
            for o in 0..<outer { dst[o] = T(contiguousSum(src + o * reduced, reduced)) }
            return out
        }
        // Rows of `inner` elements added together: vectorised along the row.
        let accumulator = UnsafeMutablePointer<Double>.allocate(capacity: inner)
        defer { accumulator.deallocate() }
        for o in 0..<outer {
            accumulator.initialize(repeating: 0, count: inner)
            let block = src + o * reduced * inner
            for r in 0..<reduced {
                let row = block + r * inner
                for j in 0..<inner { accumulator[j] += Double(row[j]) }
            }
            let target = dst + o * inner
            for j in 0..<inner { target[j] = T(accumulator[j]) }
        }
        return out
    }

    /// The float32 sum on the native kernels, split over the blas threads by outputs (so each
    /// output's order of additions does not depend on the thread count).
    static func nativeSum(_ src: UnsafeMutablePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                          outer: Int, reduced: Int, inner: Int) {
        // Outputs per chunk such that a chunk reads at least ~16K elements (sizes may be 0).
        let perOutput = Swift.max(reduced, 1), perBlock = Swift.max(reduced * inner, 1)
        if inner == 1 {
            ParallelLoop.forEachChunk(count: outer, minimumChunk: Swift.max(1, (1 << 14) / perOutput)) { r in
                mino_sum_rows_f32(r.count, reduced, src + r.lowerBound * reduced, dst + r.lowerBound)
            }
        } else if outer > 1 {
            ParallelLoop.forEachChunk(count: outer, minimumChunk: Swift.max(1, (1 << 14) / perBlock)) { r in
                for o in r { mino_sum_columns_f32(reduced, inner, inner, src + o * reduced * inner, dst + o * inner) }
            }
        } else {
            // One block: columns split in whole 16-lane strips.
            let strips = (inner + 15) / 16
            ParallelLoop.forEachChunk(count: strips, minimumChunk: Swift.max(1, (1 << 14) / (perOutput * 16))) { r in
                let first = r.lowerBound * 16, last = Swift.min(r.upperBound * 16, inner)
                mino_sum_columns_f32(reduced, inner, last - first, src + first, dst + first)
            }
        }
    }

    /// Σ p[0..<n] in float64, with eight independent partial sums (so the loop
    /// vectorises; the order differs from a sequential sum by rounding only).
    @inline(__always)
    static func contiguousSum<T: BLASFloat>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0
        var i = 0
        while i + 8 <= n {
            s0 += Double(p[i]); s1 += Double(p[i + 1]); s2 += Double(p[i + 2]); s3 += Double(p[i + 3])
            s4 += Double(p[i + 4]); s5 += Double(p[i + 5]); s6 += Double(p[i + 6]); s7 += Double(p[i + 7])
            i += 8
        }
        while i < n { s0 += Double(p[i]); i += 1 }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    }

    static func max<T: BLASFloat>(_ x: CPUStorage, axes: [Int], outShape: Shape, _: T.Type) -> CPUStorage? {
        guard let (outer, reduced, inner) = blocks(x, axes: axes), reduced > 0 else { return nil }
        let out = CPUStorage(uninitialized: outShape, dtype: x.dtype)
        let src = x.pointer(T.self), dst = out.pointer(T.self)
        for o in 0..<outer {
            let block = src + o * reduced * inner
            let target = dst + o * inner
            target.update(from: block, count: inner)
            for r in 1..<reduced {
                let row = block + r * inner
                // NaN wins, as in the reference backend (and PyTorch's amax).
                for j in 0..<inner {
                    let v = row[j], best = target[j]
                    target[j] = v > best || v.isNaN || best.isNaN ? (best.isNaN ? best : v) : best
                }
            }
        }
        return out
    }
}

/// Argmax along a middle axis of a contiguous `[outer n inner]` tensor, one
/// sweep over `n` per outer block with a running best per inner position. The
/// first index wins ties and a NaN wins over numbers (the first NaN), as in
/// the reference kernel.
enum BLASArgmax {
    static func middle<T: BLASFloat>(_ s: CPUStorage, axis: Int, keepDims: Bool, _: T.Type) -> CPUStorage {
        let n = s.shape[axis]
        let outer = s.shape.dims[..<axis].reduce(1, *), inner = s.shape.dims[(axis + 1)...].reduce(1, *)
        let out = CPUStorage(uninitialized: s.shape.reduced(over: [axis], keepDims: keepDims), dtype: .int64)
        let ps = s.pointer(T.self), po = out.pointer(Int64.self)
        let (block, size) = CPUBufferCache.shared.take(inner * MemoryLayout<T>.stride)
        defer { CPUBufferCache.shared.give(block, size: size) }
        let best = block.assumingMemoryBound(to: T.self)
        for o in 0..<outer {
            let src = ps + o * n * inner, dst = po + o * inner
            for j in 0..<inner {
                best[j] = src[j]
                dst[j] = 0
            }
            for i in 1..<n {
                let row = src + i * inner
                let index = Int64(i)
                for j in 0..<inner {
                    // Branch-free, so the loop vectorises: take v when larger, or a first NaN.
                    let v = row[j], b = best[j]
                    let take = v > b || (v != v && b == b)
                    best[j] = take ? v : b
                    dst[j] = take ? index : dst[j]
                }
            }
        }
        return out
    }
}
