// MARK: - Shape ops

extension Ops {
    public static let reshape = OpDefinition(
        primitive: "reshape", aliases: ["torch.reshape", "view"], summary: "the same elements in another shape (one -1 inferred)",
        signature: OpSignature(inputs: [.value], attributes: .shape),
        runs: .reshape, torch: TorchCall("torch.reshape", [.input(0), .shape]),
        shapeRule: { specs, a in
            a.shape = try specs[0].shape.resolvingReshape(a.shape.dims, op: "reshape")
            return TensorSpec(a.shape, specs[0].dtype)
        },
        kernel: { backend, x, a in try backend.reshape(x[0], to: a.shape) },
        derivative: { c in [try c.upstream.reshape(c.inputs[0].shape)] })

    public static let permute = OpDefinition(
        primitive: "permute", aliases: ["torch.permute"], summary: "axes reordered: output axis i is input axis permutation[i]",
        signature: OpSignature(inputs: [.value], attributes: .permutation),
        runs: .permute, torch: TorchCall("torch.permute", [.input(0), .permutation]),
        shapeRule: { specs, a in
            let shape = specs[0].shape
            guard a.permutation.count == shape.rank else {
                throw MinoError.shape("permute", [shape], "permutation \(a.permutation) has \(a.permutation.count) "
                                      + "axes for a tensor of rank \(shape.rank)")
            }
            let axes = try a.permutation.map { try shape.normalizedAxis($0, op: "permute") }
            // A scan, not a Set: permutations are a handful long and every transpose checks one.
            guard !axes.indices.contains(where: { i in axes[..<i].contains(axes[i]) }) else {
                throw MinoError.argument("permute", "\(a.permutation) repeats an axis")
            }
            a.permutation = axes
            return TensorSpec(Shape(axes.map { shape[$0] }), specs[0].dtype)
        },
        kernel: { backend, x, a in try backend.permute(x[0], a.permutation) },
        derivative: { c in
            var inverse = [Int](repeating: 0, count: c.attributes.permutation.count)
            for (i, p) in c.attributes.permutation.enumerated() { inverse[p] = i }
            return [try c.upstream.permute(inverse)]
        })

    public static let expand = OpDefinition(
        primitive: "expand", aliases: ["torch.broadcast_to", "broadcast_to"], summary: "broadcast to a larger shape",
        signature: OpSignature(inputs: [.value], attributes: .shape),
        runs: .expand, torch: TorchCall("torch.broadcast_to", [.input(0), .shape]),
        shapeRule: { specs, a in
            let shape = specs[0].shape
            var target = a.shape.dims
            let offset = target.count - shape.rank
            // -1 keeps the input's size, as in PyTorch.
            for i in target.indices where target[i] == -1 {
                guard i >= offset else {
                    throw MinoError.shape("expand", [shape, a.shape], "-1 is only allowed for existing axes")
                }
                target[i] = shape[i - offset]
            }
            let resolved = try Shape(target).validated(for: "expand")
            guard shape.broadcasts(to: resolved) else {
                throw MinoError.shape("expand", [shape, resolved], "cannot broadcast (only axes of size 1 expand)")
            }
            a.shape = resolved
            return TensorSpec(resolved, specs[0].dtype)
        },
        kernel: { backend, x, a in try backend.expand(x[0], to: a.shape) },
        derivative: { c in [try c.upstream.sumToShape(c.inputs[0].shape)] })

    public static let concat = OpDefinition(
        primitive: "concat", aliases: ["torch.cat", "torch.concat", "cat"], summary: "tensors joined along an axis",
        signature: OpSignature(inputs: [.value], variadic: true, attributes: .axis),
        runs: .concat, torch: TorchCall("torch.cat", [.inputs, .axis]),
        shapeRule: { specs, a in
            let first = specs[0].shape
            a.axis = try first.normalizedAxis(a.axis, op: "concat")
            guard first.rank > 0 else {
                throw MinoError.shape("concat", specs.map(\.shape), "cannot join scalars; stack them instead")
            }
            var total = 0
            for spec in specs {
                let s = spec.shape
                let fits = s.rank == first.rank && (0..<s.rank).allSatisfy { $0 == a.axis || s[$0] == first[$0] }
                guard fits else {
                    throw MinoError.shape("concat", specs.map(\.shape),
                                          "all dimensions except axis \(a.axis) must match")
                }
                total += s[a.axis]
            }
            var out = first
            out[a.axis] = total
            return TensorSpec(out, specs[0].dtype)
        },
        kernel: { backend, x, a in
            var out = x[0].shape
            out[a.axis] = x.reduce(0) { $0 + $1.shape[a.axis] }
            return try backend.concat(x, axis: a.axis, shape: out)
        },
        derivative: { c in
            var start = 0
            return try c.inputs.enumerated().map { i, input in
                let size = input.shape[c.attributes.axis]
                defer { start += size }
                guard c.needsGradient[i] else { return nil }
                return try c.upstream.narrow(axis: c.attributes.axis, start: start, length: size)
            }
        })

    /// Checks slice ranges against a shape: one per axis, inside it, positive step.
    static func checkRanges(_ op: String, _ ranges: [SliceRange], _ shape: Shape) throws -> Shape {
        guard ranges.count == shape.rank else {
            throw MinoError.shape(op, [shape], "\(ranges.count) ranges given for rank \(shape.rank)")
        }
        var dims: [Int] = []
        for (axis, r) in ranges.enumerated() {
            guard r.step > 0, (0...shape[axis]).contains(r.start), (0...shape[axis]).contains(r.end) else {
                throw MinoError.argument(op, "range \(r) does not fit axis \(axis) of size \(shape[axis])")
            }
            dims.append(r.count)
        }
        return Shape(dims)
    }

    public static let slice = OpDefinition(
        primitive: "slice", aliases: ["torch.narrow", "getitem"], summary: "a strided box of a tensor",
        signature: OpSignature(inputs: [.value], attributes: .slice),
        runs: .slice, torch: TorchCall("mino.slice_", [.input(0), .ranges]),
        shapeRule: { specs, a in
            TensorSpec(try checkRanges("slice", a.ranges, specs[0].shape), specs[0].dtype)
        },
        kernel: { backend, x, a in
            try backend.slice(x[0], a.ranges, shape: Shape(a.ranges.map(\.count)))
        },
        derivative: { c in [try c.upstream.sliceScatter(c.attributes.ranges, shape: c.inputs[0].shape)] })

    public static let sliceScatter = OpDefinition(
        primitive: "sliceScatter", aliases: ["torch.slice_scatter"], summary: "zeros with a tensor written into a strided box (slice's adjoint)",
        signature: OpSignature(inputs: [.value], attributes: .sliceScatter),
        runs: .sliceScatter, torch: TorchCall("mino.slice_scatter", [.input(0), .ranges, .shape]),
        shapeRule: { specs, a in
            let box = try checkRanges("sliceScatter", a.ranges, try a.shape.validated(for: "sliceScatter"))
            guard box == specs[0].shape else {
                throw MinoError.shape("sliceScatter", [specs[0].shape, box], "the source must fill the box exactly")
            }
            return TensorSpec(a.shape, specs[0].dtype)
        },
        kernel: { backend, x, a in try backend.sliceScatter(x[0], a.ranges, shape: a.shape) },
        derivative: { c in [try c.upstream.slice(ranges: c.attributes.ranges)] })
}
