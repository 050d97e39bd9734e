import MinoCore
import MinoCPU

/// The pure-Swift backend: readable, correct, and the oracle every other
/// backend is checked against.
///
/// Tensors are ``CPUStorage`` views; `reshape` (of contiguous data),
/// `permute`, `expand` and `slice` are views that copy nothing. Kernels read
/// any view and write contiguous results.
public final class ReferenceBackend: Backend {
    public let name: String

    public init(name: String = "reference") {
        self.name = name
    }

    // MARK: Host transfer and creation

    public func upload(_ array: HostArray) throws -> any BackendStorage {
        CPUTransfer.upload(array)
    }

    public func download(_ x: Operand) throws -> HostArray {
        CPUTransfer.download(try x.cpu())
    }

    public func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        CPUTransfer.full(value, shape: shape, dtype: dtype)
    }

    // MARK: Views

    public func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        let s = try x.cpu()
        if let view = CPUTransfer.reshapedView(s, to: shape) { return view }
        let copy = CPUTransfer.contiguous(s)
        return copy.view(shape: shape, strides: shape.contiguousStrides, offset: copy.offset)
    }

    public func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage {
        let s = try x.cpu()
        return s.view(shape: Shape(permutation.map { s.shape[$0] }), strides: permutation.map { s.strides[$0] },
                      offset: s.offset)
    }

    public func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        let s = try x.cpu()
        return s.view(shape: shape, strides: s.broadcastStrides(to: shape), offset: s.offset)
    }

    public func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        CPUKernels.sliceView(try x.cpu(), ranges)
    }

    // MARK: Data movement

    public func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        let parts = try xs.map { try $0.cpu() }
        let out = CPUStorage(uninitialized: shape, dtype: parts[0].dtype)
        var start = 0
        for part in parts {
            var ranges = shape.dims.map { SliceRange.all($0) }
            ranges[axis] = SliceRange(start: start, end: start + part.shape[axis])
            CPUKernels.copy(part, into: CPUKernels.sliceView(out, ranges))
            start += part.shape[axis]
        }
        return out
    }

    public func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        let out = CPUTransfer.full(0, shape: shape, dtype: source.dtype)
        CPUKernels.copy(try source.cpu(), into: CPUKernels.sliceView(out, ranges))
        return out
    }

    public func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        let s = try x.cpu()
        let positions = try CPUKernels.indices(try indices.cpu(), below: s.shape[axis], op: "indexSelect")
        let out = CPUStorage(uninitialized: shape, dtype: s.dtype)
        for (i, p) in positions.enumerated() {
            CPUKernels.copy(CPUKernels.subview(s, axis: axis, index: p), into: CPUKernels.subview(out, axis: axis, index: i))
        }
        return out
    }

    public func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        let s = try source.cpu()
        let positions = try CPUKernels.indices(try indices.cpu(), below: shape[axis], op: "indexAdd")
        let out = CPUTransfer.full(0, shape: shape, dtype: s.dtype)
        for (i, p) in positions.enumerated() {
            CPUKernels.copy(CPUKernels.subview(s, axis: axis, index: i), into: CPUKernels.subview(out, axis: axis, index: p),
                            accumulate: true)
        }
        return out
    }

    public func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        let s = try x.cpu()
        let index = try indices.cpu()
        let positions = try CPUKernels.indices(index, below: s.shape[axis], op: "gather")
        let out = CPUStorage(uninitialized: index.shape, dtype: s.dtype)
        switch s.dtype {
        case .float32: gatherScatter(s, out, positions, axis: axis, Float.self, scatter: false)
        case .float64: gatherScatter(s, out, positions, axis: axis, Double.self, scatter: false)
        case .int64: gatherScatter(s, out, positions, axis: axis, Int64.self, scatter: false)
        }
        return out
    }

    public func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        let s = try source.cpu()
        let positions = try CPUKernels.indices(try indices.cpu(), below: shape[axis], op: "scatterAdd")
        let out = CPUTransfer.full(0, shape: shape, dtype: s.dtype)
        switch s.dtype {
        case .float32: gatherScatter(out, s, positions, axis: axis, Float.self, scatter: true)
        case .float64: gatherScatter(out, s, positions, axis: axis, Double.self, scatter: true)
        case .int64: gatherScatter(out, s, positions, axis: axis, Int64.self, scatter: true)
        }
        return out
    }

    /// Walks the positions of `other` (the shape of the index, row-major):
    /// gather reads `table[pos with axis = index]` into `other[pos]`; scatter
    /// adds `other[pos]` into `table[pos with axis = index]`.
    private func gatherScatter<T: AdditiveArithmetic>(_ table: CPUStorage, _ other: CPUStorage, _ positions: [Int],
                                                      axis: Int, _: T.Type, scatter: Bool) {
        let shape = other.shape
        var tableStrides = table.strides
        let axisStride = tableStrides[axis]
        tableStrides[axis] = 0
        let pt = table.pointer(T.self), po = other.pointer(T.self)
        let loop = StridedLoop(shape: shape, strides: [tableStrides, other.strides, shape.contiguousStrides])
        let inner = loop.innerStrides
        loop.forEachRow { bases, count in
            for i in 0..<count {
                let t = bases[0] + i * inner[0] + positions[bases[2] + i * inner[2]] * axisStride
                let o = bases[1] + i * inner[1]
                if scatter { pt[t] += po[o] } else { po[o] = pt[t] }
            }
        }
    }
}
