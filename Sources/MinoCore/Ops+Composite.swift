// MARK: - Composites: default implementations from primitives, fusable by a backend

extension Ops {
    public static let mean = OpDefinition(
        composite: "mean", aliases: ["torch.mean"], summary: "average over axes (all when none given)",
        signature: OpSignature(inputs: [.value], attributes: .axes, dtypes: .floating),
        torch: TorchCall("torch.mean", [.input(0), .axes, .keepDims]),
        fusedKernel: .mean,
        shapeRule: ShapeRules.reduction("mean"),
        implementation: { x, a in
            try x[0].sum(axes: a.axes, keepDims: a.keepDims) * (1 / Double(reducedCount(x[0].shape, a.axes)))
        },
        derivative: { c in
            let n = Double(reducedCount(c.inputs[0].shape, c.attributes.axes))
            return [try c.upstream.unreduced(c.attributes.axes, to: c.inputs[0].shape) * (1 / n)]
        })

    /// How many elements each output of a reduction over `axes` summarizes: 0 for
    /// an empty axis, so the mean of nothing is 0 · (1/0) = NaN, as in PyTorch.
    static func reducedCount(_ shape: Shape, _ axes: [Int]) -> Int {
        axes.reduce(1) { $0 * shape[$1] }
    }

    public static let transpose = OpDefinition(
        composite: "transpose", aliases: ["torch.transpose", "torch.swapaxes"], summary: "two axes swapped",
        signature: OpSignature(inputs: [.value], attributes: .axes),
        torch: TorchCall("torch.transpose", [.input(0), .axesElement(0), .axesElement(1)]),
        shapeRule: { specs, a in
            let shape = specs[0].shape
            guard a.axes.count == 2 else {
                throw MinoError.argument("transpose", "needs exactly two axes, got \(a.axes)")
            }
            a.axes = try a.axes.map { try shape.normalizedAxis($0, op: "transpose") }
            var dims = shape.dims
            dims.swapAt(a.axes[0], a.axes[1])
            return TensorSpec(Shape(dims), specs[0].dtype)
        },
        implementation: { x, a in try x[0].permute(swapPermutation(x[0].rank, a.axes[0], a.axes[1])) },
        derivative: { c in [try c.upstream.permute(swapPermutation(c.upstream.rank, c.attributes.axes[0], c.attributes.axes[1]))] })

    static func swapPermutation(_ rank: Int, _ i: Int, _ j: Int) -> [Int] {
        var p = Array(0..<rank)
        if rank > 0 { p.swapAt(i, j) }
        return p
    }

    public static let stack = OpDefinition(
        composite: "stack", aliases: ["torch.stack"], summary: "tensors of one shape joined along a new axis",
        signature: OpSignature(inputs: [.value], variadic: true, attributes: .axis),
        torch: TorchCall("torch.stack", [.inputs, .axis]),
        shapeRule: { specs, a in
            let first = specs[0].shape
            guard specs.allSatisfy({ $0.shape == first }) else {
                throw MinoError.shape("stack", specs.map(\.shape), "all tensors must have one shape")
            }
            let extended = Shape(first.dims + [1])
            a.axis = try extended.normalizedAxis(a.axis, op: "stack")
            var dims = first.dims
            dims.insert(specs.count, at: a.axis)
            return TensorSpec(Shape(dims), specs[0].dtype)
        },
        implementation: { xs, a in
            let parts = try xs.map { try $0.unsqueeze(a.axis) }
            return try Tensor.concat(parts, axis: a.axis)
        },
        derivative: { c in
            try c.inputs.enumerated().map { i, input in
                guard c.needsGradient[i] else { return nil }
                return try c.upstream.narrow(axis: c.attributes.axis, start: i, length: 1).reshape(input.shape)
            }
        })

    /// Normalizes the single `axis` of an op on a tensor of rank ≥ 1.
    static func axisRule(_ op: String) -> ([TensorSpec], inout OpAttributes) throws -> TensorSpec {
        { specs, a in
            a.axis = try specs[0].shape.normalizedAxis(a.axis, op: op)
            return specs[0]
        }
    }

    public static let softmax = OpDefinition(
        composite: "softmax", aliases: ["torch.softmax", "F.softmax", "torch.nn.functional.softmax"],
        summary: "eˣ / Σeˣ along an axis",
        signature: OpSignature(inputs: [.value], attributes: .axis, dtypes: .floating),
        torch: TorchCall("torch.softmax", [.input(0), .axis]),
        fusedKernel: .softmax,
        shapeRule: axisRule("softmax"),
        implementation: { x, a in
            // An empty tensor has nothing to normalize (its axis may be empty: no max to shift by).
            if x[0].elementCount == 0 { return x[0] }
            // Shift by the max so exp never overflows; the result is unchanged.
            let shifted = try x[0] - x[0].max(axes: [a.axis], keepDims: true)
            let e = try shifted.exp()
            return try e / e.sum(axes: [a.axis], keepDims: true)
        },
        derivative: { c in
            // ∂softmax: y ⊙ (g − Σ g⊙y)
            let y = c.output
            let dot = try (c.upstream * y).sum(axes: [c.attributes.axis], keepDims: true)
            return [try y * (c.upstream - dot)]
        })

    public static let logSoftmax = OpDefinition(
        composite: "logSoftmax", aliases: ["torch.log_softmax", "F.log_softmax", "torch.nn.functional.log_softmax"],
        summary: "x − log Σeˣ along an axis",
        signature: OpSignature(inputs: [.value], attributes: .axis, dtypes: .floating),
        torch: TorchCall("torch.log_softmax", [.input(0), .axis]),
        fusedKernel: .logSoftmax,
        shapeRule: axisRule("logSoftmax"),
        implementation: { x, a in
            if x[0].elementCount == 0 { return x[0] }  // as softmax
            let shifted = try x[0] - x[0].max(axes: [a.axis], keepDims: true)
            return try shifted - shifted.exp().sum(axes: [a.axis], keepDims: true).log()
        },
        derivative: { c in
            // ∂logsoftmax: g − softmax(x) ⊙ Σg
            let total = try c.upstream.sum(axes: [c.attributes.axis], keepDims: true)
            return [try c.upstream - c.output.exp() * total]
        })

    public static let linear = OpDefinition(
        composite: "linear", aliases: ["F.linear", "torch.nn.functional.linear"],
        summary: "x @ wᵀ + b, with w of shape [out, in] (PyTorch's layout)",
        signature: OpSignature(inputs: [.value, .value, .value], dtypes: .floating),
        torch: TorchCall("F.linear", [.input(0), .input(1), .optionalInput(2)]),
        fusedKernel: .linear,
        shapeRule: { specs, _ in
            let (x, w, b) = (specs[0].shape, specs[1].shape, specs[2].shape)
            guard x.rank >= 1, w.rank == 2, x[x.rank - 1] == w[1], b == Shape([w[0]]) else {
                throw MinoError.shape("linear", [x, w, b],
                                      "expected x [… in], weight [out in] and bias [out]")
            }
            return TensorSpec(Shape(x.dims.dropLast() + [w[0]]), specs[0].dtype)
        },
        implementation: { x, _ in
            try x[0].matmul(x[1].transposed()) + x[2]
        },
        derivative: { c in
            let (x, w) = (c.inputs[0], c.inputs[1])
            let features = w.shape[1], outputs = w.shape[0]
            let g2 = try c.upstream.reshape([-1, outputs])
            return [
                c.needsGradient[0] ? try c.upstream.matmul(w) : nil,
                c.needsGradient[1] ? try g2.transposed().matmul(x.reshape([-1, features])) : nil,
                c.needsGradient[2] ? try g2.sum(axes: [0]) : nil,
            ]
        })

    /// The output spec of a loss over two tensors of one shape.
    static func lossRule(_ op: String) -> ([TensorSpec], inout OpAttributes) throws -> TensorSpec {
        { specs, a in
            guard specs[0].shape == specs[1].shape else {
                throw MinoError.shape(op, [specs[0].shape, specs[1].shape], "input and target must have one shape")
            }
            return TensorSpec(a.reduction == .none ? specs[0].shape : .scalar, specs[0].dtype)
        }
    }

    /// Reduces per-element losses as `reduction` says.
    static func reduce(_ losses: Tensor, _ reduction: Reduction) throws -> Tensor {
        switch reduction {
        case .mean: return try losses.mean()
        case .sum: return try losses.sum()
        case .none: return losses
        }
    }

    /// The upstream gradient of a reduced loss, spread back over `shape`.
    static func lossUpstream(_ upstream: Tensor, _ reduction: Reduction, _ shape: Shape) throws -> Tensor {
        switch reduction {
        case .none: return upstream
        case .sum: return try upstream.expand(shape)
        case .mean: return try upstream.expand(shape) * (1 / Double(Swift.max(shape.elementCount, 1)))
        }
    }

    public static let mse = OpDefinition(
        composite: "mse", aliases: ["F.mse_loss", "torch.nn.functional.mse_loss", "mse_loss"],
        summary: "mean squared error",
        signature: OpSignature(inputs: [.value, .value], attributes: .reduction, dtypes: .floating),
        torch: TorchCall("mino.mse", [.input(0), .input(1), .reduction]),
        fusedKernel: .mse,
        shapeRule: lossRule("mse"),
        implementation: { x, a in
            let d = try x[0] - x[1]
            return try reduce(d * d, a.reduction)
        },
        derivative: { c in
            // ∂(p − t)²: 2(p − t), and its negative for the target.
            let g = try lossUpstream(c.upstream, c.attributes.reduction, c.inputs[0].shape)
            let gp = try g * (c.inputs[0] - c.inputs[1]) * 2
            return [c.needsGradient[0] ? gp : nil, c.needsGradient[1] ? try gp.neg() : nil]
        })

    public static let binaryCrossEntropyWithLogits = OpDefinition(
        composite: "binaryCrossEntropyWithLogits",
        aliases: ["F.binary_cross_entropy_with_logits", "torch.nn.functional.binary_cross_entropy_with_logits"],
        summary: "binary cross-entropy of sigmoid(x) against targets, computed stably from logits",
        signature: OpSignature(inputs: [.value, .value], attributes: .reduction, dtypes: .floating, domain: .unitInterval),
        torch: TorchCall("mino.bce_logits", [.input(0), .input(1), .reduction]),
        fusedKernel: .binaryCrossEntropyWithLogits,
        shapeRule: lossRule("binaryCrossEntropyWithLogits"),
        implementation: { x, a in
            // max(x, 0) − x·y + log(1 + e^−|x|): never exponentiates a large positive number.
            let (logits, y) = (x[0], x[1])
            let losses = try logits.relu() - logits * y + (logits.abs().neg().exp() + 1).log()
            return try reduce(losses, a.reduction)
        },
        derivative: { c in
            // ∂/∂x = σ(x) − y; ∂/∂y = −x
            let g = try lossUpstream(c.upstream, c.attributes.reduction, c.inputs[0].shape)
            return [c.needsGradient[0] ? try g * (c.inputs[0].sigmoid() - c.inputs[1]) : nil,
                    c.needsGradient[1] ? try (g * c.inputs[0]).neg() : nil]
        })

    public static let crossEntropy = OpDefinition(
        composite: "crossEntropy", aliases: ["F.cross_entropy", "torch.nn.functional.cross_entropy", "cross_entropy"],
        summary: "softmax cross-entropy of logits [N C] against int64 class labels [N]",
        signature: OpSignature(inputs: [.value, .index(.labels)], attributes: .reduction, dtypes: .floating),
        torch: TorchCall("mino.cross_entropy", [.input(0), .input(1), .reduction]),
        fusedKernel: .crossEntropy,
        shapeRule: { specs, a in
            let (logits, labels) = (specs[0].shape, specs[1].shape)
            guard logits.rank == 2, labels.rank == 1, labels[0] == logits[0] else {
                throw MinoError.shape("crossEntropy", [logits, labels], "expected logits [N C] and labels [N]")
            }
            return TensorSpec(a.reduction == .none ? labels : .scalar, specs[0].dtype)
        },
        implementation: { x, a in
            let (logits, labels) = (x[0], x[1])
            let n = logits.shape[0]
            let picked = try logits.logSoftmax(axis: 1).gather(axis: 1, indices: labels.reshape([n, 1]))
            return try reduce(picked.reshape([n]).neg(), a.reduction)
        },
        derivative: { c in
            // ∂/∂logits = softmax(logits) − onehot(labels), per row.
            let (logits, labels) = (c.inputs[0], c.inputs[1])
            let n = logits.shape[0]
            let g = try lossUpstream(c.upstream, c.attributes.reduction, [n]).reshape([n, 1])
            let onehot = try Tensor.ones([n, 1], dtype: logits.dtype, on: logits.backend)
                .scatterAdd(axis: 1, indices: labels.reshape([n, 1]), shape: logits.shape)
            return [try (logits.softmax(axis: 1) - onehot) * g, nil]
        })

    public static let dropout = OpDefinition(
        composite: "dropout", aliases: ["F.dropout", "torch.nn.functional.dropout"],
        summary: "x ⊙ mask / (1 − p), the mask drawn by Mino's generator",
        signature: OpSignature(inputs: [.value, .condition], attributes: .probability, dtypes: .floating),
        torch: TorchCall("mino.dropout", [.input(0), .input(1), .scalar]),
        shapeRule: { specs, a in
            guard specs[0].shape == specs[1].shape else {
                throw MinoError.shape("dropout", [specs[0].shape, specs[1].shape], "the mask must have the input's shape")
            }
            guard a.scalar >= 0, a.scalar < 1 else {
                throw MinoError.argument("dropout", "probability \(a.scalar) is outside [0, 1)")
            }
            return specs[0]
        },
        implementation: { x, a in try x[0] * x[1] * (1 / (1 - a.scalar)) },
        derivative: { c in [try c.upstream * c.inputs[1] * (1 / (1 - c.attributes.scalar)), nil] })
}
