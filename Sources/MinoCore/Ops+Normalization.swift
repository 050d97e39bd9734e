import Foundation

// flatten, embedding, layer norm and batch norm, with the normalizations' input
// gradients as ops of their own (layerNormBackward, batchNormBackward).

// MARK: - Flatten, embedding, normalization

extension Ops {
    public static let flatten = OpDefinition(
        composite: "flatten", aliases: ["torch.flatten"],
        summary: "axes start_dim … end_dim (inclusive) merged into one",
        signature: OpSignature(inputs: [.value], attributes: .axisRange),
        torch: TorchCall("torch.flatten", [.input(0), .axesElement(0), .axesElement(1)]),
        shapeRule: { specs, a in
            let x = specs[0].shape
            guard a.axes.count == 2 else {
                throw MinoError.argument("flatten", "needs start_dim and end_dim, got \(a.axes)")
            }
            if x.rank == 0 {
                // torch.flatten of a scalar is a vector of one element.
                guard a.axes.allSatisfy({ $0 == 0 || $0 == -1 }) else {
                    throw MinoError.argument("flatten", "dimension out of range for a scalar: \(a.axes)")
                }
                a.axes = [0, 0]
                return TensorSpec([1], specs[0].dtype)
            }
            let start = try x.normalizedAxis(a.axes[0], op: "flatten")
            let end = try x.normalizedAxis(a.axes[1], op: "flatten")
            guard start <= end else {
                throw MinoError.argument("flatten", "start_dim \(a.axes[0]) comes after end_dim \(a.axes[1]) for \(x)")
            }
            a.axes = [start, end]
            let merged = try checkedProduct("flatten", Array(x.dims[start...end]))
            return TensorSpec(Shape(Array(x.dims[..<start]) + [merged] + Array(x.dims[(end + 1)...])), specs[0].dtype)
        },
        implementation: { x, a in
            if x[0].rank == 0 { return try x[0].reshape([1]) }
            let d = x[0].shape.dims, (s, e) = (a.axes[0], a.axes[1])
            return try x[0].reshape(Shape(Array(d[..<s]) + [d[s...e].reduce(1, *)] + Array(d[(e + 1)...])))
        },
        derivative: { c in [try c.upstream.reshape(c.inputs[0].shape)] })

    public static let embedding = OpDefinition(
        composite: "embedding", aliases: ["F.embedding", "torch.nn.functional.embedding"],
        summary: "rows of weight [V D] at int64 ids of any shape; padding_idx's row gets no gradient",
        signature: OpSignature(inputs: [.index(.rows), .value], attributes: .paddingIndex, dtypes: .floating),
        torch: TorchCall("F.embedding", [.input(0), .input(1), .index]),
        shapeRule: { specs, a in
            let (ids, weight) = (specs[0].shape, specs[1].shape)
            guard weight.rank == 2 else {
                throw MinoError.shape("embedding", [ids, weight], "expected ids of any shape and weight [V D]")
            }
            if let p = a.index {
                guard p >= -weight[0], p < weight[0] else {
                    throw MinoError.argument("embedding", "padding_idx \(p) is outside the \(weight[0]) rows of \(weight)")
                }
                a.index = p < 0 ? p + weight[0] : p
            }
            return TensorSpec(Shape(ids.dims + [weight[1]]), specs[1].dtype)
        },
        implementation: { x, _ in
            let (ids, weight) = (x[0], x[1])
            return try weight.indexSelect(axis: 0, indices: ids.reshape([-1]))
                .reshape(Shape(ids.shape.dims + [weight.shape[1]]))
        },
        derivative: { c in
            let (ids, weight) = (c.inputs[0], c.inputs[1])
            let (v, d) = (weight.shape[0], weight.shape[1])
            var dw = try c.upstream.reshape([-1, d]).indexAdd(axis: 0, indices: ids.reshape([-1]), shape: weight.shape)
            if let p = c.attributes.index {
                var keep = [Double](repeating: 1, count: v)
                keep[p] = 0
                dw = try dw * Tensor(doubles: keep, shape: [v, 1], dtype: weight.dtype, on: weight.backend)
            }
            return [nil, dw]
        })

    private static func layerNormImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        let (input, weight, bias) = (x[0], x[1], x[2])
        let axes = Array((input.rank - weight.rank)..<input.rank)
        let centered = try input - input.mean(axes: axes, keepDims: true)
        // The biased variance, as PyTorch normalizes with.
        let variance = try (centered * centered).mean(axes: axes, keepDims: true)
        return try centered / (variance + a.epsilon).sqrt() * weight + bias
    }

    public static let layerNorm = OpDefinition(
        composite: "layerNorm", aliases: ["F.layer_norm", "torch.nn.functional.layer_norm", "layer_norm"],
        summary: "(x − mean) / √(var + ε) · weight + bias over the trailing axes of weight's shape",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .normalization, dtypes: .floating),
        torch: TorchCall("F.layer_norm", [.input(0), .inputShape(1), .optionalInput(1), .optionalInput(2), .epsilon]),
        fusedKernel: .layerNorm,
        shapeRule: { specs, a in
            let (x, w, b) = (specs[0].shape, specs[1].shape, specs[2].shape)
            guard w.rank >= 1, w.rank <= x.rank, Array(x.dims.suffix(w.rank)) == w.dims, b == w else {
                throw MinoError.shape("layerNorm", [x, w, b],
                                      "weight and bias must both have the normalized shape, the input's trailing axes")
            }
            guard a.epsilon >= 0 else { throw MinoError.argument("layerNorm", "eps \(a.epsilon) is negative") }
            return specs[0]
        },
        implementation: layerNormImplementation,
        derivative: { c in
            let (x, weight, up) = (c.inputs[0], c.inputs[1], c.upstream)
            let dx = c.needsGradient[0]
                ? try Dispatch.apply(layerNormBackward, [x, weight, up], c.attributes) : nil
            guard c.needsGradient[1] || c.needsGradient[2] else { return [dx, nil, nil] }
            // ∂weight = Σ rows up·x̂, ∂bias = Σ rows up.
            let rows = Array(0..<(x.rank - weight.rank))
            let xhat = try normalized(x, axes: Array((x.rank - weight.rank)..<x.rank), c.attributes.epsilon).xhat
            return [dx, c.needsGradient[1] ? try (up * xhat).sum(axes: rows) : nil,
                    c.needsGradient[2] ? try up.sum(axes: rows) : nil]
        })

    /// `x̂ = (x − mean) / √(var + ε)` over `axes` (biased variance), and `1 / √(var + ε)`, both kept
    /// broadcastable to `x`.
    static func normalized(_ x: Tensor, axes: [Int], _ epsilon: Double) throws -> (xhat: Tensor, rstd: Tensor) {
        let centered = try x - x.mean(axes: axes, keepDims: true)
        let rstd = try 1 / ((centered * centered).mean(axes: axes, keepDims: true) + epsilon).sqrt()
        return (try centered * rstd, rstd)
    }

    /// The input gradient of a normalization over `axes` scaled by `weight` (broadcast to `x`):
    /// `rstd · (g − mean(g) − x̂ · mean(g · x̂))` with `g = upstream · weight`.
    static func normalizationInputGradient(_ x: Tensor, _ weight: Tensor, _ upstream: Tensor, axes: [Int],
                                           _ epsilon: Double) throws -> Tensor {
        let (xhat, rstd) = try normalized(x, axes: axes, epsilon)
        let g = try upstream * weight
        return try rstd * (g - g.mean(axes: axes, keepDims: true) - xhat * (g * xhat).mean(axes: axes, keepDims: true))
    }

    private static func layerNormBackwardImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        let (input, weight) = (x[0], x[1])
        return try normalizationInputGradient(input, weight, x[2], axes: Array((input.rank - weight.rank)..<input.rank),
                                              a.epsilon)
    }

    /// The input gradient of ``layerNorm`` as one op: `∂x` from the input, the weight and the
    /// output's gradient. A backend may run it as one pass per row.
    public static let layerNormBackward = OpDefinition(
        composite: "layerNormBackward",
        summary: "the input gradient of layerNorm: ∂x from input, weight (the normalized shape) and ∂output",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .normalization, dtypes: .floating),
        torch: TorchCall("mino.layer_norm_backward", [.input(0), .input(1), .input(2), .epsilon]),
        fusedKernel: .layerNormBackward,
        shapeRule: { specs, a in
            let (x, w, up) = (specs[0].shape, specs[1].shape, specs[2].shape)
            guard w.rank >= 1, w.rank <= x.rank, Array(x.dims.suffix(w.rank)) == w.dims, up == x else {
                throw MinoError.shape("layerNormBackward", [x, w, up],
                                      "the weight must have the input's trailing axes and the output's gradient its shape")
            }
            guard a.epsilon >= 0 else { throw MinoError.argument("layerNormBackward", "eps \(a.epsilon) is negative") }
            return specs[0]
        },
        implementation: layerNormBackwardImplementation,
        derivative: recomputed(layerNormBackwardImplementation))
}

extension Ops {
    private static func batchNormImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        let input = x[0]
        let broadcast = Shape([input.shape[1]] + [Int](repeating: 1, count: input.rank - 2))
        let (mean, variance) = a.training ? try batchStatistics(input) : (x[1], x[2])
        let scale = try x[3] / (variance + a.epsilon).sqrt()
        return try (input - mean.reshape(broadcast)) * scale.reshape(broadcast) + x[4].reshape(broadcast)
    }

    /// The per-channel mean and biased variance of `[N C …]` over every axis but 1.
    static func batchStatistics(_ x: Tensor) throws -> (mean: Tensor, variance: Tensor) {
        let axes = [0] + Array(2..<x.rank)
        let mean = try x.mean(axes: axes)
        let centered = try x - mean.reshape(Shape([x.shape[1]] + [Int](repeating: 1, count: x.rank - 2)))
        return (mean, try (centered * centered).mean(axes: axes))
    }

    public static let batchNorm = OpDefinition(
        composite: "batchNorm", aliases: ["F.batch_norm", "torch.nn.functional.batch_norm", "batch_norm"],
        summary: "(x − mean) / √(var + ε) · weight + bias per channel of [N C …]: the batch's statistics "
            + "when training, else the running ones (which get no gradient)",
        signature: OpSignature(inputs: [.value, .statistic, .statistic, .value, .value], attributes: .normalization,
                               dtypes: .floating, domain: .positive),
        torch: TorchCall("mino.batch_norm", [.input(0), .input(1), .input(2), .input(3), .input(4), .training,
                                                .epsilon]),
        fusedKernel: .batchNorm,
        shapeRule: { specs, a in
            let shapes = specs.map(\.shape)
            let x = shapes[0]
            guard x.rank >= 2, shapes.dropFirst().allSatisfy({ $0 == Shape([x[1]]) }) else {
                throw MinoError.shape("batchNorm", shapes,
                                      "expected input [N C …] and running mean, running var, weight and bias [C]")
            }
            // PyTorch: eps may be 0 in evaluation, never when training (batch variances can be 0).
            guard a.epsilon > 0 || (!a.training && a.epsilon == 0) else {
                throw MinoError.argument("batchNorm", "eps \(a.epsilon) must be positive"
                                         + (a.training ? " when training" : " or 0"))
            }
            if a.training, x.elementCount / Swift.max(x[1], 1) <= 1 {
                throw MinoError.shape("batchNorm", shapes, "expected more than 1 value per channel when training")
            }
            return specs[0]
        },
        implementation: batchNormImplementation,
        derivative: { c in
            // The running statistics are buffers: no gradient, as in PyTorch.
            guard c.attributes.training else {
                var grads = try recomputed(batchNormImplementation)(c)
                grads[1] = nil
                grads[2] = nil
                return grads
            }
            // Training: ∂x by batchNormBackward; ∂weight = Σ up·x̂, ∂bias = Σ up over every axis but 1.
            let (x, weight, up) = (c.inputs[0], c.inputs[3], c.upstream)
            let dx = c.needsGradient[0]
                ? try Dispatch.apply(batchNormBackward, [x, weight, up], c.attributes) : nil
            guard c.needsGradient[3] || c.needsGradient[4] else { return [dx, nil, nil, nil, nil] }
            let axes = [0] + Array(2..<x.rank)
            let xhat = try normalized(x, axes: axes, c.attributes.epsilon).xhat
            return [dx, nil, nil, c.needsGradient[3] ? try (up * xhat).sum(axes: axes) : nil,
                    c.needsGradient[4] ? try up.sum(axes: axes) : nil]
        })

    private static func batchNormBackwardImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        let input = x[0]
        let broadcast = Shape([input.shape[1]] + [Int](repeating: 1, count: input.rank - 2))
        return try normalizationInputGradient(input, x[1].reshape(broadcast), x[2], axes: [0] + Array(2..<input.rank),
                                              a.epsilon)
    }

    /// The input gradient of ``batchNorm`` in training (batch statistics) as one op: `∂x` from the
    /// input `[N C …]`, the weight `[C]` and the output's gradient. A backend may run it as one pass
    /// per channel.
    public static let batchNormBackward = OpDefinition(
        composite: "batchNormBackward",
        summary: "the input gradient of batchNorm in training: ∂x from input [N C …], weight [C] and ∂output",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .normalization, dtypes: .floating),
        torch: TorchCall("mino.batch_norm_backward", [.input(0), .input(1), .input(2), .epsilon]),
        fusedKernel: .batchNormBackward,
        shapeRule: { specs, a in
            let (x, w, up) = (specs[0].shape, specs[1].shape, specs[2].shape)
            guard x.rank >= 2, w == Shape([x[1]]), up == x else {
                throw MinoError.shape("batchNormBackward", [x, w, up],
                                      "expected input [N C …], weight [C] and the output's gradient of the input's shape")
            }
            guard a.epsilon > 0 else { throw MinoError.argument("batchNormBackward", "eps \(a.epsilon) must be positive") }
            if x.elementCount / Swift.max(x[1], 1) <= 1 {
                throw MinoError.shape("batchNormBackward", [x, w, up], "expected more than 1 value per channel")
            }
            return specs[0]
        },
        implementation: batchNormBackwardImplementation,
        derivative: recomputed(batchNormBackwardImplementation))
}
