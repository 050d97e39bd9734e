import MinoCore
import MinoReference

/// The reference backend with one deliberate fault: the suite must report
/// the op that owns the faulty kernel, and nothing else.
final class FaultyBackend: BackendDecorator {
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

    let base: any Backend = ReferenceBackend()
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

    /// Everything else: the reference backend's, unchanged.
    func forward(_ call: BackendCall) {}
}
