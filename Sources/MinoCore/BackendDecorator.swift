/// One call a ``BackendDecorator`` passes to its base.
public enum BackendCall: Hashable, Sendable, CustomStringConvertible {
    case upload, download, full
    case kernel(BackendKernel)
    case optimizerUpdate

    /// `upload`, `unary.exp`, `fused.softmax`, `optimizerUpdate`.
    public var description: String {
        switch self {
        case .upload: return "upload"
        case .download: return "download"
        case .full: return "full"
        case .kernel(let k): return k.description
        case .optimizerUpdate: return "optimizerUpdate"
        }
    }
}

/// A backend that wraps another (tracing, counting, fault injection in tests)
/// and sees every call through one hook: the extension forwards each `Backend`
/// method to ``base``, so a decorator implements ``forward(_:)`` and nothing else,
/// and a method added to `Backend` is forwarded by every decorator at once.
public protocol BackendDecorator: Backend {
    var base: any Backend { get }
    /// Called before the base runs `call`, and for the optional fast paths
    /// (``Backend/fused(_:_:_:)``, ``Backend/optimizerUpdate(_:parameter:gradient:state:)``)
    /// only after the base ran it (returned a result, or true).
    /// Throwing stops the call.
    func forward(_ call: BackendCall) throws
}

extension BackendDecorator {
    public var name: String { base.name }

    public func upload(_ array: HostArray) throws -> any BackendStorage {
        try forward(.upload); return try base.upload(array)
    }
    public func download(_ x: Operand) throws -> HostArray {
        try forward(.download); return try base.download(x)
    }
    public func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        try forward(.full); return try base.full(value, shape: shape, dtype: dtype)
    }
    public func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        try forward(.kernel(.unary(kernel))); return try base.unary(kernel, x)
    }
    public func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.binary(kernel))); return try base.binary(kernel, a, b, shape: shape)
    }
    public func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.select)); return try base.select(condition, a, b, shape: shape)
    }
    public func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage {
        try forward(.kernel(.cast)); return try base.cast(x, to: dtype)
    }
    public func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.matmul)); return try base.matmul(a, b, shape: shape)
    }
    public func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        try forward(.kernel(.reduce(kernel))); return try base.reduce(kernel, x, axes: axes, keepDims: keepDims)
    }
    public func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        try forward(.kernel(.argmax)); return try base.argmax(x, axis: axis, keepDims: keepDims)
    }
    public func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.reshape)); return try base.reshape(x, to: shape)
    }
    public func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage {
        try forward(.kernel(.permute)); return try base.permute(x, permutation)
    }
    public func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.expand)); return try base.expand(x, to: shape)
    }
    public func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.concat)); return try base.concat(xs, axis: axis, shape: shape)
    }
    public func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.slice)); return try base.slice(x, ranges, shape: shape)
    }
    public func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.sliceScatter)); return try base.sliceScatter(source, ranges, shape: shape)
    }
    public func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.indexSelect)); return try base.indexSelect(x, axis: axis, indices: indices, shape: shape)
    }
    public func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.indexAdd)); return try base.indexAdd(source, axis: axis, indices: indices, shape: shape)
    }
    public func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        try forward(.kernel(.gather)); return try base.gather(x, axis: axis, indices: indices)
    }
    public func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try forward(.kernel(.scatterAdd)); return try base.scatterAdd(source, axis: axis, indices: indices, shape: shape)
    }

    public func fused(_ kernel: FusedKernel, _ inputs: [Operand], _ attributes: OpAttributes) throws -> (any BackendStorage)? {
        guard let result = try base.fused(kernel, inputs, attributes) else { return nil }
        try forward(.kernel(.fused(kernel)))
        return result
    }
    public func optimizerUpdate(_ kernel: OptimizerKernel, parameter: Operand, gradient: Operand,
                                state: [Operand]) throws -> Bool {
        guard try base.optimizerUpdate(kernel, parameter: parameter, gradient: gradient, state: state) else { return false }
        try forward(.optimizerUpdate)
        return true
    }
}
