import MinoCore

/// Reductions: the reduced axes are moved last and made contiguous, so each
/// output element reduces one contiguous block.
enum CPUReduce {
    /// A contiguous copy of `x` with `axes` moved to the end (rows of `blockSize`), and the output shape.
    static func blocks(_ x: CPUStorage, axes: [Int], keepDims: Bool) -> (CPUStorage, Shape) {
        let kept = (0..<x.shape.rank).filter { !axes.contains($0) }
        let order = kept + axes
        let moved = x.view(shape: Shape(order.map { x.shape[$0] }), strides: order.map { x.strides[$0] }, offset: x.offset)
        return (CPUTransfer.contiguous(moved), x.shape.reduced(over: axes, keepDims: keepDims))
    }

    /// Reduces each contiguous block of `blocks` to one element of a new
    /// storage of `outShape` and `dtype`, with `row(start, size)`.
    static func eachBlock<T, R>(_ blocks: CPUStorage, _ outShape: Shape, to dtype: DType, op: String,
                                _: T.Type, _: R.Type, allowEmpty: Bool,
                                _ row: (UnsafeMutablePointer<T>, Int) -> R) throws -> CPUStorage {
        let out = CPUStorage(uninitialized: outShape, dtype: dtype)
        let count = outShape.elementCount
        guard allowEmpty || count == 0 || blocks.shape.elementCount > 0 else {
            throw MinoError.shape(op, [blocks.shape], "cannot reduce an empty axis")
        }
        let size = count == 0 ? 0 : blocks.shape.elementCount / count
        let src = blocks.pointer(T.self), dst = out.pointer(R.self)
        for o in 0..<count { dst[o] = row(src + o * size, size) }
        return out
    }

    static func sum<T: BinaryFloatingPoint>(_ blocks: CPUStorage, _ outShape: Shape, _: T.Type) throws -> CPUStorage {
        // Accumulate in double precision: sums of float32 stay accurate.
        try eachBlock(blocks, outShape, to: blocks.dtype, op: "sum", T.self, T.self, allowEmpty: true) { row, n in
            var total = 0.0
            for i in 0..<n { total += Double(row[i]) }
            return T(total)
        }
    }

    static func integerSum(_ blocks: CPUStorage, _ outShape: Shape) throws -> CPUStorage {
        try eachBlock(blocks, outShape, to: .int64, op: "sum", Int64.self, Int64.self, allowEmpty: true) { row, n in
            var total: Int64 = 0
            for i in 0..<n { total &+= row[i] }
            return total
        }
    }

    /// The largest value of each block; NaN wins, as in PyTorch.
    static func max<T: FloatingPoint>(_ blocks: CPUStorage, _ outShape: Shape, _: T.Type) throws -> CPUStorage {
        try eachBlock(blocks, outShape, to: blocks.dtype, op: "max", T.self, T.self, allowEmpty: false) { row, n in
            var best = row[0]
            for i in 1..<Swift.max(n, 1) where row[i] > best || row[i].isNaN {
                best = row[i]
                if best.isNaN { break }
            }
            return best
        }
    }

    static func integerMax(_ blocks: CPUStorage, _ outShape: Shape) throws -> CPUStorage {
        try eachBlock(blocks, outShape, to: .int64, op: "max", Int64.self, Int64.self, allowEmpty: false) { row, n in
            (1..<Swift.max(n, 1)).reduce(row[0]) { Swift.max($0, row[$1]) }
        }
    }

    /// The first position of the largest value in each block (NaN counts as largest).
    static func argmax<T: Comparable>(_ blocks: CPUStorage, _ outShape: Shape, _: T.Type) throws -> CPUStorage {
        try eachBlock(blocks, outShape, to: .int64, op: "argmax", T.self, Int64.self, allowEmpty: false) { row, n in
            var best = 0
            for i in 1..<Swift.max(n, 1) {
                let v = row[i], b = row[best]
                if b != b { break }          // NaN already found
                if v != v || v > b { best = i }
            }
            return Int64(best)
        }
    }
}
