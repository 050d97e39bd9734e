/// The registered ops. Each `static let` declares one op completely: names,
/// signature, shape rule, backend hook and derivative.
public enum Ops {}

// MARK: - Unary

extension Ops {
    /// An elementwise op of one tensor; `torch` is its torch function of that tensor.
    private static func unary(_ kernel: UnaryKernel, torch: String, aliases: [String], summary: String,
                              dtypes: DTypePolicy = .floating, domain: ValueDomain = .any,
                              derivative: @escaping (DerivativeContext) throws -> Tensor?) -> OpDefinition {
        OpDefinition(
            primitive: kernel.rawValue, aliases: aliases, summary: summary,
            signature: OpSignature(inputs: [.value], dtypes: dtypes, domain: domain),
            runs: .unary(kernel), torch: .unary(torch),
            shapeRule: ShapeRules.same,
            kernel: { backend, x, _ in try backend.unary(kernel, x[0]) },
            derivative: { c in [try derivative(c)] })
    }

    public static let neg = unary(.neg, torch: "torch.neg", aliases: ["torch.neg", "torch.negative"], summary: "−x",
                                  dtypes: .numeric) { c in try c.upstream.neg() }

    public static let exp = unary(.exp, torch: "torch.exp", aliases: ["torch.exp"], summary: "eˣ") { c in
        try c.upstream * c.output
    }

    public static let log = unary(.log, torch: "torch.log", aliases: ["torch.log"], summary: "natural logarithm",
                                  domain: .positive) { c in
        try c.upstream / c.inputs[0]
    }

    public static let sqrt = unary(.sqrt, torch: "torch.sqrt", aliases: ["torch.sqrt"], summary: "√x", domain: .positive) { c in
        // d√x = 1 / (2√x)
        try c.upstream * 0.5 / c.output
    }

    public static let abs = unary(.abs, torch: "torch.abs", aliases: ["torch.abs"], summary: "|x|", dtypes: .numeric,
                                  domain: .separated) { c in
        try c.upstream * c.inputs[0].sign()
    }

    public static let sign = unary(.sign, torch: "mino.sign", aliases: ["torch.sign"], summary: "−1, 0 or 1",
                                   dtypes: .numeric, domain: .separated) { _ in
        nil  // zero almost everywhere
    }

    public static let relu = unary(.relu, torch: "torch.relu", aliases: ["torch.relu", "F.relu", "torch.nn.functional.relu"],
                                   summary: "max(x, 0)", dtypes: .numeric, domain: .separated) { c in
        try c.upstream * (c.inputs[0] > 0)
    }

    public static let sigmoid = unary(.sigmoid, torch: "torch.sigmoid", aliases: ["torch.sigmoid", "F.sigmoid", "torch.nn.functional.sigmoid"],
                                      summary: "1 / (1 + e⁻ˣ)") { c in
        // σ' = σ(1 − σ)
        try c.upstream * c.output * (1 - c.output)
    }

    public static let tanh = unary(.tanh, torch: "torch.tanh", aliases: ["torch.tanh", "F.tanh", "torch.nn.functional.tanh"],
                                   summary: "hyperbolic tangent") { c in
        // tanh' = 1 − tanh²
        try c.upstream * (1 - c.output * c.output)
    }

    public static let erf = unary(.erf, torch: "torch.erf", aliases: ["torch.erf", "torch.special.erf"], summary: "the error function") { c in
        // erf' = 2/√π · e^(−x²)
        let x = c.inputs[0]
        return try c.upstream * (x * x).neg().exp() * (2 / Double.pi.squareRoot())
    }

    public static let sin: OpDefinition = unary(.sin, torch: "torch.sin", aliases: ["torch.sin"], summary: "sine") { c in
        try c.upstream * Dispatch.apply(Ops.cos, [c.inputs[0]])
    }

    public static let cos: OpDefinition = unary(.cos, torch: "torch.cos", aliases: ["torch.cos"], summary: "cosine") { c in
        // cos' = −sin
        try (c.upstream * Dispatch.apply(Ops.sin, [c.inputs[0]])).neg()
    }
}

// MARK: - Binary

extension Ops {
    /// An elementwise op of two tensors, broadcast; `torch` is how PyTorch computes it.
    private static func binary(_ kernel: BinaryKernel, torch: TorchCall, aliases: [String], summary: String,
                               dtypes: DTypePolicy = .numeric, domain: ValueDomain = .any,
                               derivative: ((DerivativeContext) throws -> [Tensor?])?) -> OpDefinition {
        OpDefinition(
            primitive: kernel.rawValue, aliases: aliases, summary: summary,
            signature: OpSignature(inputs: [.value, .value], dtypes: dtypes, domain: domain, broadcasts: true),
            runs: .binary(kernel), torch: torch,
            shapeRule: ShapeRules.broadcast(kernel.rawValue),
            kernel: { backend, x, _ in
                try backend.binary(kernel, x[0], x[1], shape: try Shape.broadcast(x[0].shape, x[1].shape, op: kernel.rawValue))
            },
            derivative: derivative)
    }

    public static let add = binary(.add, torch: .binary("torch.add"), aliases: ["+", "torch.add"], summary: "a + b") { c in
        [c.upstream, c.upstream]
    }

    public static let sub = binary(.sub, torch: .binary("torch.sub"), aliases: ["-", "torch.sub", "torch.subtract"], summary: "a − b") { c in
        [c.upstream, c.needsGradient[1] ? try c.upstream.neg() : nil]
    }

    public static let mul = binary(.mul, torch: .binary("torch.mul"), aliases: ["*", "torch.mul", "torch.multiply"], summary: "a · b") { c in
        [c.needsGradient[0] ? try c.upstream * c.inputs[1] : nil,
         c.needsGradient[1] ? try c.upstream * c.inputs[0] : nil]
    }

    public static let div = binary(.div, torch: .binary("torch.div"), aliases: ["/", "torch.div", "torch.true_divide"], summary: "a / b",
                                   dtypes: .floating) { c in
        // ∂(a/b)/∂a = 1/b; ∂(a/b)/∂b = −a/b² = −(a/b)/b
        [c.needsGradient[0] ? try c.upstream / c.inputs[1] : nil,
         c.needsGradient[1] ? try (c.upstream * c.output / c.inputs[1]).neg() : nil]
    }

    // Numeric, as PyTorch's: int64 ** int64 stays int64 (exact, wrapping); with a float
    // operand it computes in the float dtype.
    public static let pow = binary(.pow, torch: .binary("torch.pow"), aliases: ["**", "torch.pow"], summary: "aᵇ", dtypes: .numeric,
                                   domain: .power) { c in
        // ∂aᵇ/∂a = b·aᵇ⁻¹ and ∂aᵇ/∂b = aᵇ·ln a, with PyTorch's values at the removable
        // singularities: ∂a is 0 where b = 0 (aᵇ ≡ 1, though 0·0⁻¹ is NaN) and ∂b is 0
        // where a = 0 and b ≥ 0 (0ᵇ ≡ 0 or 1 there, though 0·ln 0 is NaN). A negative
        // base gives ∂b = NaN (ln a), as in PyTorch.
        let (a, b) = (c.inputs[0], c.inputs[1])
        let zero = try c.upstream.constant(0)
        return [c.needsGradient[0] ? try Tensor.where(b.equal(zero), zero, c.upstream * b * a.pow(b - 1)) : nil,
                c.needsGradient[1] ? try Tensor.where(a.equal(zero) * (b >= 0), zero, c.upstream * c.output * a.log())
                    : nil]
    }

    /// Gradient split of `maximum` / `minimum`: all to the winner, half each on ties (as PyTorch).
    private static func winnerShare(_ winner: Tensor, _ tie: Tensor) throws -> Tensor {
        try winner + tie * 0.5
    }

    public static let maximum = binary(.maximum, torch: .binary("torch.maximum"), aliases: ["torch.maximum", "torch.max_elementwise"],
                                       summary: "elementwise max(a, b)", domain: .separated) { c in
        let (a, b) = (c.inputs[0], c.inputs[1])
        let tie = try a.equal(b)
        return [c.needsGradient[0] ? try c.upstream * winnerShare(try a > b, tie) : nil,
                c.needsGradient[1] ? try c.upstream * winnerShare(try b > a, tie) : nil]
    }

    public static let minimum = binary(.minimum, torch: .binary("torch.minimum"), aliases: ["torch.minimum"],
                                       summary: "elementwise min(a, b)", domain: .separated) { c in
        let (a, b) = (c.inputs[0], c.inputs[1])
        let tie = try a.equal(b)
        return [c.needsGradient[0] ? try c.upstream * winnerShare(try a < b, tie) : nil,
                c.needsGradient[1] ? try c.upstream * winnerShare(try b < a, tie) : nil]
    }

    /// Comparisons give 1/0 in the operands' dtype: helpers that write into a new tensor of the result's shape.
    private static func comparison(_ helper: String) -> TorchCall {
        TorchCall(helper, [.input(0), .input(1), .outputShape])
    }

    public static let equal = binary(.equal, torch: comparison("mino.eq"), aliases: ["=", "==", "torch.eq"], summary: "1 where a = b",
                                     derivative: nil)
    public static let notEqual = binary(.notEqual, torch: comparison("mino.ne"), aliases: ["!=", "torch.ne"], summary: "1 where a ≠ b",
                                        derivative: nil)
    public static let less = binary(.less, torch: comparison("mino.lt"), aliases: ["<", "torch.lt"], summary: "1 where a < b", derivative: nil)
    public static let lessEqual = binary(.lessEqual, torch: comparison("mino.le"), aliases: ["<=", "torch.le"], summary: "1 where a ≤ b",
                                         derivative: nil)
    public static let greater = binary(.greater, torch: comparison("mino.gt"), aliases: [">", "torch.gt"], summary: "1 where a > b",
                                       derivative: nil)
    public static let greaterEqual = binary(.greaterEqual, torch: comparison("mino.ge"), aliases: [">=", "torch.ge"], summary: "1 where a ≥ b",
                                            derivative: nil)
}

// MARK: - Select and cast

extension Ops {
    public static let `where` = OpDefinition(
        primitive: "where", aliases: ["torch.where"], summary: "condition ≠ 0 ? a : b",
        signature: OpSignature(inputs: [.condition, .value, .value], broadcasts: true),
        runs: .select, torch: TorchCall("mino.select", [.input(0), .input(1), .input(2)]),
        shapeRule: ShapeRules.broadcast("where"),
        kernel: { backend, x, _ in
            let shape = try Shape.broadcast(try Shape.broadcast(x[0].shape, x[1].shape, op: "where"),
                                            x[2].shape, op: "where")
            return try backend.select(x[0], x[1], x[2], shape: shape)
        },
        derivative: { c in
            let zero = try c.upstream.scalarLike(0)
            return [nil,
                    c.needsGradient[1] ? try Tensor.where(c.inputs[0], c.upstream, zero) : nil,
                    c.needsGradient[2] ? try Tensor.where(c.inputs[0], zero, c.upstream) : nil]
        })

    public static let cast = OpDefinition(
        primitive: "cast", aliases: ["to", "torch.Tensor.to", "astype"], summary: "the values in another dtype",
        signature: OpSignature(inputs: [.value], attributes: .dtype),
        runs: .cast, torch: TorchCall("mino.cast", [.input(0), .dtype]),
        shapeRule: { specs, attributes in
            guard let target = attributes.dtype else {
                throw MinoError.argument("cast", "needs a target dtype")
            }
            return TensorSpec(specs[0].shape, target)
        },
        kernel: { backend, x, attributes in try backend.cast(x[0], to: attributes.dtype ?? x[0].dtype) },
        derivative: { c in
            let source = c.inputs[0].dtype
            return [source.isFloatingPoint ? try c.upstream.cast(to: source) : nil]
        })
}
