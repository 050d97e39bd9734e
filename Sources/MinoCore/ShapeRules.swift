/// Shape and dtype rules shared by several ops. Each throws ``MinoError``
/// naming the op and the shapes it was given.
enum ShapeRules {
    /// One input; the output has its shape and dtype.
    static func same(_ specs: [TensorSpec], _ attributes: inout OpAttributes) throws -> TensorSpec {
        specs[0]
    }

    /// Inputs broadcast by NumPy's rule; the output has the (promoted) dtype of the last.
    static func broadcast(_ op: String) -> ([TensorSpec], inout OpAttributes) throws -> TensorSpec {
        { specs, _ in
            var shape = specs[0].shape
            do {
                for spec in specs.dropFirst() {
                    shape = try Shape.broadcast(shape, spec.shape, op: op)
                }
            } catch {
                throw MinoError.shape(op, specs.map(\.shape),
                    "cannot broadcast together (aligned from the right, each pair of dimensions must be equal or 1)")
            }
            return TensorSpec(shape, specs[specs.count - 1].dtype)
        }
    }

    /// Reduction over `attributes.axes` (empty: all), normalizing them.
    static func reduction(_ op: String) -> ([TensorSpec], inout OpAttributes) throws -> TensorSpec {
        { specs, attributes in
            let shape = specs[0].shape
            attributes.axes = try shape.normalizedAxes(attributes.axes, op: op)
            return TensorSpec(shape.reduced(over: attributes.axes, keepDims: attributes.keepDims), specs[0].dtype)
        }
    }

    /// Requires a floating-point input (`matmul`, losses).
    static func requireFloat(_ op: String, _ spec: TensorSpec) throws {
        guard spec.dtype.isFloatingPoint else {
            throw MinoError.dtype(op, "needs floating-point tensors, got \(spec.dtype); cast first")
        }
    }
}
