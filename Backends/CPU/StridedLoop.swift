import MinoCore

/// Walks several strided operands of one (broadcast) shape together, a row at a time.
///
/// Adjacent axes that are laid out back to back in every operand are merged
/// first, so contiguous operands become one long row and the per-element cost
/// is a multiply-add of the row's stride.
public struct StridedLoop {
    /// Dimensions after merging, outermost first (at least one).
    public let dims: [Int]
    /// `strides[operand][axis]` after merging.
    public let strides: [[Int]]

    /// - Parameters:
    ///   - shape: the shape every operand is viewed at.
    ///   - strides: for each operand, its element strides at `shape` (0 on broadcast axes).
    @inlinable
    public init(shape: Shape, strides: [[Int]]) {
        var dims: [Int] = []
        var merged: [[Int]] = strides.map { _ in [] }
        for axis in 0..<shape.rank where shape[axis] != 1 {
            let size = shape[axis]
            if let last = dims.last,
               strides.indices.allSatisfy({ merged[$0][merged[$0].count - 1] == strides[$0][axis] * size }) {
                dims[dims.count - 1] = last * size
                for op in strides.indices { merged[op][merged[op].count - 1] = strides[op][axis] }
            } else {
                dims.append(size)
                for op in strides.indices { merged[op].append(strides[op][axis]) }
            }
        }
        if dims.isEmpty {
            dims = [shape.elementCount == 0 ? 0 : 1]
            merged = strides.map { _ in [0] }
        }
        self.dims = dims
        self.strides = merged
    }

    /// Calls `body(bases, count)` once per row of the innermost axis, with each
    /// operand's element offset at the row's start; the row strides are
    /// `innerStrides`.
    @inlinable @inline(__always)
    public func forEachRow(_ body: (_ bases: UnsafeMutableBufferPointer<Int>, _ count: Int) -> Void) {
        let operands = strides.count
        let rank = dims.count
        let inner = dims[rank - 1]
        if inner == 0 || dims.contains(0) { return }
        var bases = [Int](repeating: 0, count: operands)
        var counter = [Int](repeating: 0, count: rank)
        bases.withUnsafeMutableBufferPointer { basePointer in
            while true {
                body(basePointer, inner)
                // Odometer over the outer axes.
                var axis = rank - 2
                while axis >= 0 {
                    counter[axis] += 1
                    for op in 0..<operands { basePointer[op] += strides[op][axis] }
                    if counter[axis] < dims[axis] { break }
                    for op in 0..<operands { basePointer[op] -= strides[op][axis] * dims[axis] }
                    counter[axis] = 0
                    axis -= 1
                }
                if axis < 0 { return }
            }
        }
    }

    /// The row stride of each operand.
    @inlinable
    public var innerStrides: [Int] { strides.map { $0[$0.count - 1] } }
}
