import MinoCore

/// `y = x @ weightᵀ + bias`, with `weight` of shape `[out, in]` (PyTorch's
/// `nn.Linear` layout, so state dicts move between the two unchanged).
public final class Linear: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// A layer with PyTorch's default initialisation (U(±1/√in)) unless told otherwise.
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, dtype: DType = .float32,
                weightInitializer: Initializer? = nil, biasInitializer: Initializer? = nil,
                generator: RandomGenerator? = nil, on backend: (any Backend)? = nil) throws {
        guard inFeatures > 0, outFeatures > 0 else {
            throw MinoError.argument("Linear", "features must be positive, got \(inFeatures) → \(outFeatures)")
        }
        let g = generator ?? RandomGenerator.default
        let standard = Initializer.linearDefault(fanIn: inFeatures)
        weight = try (weightInitializer ?? standard).makeParameter([outFeatures, inFeatures], dtype: dtype,
                                                                    generator: g, on: backend, name: "weight")
        self.bias = bias ? try (biasInitializer ?? standard).makeParameter([outFeatures], dtype: dtype,
                                                                           generator: g, on: backend, name: "bias") : nil
    }

    /// A layer around existing tensors (checked: weight `[out, in]`, bias `[out]`).
    public init(weight: Tensor, bias: Tensor?) throws {
        guard weight.rank == 2, bias.map({ $0.shape == [weight.shape[0]] }) ?? true else {
            throw MinoError.shape("Linear", [weight.shape, bias?.shape ?? .scalar],
                                  "expected weight [out in] and bias [out]")
        }
        self.weight = weight
        self.bias = bias
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.linear(weight, bias)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}
