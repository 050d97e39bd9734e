// MARK: - Reductions

extension Ops {
    public static let sum = OpDefinition(
        primitive: "sum", aliases: ["torch.sum"], summary: "sum over axes (all when none given)",
        signature: OpSignature(inputs: [.value], attributes: .axes),
        runs: .reduce(.sum), torch: TorchCall("torch.sum", [.input(0), .axes, .keepDims]),
        shapeRule: ShapeRules.reduction("sum"),
        kernel: { backend, x, a in
            // Only a scalar has no axes to reduce: the sum is the value itself.
            if a.axes.isEmpty { return x[0].storage }
            return try backend.reduce(.sum, x[0], axes: a.axes, keepDims: a.keepDims)
        },
        derivative: { c in
            // Every input element contributes once: spread the gradient back over the reduced axes.
            [try c.upstream.unreduced(c.attributes.axes, to: c.inputs[0].shape)]
        })

    public static let max = OpDefinition(
        primitive: "max", aliases: ["torch.amax", "amax"], summary: "largest value over axes (all when none given)",
        signature: OpSignature(inputs: [.value], attributes: .axes, domain: .separated),
        // NaN propagates, as in the reference.
        runs: .reduce(.max), torch: TorchCall("torch.amax", [.input(0), .axes, .keepDims]),
        shapeRule: { specs, a in
            let spec = try ShapeRules.reduction("max")(specs, &a)
            // The largest of nothing does not exist: refused (with the caller's shape, the same on
            // every backend) when there are outputs to fill; an empty result is fine (PyTorch
            // refuses both).
            let shape = specs[0].shape
            if spec.shape.elementCount > 0, let axis = a.axes.first(where: { shape[$0] == 0 }) {
                throw MinoError.shape("max", [shape], "cannot reduce the empty axis \(axis)")
            }
            return spec
        },
        kernel: { backend, x, a in
            if a.axes.isEmpty { return x[0].storage }
            return try backend.reduce(.max, x[0], axes: a.axes, keepDims: a.keepDims)
        },
        derivative: { c in
            // The gradient goes to the maximal elements, shared evenly on ties (as torch.amax).
            let x = c.inputs[0]
            let axes = c.attributes.axes
            let peak = try c.output.unreduced(axes, to: x.shape)
            let mask = try x.equal(peak)
            let count = try mask.sum(axes: axes, keepDims: true)
            return [try c.upstream.unreduced(axes, to: x.shape) * mask / count]
        })

    public static let argmax = OpDefinition(
        primitive: "argmax", aliases: ["torch.argmax"], summary: "position of the largest value along an axis",
        signature: OpSignature(inputs: [.value], attributes: .axisKeepDims, domain: .separated),
        // The first index on ties; int64.
        runs: .argmax, torch: TorchCall("torch.argmax", [.input(0), .axis, .keepDims]),
        shapeRule: { specs, a in
            let shape = specs[0].shape
            a.axis = try shape.normalizedAxis(a.axis, op: "argmax")
            guard shape.rank == 0 || shape[a.axis] > 0 else {
                throw MinoError.shape("argmax", [shape], "axis \(a.axis) is empty")
            }
            return TensorSpec(shape.rank == 0 ? shape : shape.reduced(over: [a.axis], keepDims: a.keepDims), .int64)
        },
        kernel: { backend, x, a in
            if x[0].shape.rank == 0 { return try backend.full(0, shape: .scalar, dtype: .int64) }
            return try backend.argmax(x[0], axis: a.axis, keepDims: a.keepDims)
        },
        derivative: nil)
}

extension Tensor {
    /// The gradient of a reduction over `axes` brought back to `shape`: the
    /// reduced axes restored as size 1, then broadcast.
    func unreduced(_ axes: [Int], to shape: Shape) throws -> Tensor {
        // Reduced over leading axes only (a full reduction among them): broadcasting
        // restores those axes by itself, no reshape needed.
        if rank + axes.count == shape.rank, axes.indices.allSatisfy({ axes[$0] == $0 }) {
            return self.shape == shape ? self : try expand(shape)
        }
        var kept = shape.dims
        for axis in axes { kept[axis] = 1 }
        let restored = Shape(kept)
        let withAxes = self.shape == restored ? self : try reshape(restored)
        return withAxes.shape == shape ? withAxes : try withAxes.expand(shape)
    }

    /// Sums a broadcast gradient back to `shape` (the adjoint of broadcasting).
    public func sumToShape(_ target: Shape) throws -> Tensor {
        if shape == target { return self }
        guard target.broadcasts(to: shape) else {
            throw MinoError.shape("sumToShape", [shape, target], "the target does not broadcast to the source")
        }
        let axes = target.broadcastAxes(to: shape)
        // Only leading axes to remove (a bias gradient): summing without keeping them gives the target.
        let leadingOnly = axes.count == shape.rank - target.rank
        let summed = axes.isEmpty ? self : try sum(axes: axes, keepDims: !leadingOnly)
        return summed.shape == target ? summed : try summed.reshape(target)
    }
}
