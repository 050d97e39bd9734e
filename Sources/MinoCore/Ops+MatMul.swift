// MARK: - Matrix product

extension Ops {
    /// The shape of `a @ b` for operands of rank ≥ 2: `[batch…, m, k] @ [batch…, k, n]`,
    /// the batch axes broadcast.
    static func matmulShape(_ a: Shape, _ b: Shape, op: String = "matmul") throws -> Shape {
        guard a.rank >= 2, b.rank >= 2 else {
            throw MinoError.shape(op, [a, b], "both operands need at least 2 dimensions")
        }
        let (m, k) = (a[a.rank - 2], a[a.rank - 1])
        let (k2, n) = (b[b.rank - 2], b[b.rank - 1])
        guard k == k2 else {
            throw MinoError.shape(op, [a, b], "inner dimensions \(k) and \(k2) differ")
        }
        // No batch axes: the common case, without building and broadcasting empty batch shapes.
        if a.rank == 2 && b.rank == 2 { return Shape([m, n]) }
        let batchA = Shape(Array(a.dims.dropLast(2)))
        let batchB = Shape(Array(b.dims.dropLast(2)))
        let batch: Shape
        do {
            batch = try Shape.broadcast(batchA, batchB, op: op)
        } catch {
            throw MinoError.shape(op, [a, b], "batch dimensions \(batchA) and \(batchB) do not broadcast")
        }
        return Shape(batch.dims + [m, n])
    }

    public static let matmul = OpDefinition(
        primitive: "matmul", aliases: ["@", "torch.matmul", "torch.mm", "torch.bmm"],
        summary: "matrix product over the last two axes, batch axes broadcast",
        signature: OpSignature(inputs: [.value, .value], dtypes: .floating, broadcasts: true),
        runs: .matmul, torch: .binary("torch.matmul"),
        shapeRule: { specs, _ in
            TensorSpec(try matmulShape(specs[0].shape, specs[1].shape), specs[0].dtype)
        },
        kernel: { backend, x, _ in
            try backend.matmul(x[0], x[1], shape: try matmulShape(x[0].shape, x[1].shape))
        },
        derivative: { c in
            // ∂(a@b)/∂a = g @ bᵀ, ∂(a@b)/∂b = aᵀ @ g; the tape sums broadcast batch axes.
            let (a, b) = (c.inputs[0], c.inputs[1])
            return [c.needsGradient[0] ? try c.upstream.matmul(b.transposed()) : nil,
                    c.needsGradient[1] ? try a.transposed().matmul(c.upstream) : nil]
        })
}
