import MinoCore

/// What a result row checked.
public enum CheckKind: String, CaseIterable, Sendable {
    /// Output values against the reference backend.
    case forward
    /// Gradients of `Σ output ⊙ W` against the reference backend.
    case gradient
    /// Float64 gradients on this backend against central finite differences on this backend.
    case finiteDifference = "finite-diff"
    /// Output values against PyTorch's, recorded in the golden file.
    case golden
    /// Gradients against PyTorch's, recorded in the golden file.
    case goldenGradient = "golden-grad"
    /// A bad call throws a ``MinoError`` of the same kind as on the reference backend.
    case error
    /// A whole-model case (training trajectories, exact networks, checkpoints across backends).
    case model
}

/// `|actual − expected| ≤ absolute + relative·|expected|`, elementwise (as
/// `torch.testing.assert_close` and `numpy.isclose`).
public struct Tolerance: Hashable, Sendable, CustomStringConvertible {
    public let absolute: Double
    public let relative: Double

    public init(absolute: Double, relative: Double) {
        self.absolute = absolute
        self.relative = relative
    }

    /// Exact equality (integer outputs).
    public static let exact = Tolerance(absolute: 0, relative: 0)

    public func accepts(_ actual: Double, _ expected: Double) -> Bool {
        if actual.isNaN || expected.isNaN { return actual.isNaN && expected.isNaN }
        if actual.isInfinite || expected.isInfinite { return actual == expected }
        return Swift.abs(actual - expected) <= absolute + relative * Swift.abs(expected)
    }

    public var description: String { "atol \(absolute), rtol \(relative)" }
}

/// Every tolerance the suite uses, in one table: per check kind and dtype.
///
/// | check        | float32 (atol, rtol) | float64 (atol, rtol) |
/// |--------------|----------------------|----------------------|
/// | forward      | 1e-6, 1e-5           | 1e-12, 1e-10         |
/// | gradient     | 1e-5, 1e-4           | 1e-11, 1e-9          |
/// | finite-diff  | —                    | 1e-6, 1e-4           |
/// | golden       | 1e-5, 1e-5           | 1e-12, 1e-10         |
/// | golden-grad  | 1e-5, 1e-4           | 1e-11, 1e-9          |
/// | model        | 1e-5, 1e-4           | 1e-10, 1e-8          |
///
/// Integer outputs (`argmax`, casts to int64) must match exactly. Float32
/// allows for a different summation order or a libm a few ulps away;
/// gradients go through more ops, hence ten times more. Float64 finite
/// differences use ε = 1e-6 (truncation error ~ε², rounding ~1e-16/ε).
/// A deliberate error of 1e-3 relative (the suite's own broken-backend
/// test) is far outside every entry.
public enum Tolerances {
    public static let finiteDifferenceEpsilon = 1e-6

    static let table: [CheckKind: [DType: Tolerance]] = [
        .forward: [.float32: Tolerance(absolute: 1e-6, relative: 1e-5),
                   .float64: Tolerance(absolute: 1e-12, relative: 1e-10)],
        .gradient: [.float32: Tolerance(absolute: 1e-5, relative: 1e-4),
                    .float64: Tolerance(absolute: 1e-11, relative: 1e-9)],
        .finiteDifference: [.float64: Tolerance(absolute: 1e-6, relative: 1e-4)],
        .golden: [.float32: Tolerance(absolute: 1e-5, relative: 1e-5),
                  .float64: Tolerance(absolute: 1e-12, relative: 1e-10)],
        .goldenGradient: [.float32: Tolerance(absolute: 1e-5, relative: 1e-4),
                          .float64: Tolerance(absolute: 1e-11, relative: 1e-9)],
        .model: [.float32: Tolerance(absolute: 1e-5, relative: 1e-4),
                 .float64: Tolerance(absolute: 1e-10, relative: 1e-8)],
    ]

    /// Per-op exceptions, each with the reason it is needed. Keyed by
    /// `op|check|dtype`. Empty: every op currently meets the table.
    public static let overrides: [String: (tolerance: Tolerance, reason: String)] = [:]

    /// The tolerance for `check` on values of `dtype` (exact for integers).
    public static func tolerance(_ check: CheckKind, _ dtype: DType, op: String? = nil) -> Tolerance {
        guard dtype.isFloatingPoint else { return .exact }
        if let op, let special = overrides["\(op)|\(check.rawValue)|\(dtype)"] { return special.tolerance }
        return table[check]?[dtype] ?? table[check]?[.float64] ?? .exact
    }
}

/// Compares host arrays under a tolerance.
public enum Compare {
    public struct Outcome {
        public let passed: Bool
        /// The largest |actual − expected| (infinite for a shape or dtype mismatch).
        public let largestError: Double
        /// Why it failed; empty when it passed.
        public let message: String
    }

    public static func arrays(_ actual: HostArray, _ expected: HostArray, _ tolerance: Tolerance) -> Outcome {
        guard actual.shape == expected.shape else {
            return Outcome(passed: false, largestError: .infinity,
                           message: "shape \(actual.shape), expected \(expected.shape)")
        }
        guard actual.dtype == expected.dtype else {
            return Outcome(passed: false, largestError: .infinity,
                           message: "dtype \(actual.dtype), expected \(expected.dtype)")
        }
        let a = actual.doubles, e = expected.doubles
        var worst = 0.0
        var firstBad: Int? = nil
        for i in a.indices {
            let ok = tolerance.accepts(a[i], e[i])
            let diff = a[i] == e[i] || (a[i].isNaN && e[i].isNaN) ? 0 : Swift.abs(a[i] - e[i])
            worst = Swift.max(worst, diff.isNaN ? .infinity : diff)
            if !ok && firstBad == nil { firstBad = i }
        }
        guard let bad = firstBad else { return Outcome(passed: true, largestError: worst, message: "") }
        return Outcome(passed: false, largestError: worst,
                       message: "element \(bad): \(a[bad]), expected \(e[bad]) (\(tolerance))")
    }
}
