import MinoCore

/// A whole-model check: a network trained or evaluated on the backend under
/// test, compared with the reference backend or with exact answers.
public struct ModelCase {
    /// What the report's `op` column shows (`model:xor-exact`).
    public let name: String
    public let dtype: DType?
    /// One line on what it checks.
    public let summary: String
    /// Runs the case; returns the largest error seen and, when it fails, why.
    let body: (_ backend: any Backend, _ reference: any Backend) throws -> (largestError: Double?, failure: String?)

    public init(name: String, dtype: DType?, summary: String,
                body: @escaping (_ backend: any Backend, _ reference: any Backend) throws
                    -> (largestError: Double?, failure: String?)) {
        self.name = name
        self.dtype = dtype
        self.summary = summary
        self.body = body
    }

    func check(on tracer: TracingBackend, reference: any Backend) -> ConformanceResult {
        let (result, used) = tracer.traceResult { try body(tracer, reference) }
        switch result {
        case .success(let (largest, failure)):
            return ConformanceResult(op: name, check: .model, dtype: dtype, sample: summary,
                                     outcome: failure == nil ? .pass : .fail, largestError: largest,
                                     message: failure ?? "", kernels: used)
        case .failure(let error):
            return ConformanceResult(op: name, check: .model, dtype: dtype, sample: summary, outcome: .fail,
                                     largestError: nil, message: "threw: \(error)", kernels: used)
        }
    }
}
