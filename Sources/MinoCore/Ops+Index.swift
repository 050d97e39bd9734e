// MARK: - Index ops (embedding lookups, picking label columns)

extension Ops {
    /// The shape of `indexSelect(x, axis, indices)`: `x`'s, with `axis` sized by the indices.
    private static func selectShape(_ op: String, _ x: Shape, _ indices: Shape, axis: Int) throws -> Shape {
        guard indices.rank == 1 else {
            throw MinoError.shape(op, [x, indices], "indices must have rank 1")
        }
        var out = x
        out[axis] = indices[0]
        return out
    }

    public static let indexSelect = OpDefinition(
        primitive: "indexSelect", aliases: ["torch.index_select", "index_select"],
        summary: "the entries of x at int64 indices along an axis",
        signature: OpSignature(inputs: [.value, .index(.positions)], attributes: .axis),
        runs: .indexSelect, torch: TorchCall("mino.index_select", [.input(0), .axis, .input(1)]),
        shapeRule: { specs, a in
            let x = specs[0].shape
            guard x.rank > 0 else { throw MinoError.shape("indexSelect", [x, specs[1].shape], "cannot index a scalar") }
            a.axis = try x.normalizedAxis(a.axis, op: "indexSelect")
            return TensorSpec(try selectShape("indexSelect", x, specs[1].shape, axis: a.axis), specs[0].dtype)
        },
        kernel: { backend, x, a in
            try backend.indexSelect(x[0], axis: a.axis, indices: x[1],
                                    shape: try selectShape("indexSelect", x[0].shape, x[1].shape, axis: a.axis))
        },
        derivative: { c in
            [try c.upstream.indexAdd(axis: c.attributes.axis, indices: c.inputs[1], shape: c.inputs[0].shape), nil]
        })

    public static let indexAdd = OpDefinition(
        primitive: "indexAdd", aliases: ["torch.index_add"],
        summary: "zeros of a shape with slices added at int64 indices along an axis (indexSelect's adjoint)",
        signature: OpSignature(inputs: [.value, .index(.positions)], attributes: .scatter),
        runs: .indexAdd, torch: TorchCall("mino.index_add", [.input(0), .axis, .input(1), .shape]),
        shapeRule: { specs, a in
            let target = try a.shape.validated(for: "indexAdd")
            guard target.rank > 0 else { throw MinoError.shape("indexAdd", [target], "cannot index a scalar") }
            a.axis = try target.normalizedAxis(a.axis, op: "indexAdd")
            let expected = try selectShape("indexAdd", target, specs[1].shape, axis: a.axis)
            guard expected == specs[0].shape else {
                throw MinoError.shape("indexAdd", [specs[0].shape, specs[1].shape, target],
                                      "the source must have shape \(expected)")
            }
            return TensorSpec(target, specs[0].dtype)
        },
        kernel: { backend, x, a in try backend.indexAdd(x[0], axis: a.axis, indices: x[1], shape: a.shape) },
        derivative: { c in [try c.upstream.indexSelect(axis: c.attributes.axis, indices: c.inputs[1]), nil] })

    /// Checks the operands of `gather` / `scatterAdd`: one rank, and the index no
    /// larger than `x` on every axis but `axis`.
    private static func checkGather(_ op: String, _ x: Shape, _ index: Shape, axis: Int) throws {
        guard index.rank == x.rank else {
            throw MinoError.shape(op, [x, index], "index must have the same rank as the tensor")
        }
        for d in 0..<x.rank where d != axis && index[d] > x[d] {
            throw MinoError.shape(op, [x, index], "index is larger than the tensor on axis \(d)")
        }
    }

    public static let gather = OpDefinition(
        primitive: "gather", aliases: ["torch.gather"],
        summary: "out[i][j] = x[i][index[i][j]] along an axis (PyTorch's gather)",
        signature: OpSignature(inputs: [.value, .index(.aligned)], attributes: .axis),
        runs: .gather, torch: TorchCall("mino.gather", [.input(0), .axis, .input(1)]),
        shapeRule: { specs, a in
            let (x, index) = (specs[0].shape, specs[1].shape)
            guard x.rank > 0 else { throw MinoError.shape("gather", [x, index], "cannot gather from a scalar") }
            a.axis = try x.normalizedAxis(a.axis, op: "gather")
            try checkGather("gather", x, index, axis: a.axis)
            return TensorSpec(index, specs[0].dtype)
        },
        kernel: { backend, x, a in try backend.gather(x[0], axis: a.axis, indices: x[1]) },
        derivative: { c in
            [try c.upstream.scatterAdd(axis: c.attributes.axis, indices: c.inputs[1], shape: c.inputs[0].shape), nil]
        })

    public static let scatterAdd = OpDefinition(
        primitive: "scatterAdd", aliases: ["torch.scatter_add"],
        summary: "zeros of a shape with values added at int64 indices along an axis (gather's adjoint)",
        signature: OpSignature(inputs: [.value, .index(.aligned)], attributes: .scatter),
        runs: .scatterAdd, torch: TorchCall("mino.scatter_add", [.input(0), .axis, .input(1), .shape]),
        shapeRule: { specs, a in
            let target = try a.shape.validated(for: "scatterAdd")
            guard target.rank > 0 else { throw MinoError.shape("scatterAdd", [target], "cannot scatter into a scalar") }
            a.axis = try target.normalizedAxis(a.axis, op: "scatterAdd")
            guard specs[0].shape == specs[1].shape else {
                throw MinoError.shape("scatterAdd", [specs[0].shape, specs[1].shape], "source and index must have one shape")
            }
            try checkGather("scatterAdd", target, specs[1].shape, axis: a.axis)
            return TensorSpec(target, specs[0].dtype)
        },
        kernel: { backend, x, a in try backend.scatterAdd(x[0], axis: a.axis, indices: x[1], shape: a.shape) },
        derivative: { c in [try c.upstream.gather(axis: c.attributes.axis, indices: c.inputs[1]), nil] })
}
