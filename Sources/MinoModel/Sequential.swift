import MinoCore

/// Layers applied in order; parameter paths are prefixed with the layer's
/// index (`0.weight`, `2.bias`), as in PyTorch's `nn.Sequential`.
public final class Sequential: Module {
    public let layers: [any Module]

    public init(_ layers: [any Module]) { self.layers = layers }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        var x = input
        for layer in layers { x = try layer(x) }
        return x
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        layers.enumerated().flatMap { i, layer in
            layer.namedParameters.map { ("\(i).\($0.name)", $0.tensor) }
        }
    }

    public var namedBuffers: [(name: String, tensor: Tensor)] {
        layers.enumerated().flatMap { i, layer in
            layer.namedBuffers.map { ("\(i).\($0.name)", $0.tensor) }
        }
    }
}

/// A multi-layer perceptron: Linear layers of `sizes`, the activation between
/// them (not after the last). `MLP(sizes: [64, 30, 10], activation: .sigmoid)`
/// is the digits network.
public func MLP(sizes: [Int], activation: Activation, dtype: DType = .float32,
                generator: RandomGenerator? = nil, on backend: (any Backend)? = nil) throws -> Sequential {
    guard sizes.count >= 2 else {
        throw MinoError.argument("MLP", "needs at least an input and an output size, got \(sizes)")
    }
    var layers: [any Module] = []
    for i in 0..<(sizes.count - 1) {
        if i > 0 { layers.append(ActivationLayer(activation)) }
        layers.append(try Linear(sizes[i], sizes[i + 1], dtype: dtype, generator: generator, on: backend))
    }
    return Sequential(layers)
}
