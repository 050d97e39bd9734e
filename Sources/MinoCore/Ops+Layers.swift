import Foundation

// Layers for real models: activations and the negative log-likelihood here; convolution
// (Ops+Convolution), pooling (Ops+Pooling), flattening, embedding and normalization
// (Ops+Normalization), recurrent layers (Ops+Recurrent). Each is a composite with
// PyTorch's semantics, built from primitives (a backend may fuse some).

// MARK: - Derivatives by recomputation

extension Ops {
    /// The derivative of a composite whose implementation is built from
    /// differentiable registered ops: runs the implementation again on fresh
    /// leaves with recording on, and takes their gradients from `upstream`.
    /// The gradient is therefore the chain rule over those ops' own derivatives.
    static func recomputed(_ implementation: @escaping ([Tensor], OpAttributes) throws -> Tensor)
        -> (DerivativeContext) throws -> [Tensor?] {
        { c in
            try GradMode.withGradients {
                let leaves: [Tensor] = c.inputs.enumerated().map { i, t in
                    let leaf = t.detached()
                    leaf.requiresGrad = c.needsGradient[i] && t.dtype.isFloatingPoint
                    return leaf
                }
                let out = try implementation(leaves, c.attributes)
                guard out.requiresGrad else { return leaves.map { _ in nil } }
                try Graph(root: out).backward(seed: c.upstream)
                return leaves.map { $0.requiresGrad ? $0.grad : nil }
            }
        }
    }

    /// `a + b + …`, throwing (naming `op`) instead of overflowing.
    static func checkedSum(_ op: String, _ terms: [Int]) throws -> Int {
        var total = 0
        for t in terms {
            let (r, overflow) = total.addingReportingOverflow(t)
            guard !overflow else { throw MinoError.argument(op, "sizes \(terms) overflow") }
            total = r
        }
        return total
    }

    /// `a · b · …`, throwing (naming `op`) instead of overflowing.
    public static func checkedProduct(_ op: String, _ factors: [Int]) throws -> Int {
        var p = 1
        for f in factors {
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            guard !overflow else { throw MinoError.argument(op, "sizes \(factors) overflow") }
            p = r
        }
        return p
    }
}

// MARK: - Activations

extension Ops {
    private static func activation(_ name: String, aliases: [String], fused: FusedKernel, torch: TorchCall, summary: String,
                                   attributes: AttributeSchema = .none, domain: ValueDomain = .any,
                                   implementation: @escaping (Tensor, Double) throws -> Tensor,
                                   slope: @escaping (Tensor, Tensor, Double) throws -> Tensor) -> OpDefinition {
        OpDefinition(
            composite: name, aliases: aliases, summary: summary,
            signature: OpSignature(inputs: [.value], attributes: attributes, dtypes: .floating, domain: domain),
            torch: torch, fusedKernel: fused,
            shapeRule: ShapeRules.same,
            implementation: { x, a in try implementation(x[0], a.scalar) },
            derivative: { c in [try c.upstream * slope(c.inputs[0], c.output, c.attributes.scalar)] })
    }

    public static let leakyRelu = activation(
        "leakyRelu", aliases: ["F.leaky_relu", "torch.nn.functional.leaky_relu", "leaky_relu"],
        fused: .leakyRelu, torch: TorchCall("F.leaky_relu", [.input(0), .scalar]),
        summary: "x where x > 0, else negative_slope · x", attributes: .scalar("negative_slope", 0.01),
        domain: .separated,
        implementation: { x, slope in try Tensor.where(x > 0, x, x * slope) },
        slope: { x, _, slope in try Tensor.where(x > 0, x.scalarLike(1), x.scalarLike(slope)) })

    public static let elu = activation(
        "elu", aliases: ["F.elu", "torch.nn.functional.elu"],
        fused: .elu, torch: TorchCall("F.elu", [.input(0), .scalar]),
        summary: "x where x > 0, else α(eˣ − 1)", attributes: .scalar("alpha", 1), domain: .separated,
        implementation: { x, alpha in try Tensor.where(x > 0, x, (x.exp() - 1) * alpha) },
        slope: { x, _, alpha in try Tensor.where(x > 0, x.scalarLike(1), x.exp() * alpha) })

    /// PyTorch's threshold: above `beta·x > 20` softplus is `x` itself.
    static let softplusThreshold = 20.0

    public static let softplus = activation(
        "softplus", aliases: ["F.softplus", "torch.nn.functional.softplus"],
        fused: .softplus, torch: TorchCall("F.softplus", [.input(0), .scalar]),
        summary: "log(1 + e^(βx)) / β, and x where βx > 20", attributes: .scalar("beta", 1),
        implementation: { x, beta in
            let bx = try x * beta
            return try Tensor.where(bx > softplusThreshold, x, (bx.exp() + 1).log() * (1 / beta))
        },
        slope: { x, _, beta in
            // d/dx log(1 + e^(βx))/β = σ(βx)
            let bx = try x * beta
            return try Tensor.where(bx > softplusThreshold, x.scalarLike(1), bx.sigmoid())
        })

    public static let silu = activation(
        "silu", aliases: ["F.silu", "torch.nn.functional.silu", "swish"], fused: .silu, torch: .unary("F.silu"),
        summary: "x · σ(x)",
        implementation: { x, _ in try x * x.sigmoid() },
        slope: { x, _, _ in
            // (xσ)' = σ + xσ(1 − σ)
            let s = try x.sigmoid()
            return try s + x * s * (1 - s)
        })

    public static let gelu = activation(
        "gelu", aliases: ["F.gelu", "torch.nn.functional.gelu"], fused: .gelu, torch: .unary("F.gelu"),
        summary: "x · Φ(x), Φ the normal CDF (exact, erf)",
        implementation: { x, _ in try x * ((x * (1 / 2.0.squareRoot())).erf() + 1) * 0.5 },
        slope: { x, _, _ in
            // (xΦ)' = Φ(x) + x·φ(x), φ(x) = e^(−x²/2) / √(2π)
            let cdf = try ((x * (1 / 2.0.squareRoot())).erf() + 1) * 0.5
            let pdf = try (x * x * -0.5).exp() * (1 / (2 * Double.pi).squareRoot())
            return try cdf + x * pdf
        })

    public static let nllLoss = OpDefinition(
        composite: "nllLoss", aliases: ["F.nll_loss", "torch.nn.functional.nll_loss", "nll_loss"],
        summary: "−input[n, label[n]] of log-probabilities [N C] against int64 labels [N], reduced",
        signature: OpSignature(inputs: [.value, .index(.labels)], attributes: .reduction, dtypes: .floating),
        torch: TorchCall("F.nll_loss", [.input(0), .input(1)], keywords: [TorchKeyword("reduction", .reduction)]),
        shapeRule: { specs, a in
            let (input, labels) = (specs[0].shape, specs[1].shape)
            guard input.rank == 2, labels.rank == 1, labels[0] == input[0] else {
                throw MinoError.shape("nllLoss", [input, labels], "expected input [N C] and labels [N]")
            }
            return TensorSpec(a.reduction == .none ? labels : .scalar, specs[0].dtype)
        },
        implementation: { x, a in
            let n = x[0].shape[0]
            let picked = try x[0].gather(axis: 1, indices: x[1].reshape([n, 1]))
            return try reduce(picked.reshape([n]).neg(), a.reduction)
        },
        derivative: { c in
            // ∂/∂input[n, label[n]] = −g[n]; zero elsewhere.
            let (input, labels) = (c.inputs[0], c.inputs[1])
            let n = input.shape[0]
            let g = try lossUpstream(c.upstream, c.attributes.reduction, [n]).reshape([n, 1]).neg()
            return [try g.scatterAdd(axis: 1, indices: labels.reshape([n, 1]), shape: input.shape), nil]
        })
}
