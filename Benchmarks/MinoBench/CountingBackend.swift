import Mino

/// Passes every call to another backend and counts them: how the memory
/// benchmark knows it made 100,000 op calls, not an estimate of them.
final class CountingBackend: Backend {
    let base: any Backend
    private(set) var calls = 0

    init(_ base: any Backend) { self.base = base }

    var name: String { base.name }

    func upload(_ array: HostArray) throws -> any BackendStorage { calls += 1; return try base.upload(array) }
    func download(_ x: Operand) throws -> HostArray { calls += 1; return try base.download(x) }
    func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        calls += 1; return try base.full(value, shape: shape, dtype: dtype)
    }
    func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        calls += 1; return try base.unary(kernel, x)
    }
    func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        calls += 1; return try base.binary(kernel, a, b, shape: shape)
    }
    func select(_ c: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        calls += 1; return try base.select(c, a, b, shape: shape)
    }
    func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage { calls += 1; return try base.cast(x, to: dtype) }
    func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        calls += 1; return try base.matmul(a, b, shape: shape)
    }
    func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        calls += 1; return try base.reduce(kernel, x, axes: axes, keepDims: keepDims)
    }
    func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        calls += 1; return try base.argmax(x, axis: axis, keepDims: keepDims)
    }
    func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage { calls += 1; return try base.reshape(x, to: shape) }
    func permute(_ x: Operand, _ p: [Int]) throws -> any BackendStorage { calls += 1; return try base.permute(x, p) }
    func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage { calls += 1; return try base.expand(x, to: shape) }
    func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        calls += 1; return try base.concat(xs, axis: axis, shape: shape)
    }
    func slice(_ x: Operand, _ r: [SliceRange], shape: Shape) throws -> any BackendStorage {
        calls += 1; return try base.slice(x, r, shape: shape)
    }
    func sliceScatter(_ s: Operand, _ r: [SliceRange], shape: Shape) throws -> any BackendStorage {
        calls += 1; return try base.sliceScatter(s, r, shape: shape)
    }
    func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        calls += 1; return try base.indexSelect(x, axis: axis, indices: indices, shape: shape)
    }
    func indexAdd(_ s: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        calls += 1; return try base.indexAdd(s, axis: axis, indices: indices, shape: shape)
    }
    func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        calls += 1; return try base.gather(x, axis: axis, indices: indices)
    }
    func scatterAdd(_ s: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        calls += 1; return try base.scatterAdd(s, axis: axis, indices: indices, shape: shape)
    }
    func fused(_ kernel: FusedKernel, _ inputs: [Operand], _ a: OpAttributes) throws -> (any BackendStorage)? {
        calls += 1; return try base.fused(kernel, inputs, a)
    }
    func optimizerUpdate(_ kernel: OptimizerKernel, parameter: Operand, gradient: Operand,
                         state: [Operand]) throws -> Bool {
        calls += 1; return try base.optimizerUpdate(kernel, parameter: parameter, gradient: gradient, state: state)
    }
}
