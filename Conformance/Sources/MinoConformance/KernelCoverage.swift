import MinoCore

/// Whether a backend runs every primitive kernel: for each, the op that runs it
/// (``OpDefinition/backendKernel``) is applied to its samples until one reaches
/// the kernel. A kernel is missing when the backend throws a `.backend` error
/// on the way, or no sample reaches it. Fused kernels are optional and not checked.
public enum KernelCoverage {
    /// One line per missing kernel: `unary.erf: <the error>`; empty when none is.
    public static func missing(on backend: any Backend, ops: [OpDefinition] = OpRegistry.shared.all) -> [String] {
        let tracer = TracingBackend(backend)
        var missing: [String] = []
        for op in ops {
            guard op.kernel != nil, let kernel = op.backendKernel else { continue }
            var outcome = "no sample reaches it"
            for sample in SampleInputs.samples(for: op, dtype: .float64) {
                let (result, used) = tracer.traceResult { try sample.run(on: tracer) }
                if case .failure(let error as MinoError) = result, error.kind == .backend {
                    outcome = "\(error.message)"
                    break
                }
                if used.contains(kernel.description) {
                    outcome = ""
                    break
                }
            }
            if !outcome.isEmpty { missing.append("\(kernel): \(outcome)") }
        }
        return missing
    }
}
