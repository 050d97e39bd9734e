import MinoCore

/// A trainable function of one tensor: a layer or a tree of layers.
///
/// Parameters are tensors that require gradients, each with a dotted path
/// (`0.weight`, `2.bias`, PyTorch's `state_dict` keys), in a stable order.
public protocol Module: AnyObject {
    func callAsFunction(_ input: Tensor) throws -> Tensor
    /// Every parameter with its path, depth first, in declaration order.
    var namedParameters: [(name: String, tensor: Tensor)] { get }
    /// Every buffer with its path (`1.running_mean`): state that is saved and loaded
    /// with the parameters but is not trained (PyTorch's `named_buffers`). None by default.
    var namedBuffers: [(name: String, tensor: Tensor)] { get }
    /// What a checkpoint holds (PyTorch's `state_dict`): by default the parameters, then the buffers.
    var stateDict: [(name: String, tensor: Tensor)] { get }
}

extension Module {
    public var namedBuffers: [(name: String, tensor: Tensor)] { [] }

    public var stateDict: [(name: String, tensor: Tensor)] { namedParameters + namedBuffers }

    /// The parameters, in the order of ``namedParameters``.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }

    /// Forgets every parameter's gradient.
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }

    /// The number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.elementCount } }

    /// The parameter at `path`.
    ///
    /// - Throws: ``MinoError`` `.unknownName` listing the paths that exist.
    public func parameter(_ path: String) throws -> Tensor {
        if let found = namedParameters.first(where: { $0.name == path }) { return found.tensor }
        throw MinoError(.unknownName, "no parameter '\(path)'; parameters: "
                        + namedParameters.map(\.name).joined(separator: ", "))
    }
}
