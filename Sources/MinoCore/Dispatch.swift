/// Applies registered ops to tensors: checks, promotes, runs the backend
/// hook (or the composite), and records the operation for gradients.
public enum Dispatch {
    /// Applies `op` to `inputs`.
    ///
    /// - Throws: ``MinoError`` when the inputs are on different backends, of a
    ///   dtype the op does not take, of shapes that do not fit; or the backend's error.
    public static func apply(_ op: OpDefinition, _ inputs: [Tensor],
                             _ attributes: OpAttributes = .none) throws -> Tensor {
        guard let first = inputs.first else {
            throw MinoError.argument(op.name, "needs at least one tensor")
        }
        let signature = op.signature
        let expected = signature.inputs.count
        if signature.variadic ? inputs.count < expected : inputs.count != expected {
            throw MinoError.argument(op.name, "takes \(signature.variadic ? "at least " : "")\(expected) "
                                     + "tensor\(expected == 1 ? "" : "s"), got \(inputs.count)")
        }
        let backend = first.backend
        for t in inputs where t.backend !== backend {
            throw MinoError(.backend, "\(op.name): tensors on different backends (\(backend.name) "
                            + "and \(t.backend.name)); move one with `to(_:)`")
        }

        let operandsIn = try promoted(op, inputs)
        var attrs = attributes
        let spec = try op.shapeRule(operandsIn.map { TensorSpec(of: $0) }, &attrs)

        let storage: any BackendStorage
        if let kernel = op.kernel {
            storage = try kernel(backend, operandsIn.map(\.operand), attrs)
        } else if let fused = op.fusedKernel,
                  let result = try backend.fused(fused, operandsIn.map(\.operand), attrs) {
            storage = result
        } else if let implementation = op.implementation {
            let result = try GradMode.withoutGradients { try implementation(operandsIn, attrs) }
            guard result.shape == spec.shape, result.dtype == spec.dtype else {
                throw MinoError(.backend, "\(op.name): the default implementation gave \(result.dtype) "
                                + "\(result.shape), the shape rule promised \(spec)")
            }
            storage = result.storage
        } else {
            throw MinoError(.backend, "\(op.name): has neither a kernel nor an implementation")
        }

        var creator: Operation? = nil
        if op.derivative != nil, GradMode.isEnabled, operandsIn.contains(where: { $0.requiresGrad }) {
            creator = Operation(definition: op, inputs: operandsIn, attributes: attrs)
        }
        return Tensor(storage: storage, shape: spec.shape, dtype: spec.dtype, backend: backend, creator: creator)
    }

    /// The inputs in the dtypes the op computes in: value inputs promoted to
    /// one dtype (floating point for floating ops), conditions converted to
    /// it, index inputs checked to be int64. Casts of value inputs are
    /// recorded, so gradients flow back in each input's own dtype.
    static func promoted(_ op: OpDefinition, _ inputs: [Tensor]) throws -> [Tensor] {
        // The common case, decided without the general walk: value inputs only, all of
        // one dtype, which the op computes in as it is.
        if op.takesValuesOnly, let first = inputs.first?.dtype,
           op.signature.dtypes == .numeric || first.isFloatingPoint,
           inputs.allSatisfy({ $0.dtype == first }) {
            return inputs
        }
        let roles = op.signature.inputs
        func role(_ i: Int) -> InputRole { i < roles.count ? roles[i] : roles[roles.count - 1] }

        var target: DType? = nil
        var uniform = true
        for (i, t) in inputs.enumerated() where role(i) == .value {
            if let current = target {
                if current != t.dtype { uniform = false }
                target = DType.promote(current, t.dtype)
            } else {
                target = t.dtype
            }
        }
        if op.signature.dtypes == .floating, let t = target, !t.isFloatingPoint {
            target = t.floatingPoint
            uniform = false
        }
        var conditionsMatch = true
        for (i, t) in inputs.enumerated() {
            switch role(i) {
            case .index where t.dtype != .int64:
                throw MinoError.dtype(op.name, "input \(i + 1) holds indices and must be int64, got \(t.dtype)")
            case .condition where t.dtype != target, .statistic where t.dtype != target:
                conditionsMatch = false
            default:
                break
            }
        }
        guard let dtype = target, !(uniform && conditionsMatch) else { return inputs }
        var out = inputs
        for (i, t) in inputs.enumerated() where t.dtype != dtype {
            switch role(i) {
            case .value: out[i] = try t.cast(to: dtype)
            case .condition, .statistic: out[i] = try GradMode.withoutGradients { try t.cast(to: dtype) }
            case .index: break
            }
        }
        return out
    }
}
