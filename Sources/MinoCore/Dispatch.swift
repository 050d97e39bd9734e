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
        // Broadcasting and expanding can make a result no backend can hold: refuse it here,
        // the same on every backend, before a kernel's allocation stops the process.
        _ = try spec.shape.allocatable(spec.dtype, for: op.name)

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
    /// The dtype `op` computes in for value inputs of these specs (nil: it has none).
    ///
    /// PyTorch's rule: operands with dimensions decide, and rank-0 operands only
    /// when they are of a higher category (floating point beside integers), so
    /// float32 [3] with a float64 scalar stays float32 while int64 [3] with one is
    /// float64; within each group the higher promotion rank wins. A floating op
    /// turns an integer result into ``DType/defaultFloat``.
    public static func computeDType(_ op: OpDefinition, _ specs: [TensorSpec]) -> DType? {
        let roles = op.signature.inputs
        var dimensioned: DType? = nil, scalars: DType? = nil
        for (i, spec) in specs.enumerated() where (i < roles.count ? roles[i] : roles[roles.count - 1]) == .value {
            if spec.shape.rank > 0 {
                dimensioned = dimensioned.map { DType.promote($0, spec.dtype) } ?? spec.dtype
            } else {
                scalars = scalars.map { DType.promote($0, spec.dtype) } ?? spec.dtype
            }
        }
        var target = dimensioned ?? scalars
        if let d = dimensioned, let s = scalars, s.isFloatingPoint && !d.isFloatingPoint { target = s }
        if op.signature.dtypes == .floating, let t = target { target = t.floatingPoint }
        return target
    }

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

        let target = computeDType(op, inputs.map { TensorSpec(of: $0) })
        let uniform = inputs.indices.allSatisfy { role($0) != .value || inputs[$0].dtype == target }
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

extension Dispatch {
    /// Applies a foreign op: `forward` computes the output outside Mino's ops
    /// (a PyTorch module's forward) and returns it with what the op's
    /// derivative will need (the foreign autodiff graph); the tape records one
    /// operation over `inputs` that hands that state to the derivative as
    /// ``DerivativeContext/saved``.
    ///
    /// - Parameters:
    ///   - op: a definition made with ``OpDefinition/init(foreign:summary:derivative:)``.
    ///   - forward: gets the inputs and whether the call is recorded (gradients on
    ///     and some input requires them); when it is not, it need keep nothing.
    /// - Throws: ``MinoError`` for inputs on different backends or an output on
    ///   another backend; whatever `forward` throws.
    public static func applyForeign(_ op: OpDefinition, _ inputs: [Tensor],
                                    forward: ([Tensor], _ recording: Bool) throws -> (output: Tensor, saved: AnyObject?))
        throws -> Tensor {
        guard op.isForeign else {
            throw MinoError(.argument, "\(op.name): applyForeign takes a foreign op; call apply")
        }
        guard let backend = inputs.first?.backend else {
            throw MinoError.argument(op.name, "needs at least one tensor")
        }
        for t in inputs where t.backend !== backend {
            throw MinoError(.backend, "\(op.name): tensors on different backends (\(backend.name) "
                            + "and \(t.backend.name)); move one with `to(_:)`")
        }
        let recording = GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad })
        let (result, saved) = try GradMode.withoutGradients { try forward(inputs, recording) }
        guard result.backend === backend else {
            throw MinoError(.backend, "\(op.name): the forward returned a tensor on \(result.backend.name), "
                            + "its inputs are on \(backend.name)")
        }
        let creator = recording ? Operation(definition: op, inputs: inputs, attributes: .none, saved: saved) : nil
        return Tensor(storage: result.storage, shape: result.shape, dtype: result.dtype, backend: backend,
                      creator: creator)
    }
}
