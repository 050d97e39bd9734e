import Foundation
import MinoCore
import MinoReference

/// One check the suite would run: what `mino conformance --list` prints.
public struct ConformanceCase: Hashable, CustomStringConvertible {
    public let op: String
    public let check: CheckKind
    public let dtype: DType?
    public let sample: String

    public var description: String {
        "\(op)  \(check.rawValue)  \(dtype.map { "\($0)" } ?? "-")  \(sample)"
    }
}

/// The conformance suite: every registered op, in float32 and float64, on
/// samples derived from the op's signature (shapes from scalars to batches,
/// broadcasting, transposed operands), checked on one backend against the
/// reference backend, against PyTorch's recorded values, against finite
/// differences, and on error inputs; then whole-model cases.
///
/// Running it against your own backend takes one call:
///
/// ```swift
/// let report = ConformanceSuite(backend: MyBackend()).run()
/// print(report.table())          // ends with "N passed, N failed"
/// if report.failed > 0 { print(report.failures) }
/// ```
///
/// or, in a test, `XCTAssertConforms(MyBackend())` from `MinoConformanceTesting`.
public final class ConformanceSuite {
    /// The backend under test.
    public let backend: any Backend
    /// The oracle (the pure-Swift reference backend unless told otherwise).
    public let reference: any Backend
    /// The ops to check: the whole registry by default, so a newly registered op is covered.
    public var ops: [OpDefinition]
    public var dtypes: [DType] = [.float32, .float64]
    /// Whole-model cases (``ModelCase/standard``).
    public var modelCases: [ModelCase]
    /// PyTorch's recorded values; nil when the golden file is absent (golden checks are then skipped).
    public let golden: GoldenData?
    /// Why ``golden`` is nil: absent (skip) or unreadable (fail).
    let goldenProblem: (message: String, isFailure: Bool)?

    private let tracer: TracingBackend

    /// - Parameters:
    ///   - backend: the backend to check.
    ///   - reference: the oracle; the pure-Swift reference backend by default.
    ///   - ops: the ops to check; every registered op by default.
    ///   - goldenURL: PyTorch's recorded values; the committed file by default (``GoldenData/defaultURL``).
    public init(backend: any Backend, reference: any Backend = ReferenceBackend(),
                ops: [OpDefinition] = OpRegistry.shared.all, modelCases: [ModelCase] = ModelCase.standard,
                goldenURL: URL? = GoldenData.defaultURL) {
        self.backend = backend
        self.reference = reference
        self.ops = ops
        self.modelCases = modelCases
        self.tracer = TracingBackend(backend)
        if let url = goldenURL {
            if FileManager.default.fileExists(atPath: url.path) {
                do {
                    golden = try GoldenData(contentsOf: url)
                    goldenProblem = nil
                } catch {
                    golden = nil
                    goldenProblem = ("cannot read the golden file: \(error)", true)
                }
            } else {
                golden = nil
                goldenProblem = ("no golden file at \(url.path) (set MINO_GOLDEN)", false)
            }
        } else {
            golden = nil
            goldenProblem = ("golden checks turned off", false)
        }
    }

    // MARK: Planning

    /// Whether `filter` (case-insensitive) keeps a check: it must occur in the op's name or the check's.
    static func keeps(_ filter: String?, op: String, check: CheckKind) -> Bool {
        guard let f = filter?.lowercased(), !f.isEmpty else { return true }
        return op.lowercased().contains(f) || check.rawValue.contains(f)
    }

    /// The checks that apply to a valid sample.
    static func checks(for sample: OpSample) -> [CheckKind] {
        var list: [CheckKind] = [.forward]
        let differentiable = !sample.gradientInputs.isEmpty
        if differentiable { list.append(.gradient) }
        if GradientCheck.applies(to: sample) { list.append(.finiteDifference) }
        list.append(.golden)
        if differentiable { list.append(.goldenGradient) }
        return list
    }

    /// Every check a run with this filter performs, without running any.
    public func cases(filter: String? = nil) -> [ConformanceCase] {
        var out: [ConformanceCase] = []
        for op in ops {
            for dtype in dtypes {
                for sample in SampleInputs.samples(for: op, dtype: dtype) {
                    for check in Self.checks(for: sample) where Self.keeps(filter, op: op.name, check: check) {
                        out.append(ConformanceCase(op: op.name, check: check, dtype: dtype, sample: sample.label))
                    }
                }
                if Self.keeps(filter, op: op.name, check: .error) {
                    for e in ErrorInputs.samples(for: op, dtype: dtype) {
                        out.append(ConformanceCase(op: op.name, check: .error, dtype: dtype, sample: e.description))
                    }
                }
            }
        }
        for model in modelCases where Self.keeps(filter, op: model.name, check: .model) {
            out.append(ConformanceCase(op: model.name, check: .model, dtype: model.dtype, sample: model.summary))
        }
        return out
    }

    // MARK: Running

    /// Runs every check the filter keeps and reports them all.
    public func run(filter: String? = nil) -> ConformanceReport {
        let start = Date()
        var results: [ConformanceResult] = []
        for op in ops {
            for dtype in dtypes {
                for sample in SampleInputs.samples(for: op, dtype: dtype) {
                    let wanted = Self.checks(for: sample).filter { Self.keeps(filter, op: op.name, check: $0) }
                    if !wanted.isEmpty { results += check(sample, dtype: dtype, wanted) }
                }
                if Self.keeps(filter, op: op.name, check: .error) {
                    results += ErrorInputs.samples(for: op, dtype: dtype).map { checkError($0, dtype: dtype) }
                }
            }
        }
        for model in modelCases where Self.keeps(filter, op: model.name, check: .model) {
            results.append(model.check(on: tracer, reference: reference))
        }
        Attribution.apply(to: &results, ops: ops)
        var report = ConformanceReport(backend: backend.name, results: results)
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// The checks of one valid sample.
    func check(_ sample: OpSample, dtype: DType, _ wanted: [CheckKind]) -> [ConformanceResult] {
        let expected = Result { try Evaluation.of(sample, on: reference) }
        let (actual, kernels) = tracer.traceResult { try Evaluation.of(sample, on: tracer) }
        let outputDType = (try? sample.outputSpec().spec.dtype) ?? dtype
        var rows: [ConformanceResult] = []
        func row(_ check: CheckKind, _ outcome: Outcome, _ error: Double?, _ message: String,
                 _ used: Set<String>, own: Set<String> = []) {
            rows.append(ConformanceResult(op: sample.op.name, check: check, dtype: dtype, sample: sample.label,
                                          outcome: outcome, largestError: error, message: message, kernels: used,
                                          ownKernels: own))
        }
        /// Compares outputs or gradients: a row from one or more comparisons.
        func compare(_ check: CheckKind, _ pairs: [(String, HostArray, HostArray)], _ used: Set<String>,
                     own: Set<String> = []) {
            var worst = 0.0
            var failure = ""
            for (what, a, e) in pairs {
                // A float64 gradient of an input to a float32 computation is only as precise as float32.
                let precision = a.dtype == .float32 || outputDType == .float32 ? DType.float32
                    : (a.dtype.isFloatingPoint ? a.dtype : outputDType)
                let tolerance = Tolerances.tolerance(check, precision,
                                                     op: sample.op.name)
                let c = Compare.arrays(a, e, tolerance)
                worst = Swift.max(worst, c.largestError)
                if !c.passed && failure.isEmpty { failure = what.isEmpty ? c.message : "\(what): \(c.message)" }
            }
            row(check, failure.isEmpty ? .pass : .fail, worst, failure, used, own: own)
        }
        func gradientPairs(_ mine: Evaluation, _ theirs: [Int: HostArray]) -> [(String, HostArray, HostArray)] {
            sample.gradientInputs.compactMap { i in
                guard let a = mine.gradients[i], let e = theirs[i] else { return nil }
                return ("input \(i + 1)", a, e)
            }
        }

        for check in wanted {
            switch check {
            case .forward, .gradient:
                switch (actual, expected) {
                case (.failure(let error), _):
                    row(check, .fail, nil, "threw: \(error)", kernels)
                case (_, .failure(let error)):
                    row(check, .fail, nil, "the reference backend threw: \(error)", [])
                case (.success(let mine), .success(let theirs)):
                    if check == .forward {
                        compare(.forward, [("", mine.output, theirs.output)], mine.forwardPass,
                                own: mine.forwardKernels)
                    } else {
                        compare(.gradient, gradientPairs(mine, theirs.gradients), mine.allKernels)
                    }
                }
            case .finiteDifference:
                let (result, used) = tracer.traceResult { try GradientCheck.check(sample, on: tracer) }
                switch result {
                case .failure(let error):
                    row(check, .fail, nil, "threw: \(error)", used)
                case .success(let checks):
                    let worst = checks.map(\.largestError).max() ?? 0
                    let failure = checks.first { !$0.passed }?.message ?? ""
                    row(check, failure.isEmpty ? .pass : .fail, worst, failure, used)
                }
            case .golden, .goldenGradient:
                guard let golden else {
                    let (message, isFailure) = goldenProblem ?? ("no golden data", false)
                    row(check, isFailure ? .fail : .skip, nil, message, [])
                    continue
                }
                switch (actual, golden.lookup(sample)) {
                case (_, .missing(let why)):
                    row(check, .fail, nil, why, [])
                case (.failure(let error), _):
                    row(check, .fail, nil, "threw: \(error)", kernels)
                case (.success(let mine), .found(let output, let gradients)):
                    if check == .golden {
                        compare(.golden, [("", mine.output, output)], mine.forwardPass)
                    } else {
                        compare(.goldenGradient, gradientPairs(mine, gradients), mine.allKernels)
                    }
                }
            case .error, .model:
                continue
            }
        }
        return rows
    }

    /// One error input: the backend must throw a ``MinoError`` of the expected kind.
    func checkError(_ e: ErrorSample, dtype: DType) -> ConformanceResult {
        let (result, used) = tracer.traceResult { try e.sample.run(on: tracer) }
        let outcome: Outcome
        let message: String
        switch result {
        case .success(let t):
            outcome = .fail
            message = "did not throw (gave \(t.dtype) \(t.shape)); expected a .\(e.expected) error"
        case .failure(let error as MinoError) where error.kind == e.expected:
            outcome = .pass
            message = ""
        case .failure(let error as MinoError):
            outcome = .fail
            message = "threw .\(error.kind) (\(error.message)); expected .\(e.expected)"
        case .failure(let error):
            outcome = .fail
            message = "threw \(type(of: error)), not a MinoError: \(error)"
        }
        return ConformanceResult(op: e.sample.op.name, check: .error, dtype: dtype, sample: e.description,
                                 outcome: outcome, largestError: nil, message: message, kernels: used)
    }
}
