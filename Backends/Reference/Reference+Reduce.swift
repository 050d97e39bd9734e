import MinoCore
import MinoCPU

extension ReferenceBackend {
    public func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        let s = try x.cpu()
        let (blocks, outShape) = ReferenceReduce.blocks(s, axes: axes, keepDims: keepDims)
        switch (kernel, s.dtype) {
        case (.sum, .float32): return ReferenceReduce.sum(blocks, outShape, Float.self)
        case (.sum, .float64): return ReferenceReduce.sum(blocks, outShape, Double.self)
        case (.sum, .int64): return ReferenceReduce.integerSum(blocks, outShape)
        case (.max, .float32): return try ReferenceReduce.max(blocks, outShape, Float.self)
        case (.max, .float64): return try ReferenceReduce.max(blocks, outShape, Double.self)
        case (.max, .int64): return try ReferenceReduce.integerMax(blocks, outShape)
        }
    }

    public func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        let s = try x.cpu()
        let (blocks, outShape) = ReferenceReduce.blocks(s, axes: [axis], keepDims: keepDims)
        switch s.dtype {
        case .float32: return try ReferenceReduce.argmax(blocks, outShape, Float.self)
        case .float64: return try ReferenceReduce.argmax(blocks, outShape, Double.self)
        case .int64: return try ReferenceReduce.argmax(blocks, outShape, Int64.self)
        }
    }
}

/// Reductions: the reduced axes are moved last and made contiguous, so each
/// output element reduces one contiguous block.
enum ReferenceReduce {
    /// A contiguous copy of `x` with `axes` moved to the end (rows of `blockSize`), and the output shape.
    static func blocks(_ x: CPUStorage, axes: [Int], keepDims: Bool) -> (CPUStorage, Shape) {
        let kept = (0..<x.shape.rank).filter { !axes.contains($0) }
        let order = kept + axes
        let moved = x.view(shape: Shape(order.map { x.shape[$0] }), strides: order.map { x.strides[$0] }, offset: x.offset)
        return (CPUTransfer.contiguous(moved), x.shape.reduced(over: axes, keepDims: keepDims))
    }

    static func sum<T: BinaryFloatingPoint>(_ blocks: CPUStorage, _ outShape: Shape, _: T.Type) -> CPUStorage {
        let out = CPUStorage(uninitialized: outShape, dtype: blocks.dtype)
        let count = outShape.elementCount
        let size = count == 0 ? 0 : blocks.shape.elementCount / count
        let src = blocks.pointer(T.self), dst = out.pointer(T.self)
        for o in 0..<count {
            // Accumulate in double precision: sums of float32 stay accurate.
            var total = 0.0
            let row = src + o * size
            for i in 0..<size { total += Double(row[i]) }
            dst[o] = T(total)
        }
        return out
    }

    static func integerSum(_ blocks: CPUStorage, _ outShape: Shape) -> CPUStorage {
        let out = CPUStorage(uninitialized: outShape, dtype: .int64)
        let count = outShape.elementCount
        let size = count == 0 ? 0 : blocks.shape.elementCount / count
        let src = blocks.pointer(Int64.self), dst = out.pointer(Int64.self)
        for o in 0..<count {
            var total: Int64 = 0
            for i in 0..<size { total &+= src[o * size + i] }
            dst[o] = total
        }
        return out
    }

    static func max<T: FloatingPoint>(_ blocks: CPUStorage, _ outShape: Shape, _: T.Type) throws -> CPUStorage {
        let out = CPUStorage(uninitialized: outShape, dtype: blocks.dtype)
        let count = outShape.elementCount
        guard count == 0 || blocks.shape.elementCount > 0 else {
            throw MinoError.shape("max", [blocks.shape], "cannot reduce an empty axis")
        }
        let size = count == 0 ? 0 : blocks.shape.elementCount / count
        let src = blocks.pointer(T.self), dst = out.pointer(T.self)
        for o in 0..<count {
            var best = src[o * size]
            for i in 1..<Swift.max(size, 1) {
                let v = src[o * size + i]
                if v > best || v.isNaN { best = v; if v.isNaN { break } }
            }
            dst[o] = best
        }
        return out
    }

    static func integerMax(_ blocks: CPUStorage, _ outShape: Shape) throws -> CPUStorage {
        let out = CPUStorage(uninitialized: outShape, dtype: .int64)
        let count = outShape.elementCount
        guard count == 0 || blocks.shape.elementCount > 0 else {
            throw MinoError.shape("max", [blocks.shape], "cannot reduce an empty axis")
        }
        let size = count == 0 ? 0 : blocks.shape.elementCount / count
        let src = blocks.pointer(Int64.self), dst = out.pointer(Int64.self)
        for o in 0..<count {
            var best = src[o * size]
            for i in 1..<Swift.max(size, 1) { best = Swift.max(best, src[o * size + i]) }
            dst[o] = best
        }
        return out
    }

    /// The first position of the largest value in each block (NaN counts as largest).
    static func argmax<T: Comparable>(_ blocks: CPUStorage, _ outShape: Shape, _: T.Type) throws -> CPUStorage {
        let out = CPUStorage(uninitialized: outShape, dtype: .int64)
        let count = outShape.elementCount
        guard count == 0 || blocks.shape.elementCount > 0 else {
            throw MinoError.shape("argmax", [blocks.shape], "cannot reduce an empty axis")
        }
        let size = count == 0 ? 0 : blocks.shape.elementCount / count
        let src = blocks.pointer(T.self), dst = out.pointer(Int64.self)
        for o in 0..<count {
            let row = src + o * size
            var best = 0
            for i in 1..<Swift.max(size, 1) {
                let v = row[i], b = row[best]
                if b != b { break }          // NaN already found
                if v != v || v > b { best = i }
            }
            dst[o] = Int64(best)
        }
        return out
    }
}
