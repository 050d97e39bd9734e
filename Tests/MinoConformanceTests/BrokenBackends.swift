import MinoCore
import MinoReference

/// The reference backend with one deliberate fault: the suite must report
/// the op that owns the faulty kernel, and nothing else.
final class FaultyBackend: Backend {
    enum Fault {
        /// The unary kernel's result times `factor` (σ(x)·(1 + 1e-3)).
        case unary(UnaryKernel, factor: Double)
        /// `permute`'s result times `factor`.
        case permute(factor: Double)
        /// `gather` reports an out-of-range index as `.backend` instead of `.argument`.
        case gatherErrorKind
        /// A fused SGD update that claims success and changes nothing.
        case silentOptimizer
    }

    let base = ReferenceBackend()
    let fault: Fault
    let name: String

    init(_ fault: Fault, name: String) {
        self.fault = fault
        self.name = name
    }

    static func brokenUnary(_ kernel: UnaryKernel, factor: Double = 1 + 1e-3) -> FaultyBackend {
        FaultyBackend(.unary(kernel, factor: factor), name: "broken-\(kernel.rawValue)")
    }

    /// `storage` (of `shape` and `dtype`) times `factor`, computed by the reference.
    private func scaled(_ storage: any BackendStorage, _ shape: Shape, _ dtype: DType,
                        _ factor: Double) throws -> any BackendStorage {
        let scale = try base.full(factor, shape: .scalar, dtype: dtype)
        return try base.binary(.mul, Operand(storage: storage, shape: shape, dtype: dtype),
                               Operand(storage: scale, shape: .scalar, dtype: dtype), shape: shape)
    }

    func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        let right = try base.unary(kernel, x)
        guard case .unary(let broken, let factor) = fault, broken == kernel else { return right }
        return try scaled(right, x.shape, x.dtype, factor)
    }

    func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage {
        let right = try base.permute(x, permutation)
        guard case .permute(let factor) = fault else { return right }
        return try scaled(right, Shape(permutation.map { x.shape[$0] }), x.dtype, factor)
    }

    func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        do {
            return try base.gather(x, axis: axis, indices: indices)
        } catch let error as MinoError where error.kind == .argument {
            guard case .gatherErrorKind = fault else { throw error }
            throw MinoError(.backend, "gather failed: \(error.message)")
        }
    }

    func optimizerUpdate(_ kernel: OptimizerKernel, parameter: Operand, gradient: Operand,
                         state: [Operand]) throws -> Bool {
        if case .silentOptimizer = fault { return true }
        return try base.optimizerUpdate(kernel, parameter: parameter, gradient: gradient, state: state)
    }

    // Everything else: the reference backend's.
    func upload(_ array: HostArray) throws -> any BackendStorage { try base.upload(array) }
    func download(_ x: Operand) throws -> HostArray { try base.download(x) }
    func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        try base.full(value, shape: shape, dtype: dtype)
    }
    func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.binary(kernel, a, b, shape: shape)
    }
    func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.select(condition, a, b, shape: shape)
    }
    func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage { try base.cast(x, to: dtype) }
    func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.matmul(a, b, shape: shape)
    }
    func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        try base.reduce(kernel, x, axes: axes, keepDims: keepDims)
    }
    func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        try base.argmax(x, axis: axis, keepDims: keepDims)
    }
    func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage { try base.reshape(x, to: shape) }
    func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage { try base.expand(x, to: shape) }
    func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        try base.concat(xs, axis: axis, shape: shape)
    }
    func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try base.slice(x, ranges, shape: shape)
    }
    func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try base.sliceScatter(source, ranges, shape: shape)
    }
    func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.indexSelect(x, axis: axis, indices: indices, shape: shape)
    }
    func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.indexAdd(source, axis: axis, indices: indices, shape: shape)
    }
    func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.scatterAdd(source, axis: axis, indices: indices, shape: shape)
    }
}
