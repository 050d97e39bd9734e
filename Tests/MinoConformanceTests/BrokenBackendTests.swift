import MinoConformance
import MinoCore
import XCTest

/// Proof that the suite catches what it claims to, and blames the right op.
final class BrokenBackendTests: XCTestCase {
    /// σ(x)·(1 + 1e-3): exactly the sigmoid op fails, in both dtypes, in every
    /// check that touches its values. The derivative of
    /// `binaryCrossEntropyWithLogits` calls sigmoid, so its gradient checks
    /// cannot pass either; they are reported as blocked by sigmoid (skipped,
    /// with the reason), and its forward checks still pass.
    func testAWrongSigmoidFailsExactlyTheSigmoidOp() {
        let report = ConformanceSuite(backend: FaultyBackend.brokenUnary(.sigmoid)).run()
        XCTAssertEqual(report.failingOps, ["sigmoid"], report.failureDescription)

        let sigmoidFailures = Set(report.failures.map { "\($0.check.rawValue) \($0.dtype.map { "\($0)" } ?? "-")" })
        XCTAssertEqual(sigmoidFailures, ["forward float32", "forward float64", "gradient float32", "gradient float64",
                                         "finite-diff float64", "golden float32", "golden float64",
                                         "golden-grad float32", "golden-grad float64"])
        let sigmoidErrors = report.results.filter { $0.op == "sigmoid" && $0.check == .error }
        XCTAssertTrue(sigmoidErrors.allSatisfy { $0.outcome == .pass }, "error inputs do not reach the kernel")

        // Blocked, not failed: the gradient of binaryCrossEntropyWithLogits and softplus, silu
        // (x·σ(x)), the gates of the LSTM cell and of the LSTM and GRU layers, and the sigmoid MLP's
        // model cases, which all run the wrong kernel (lstmBackward and gruBackward read activated
        // gates: no sigmoid).
        let skipped = report.results.filter { $0.outcome == .skip }
        XCTAssertEqual(Set(skipped.map(\.op)), ["binaryCrossEntropyWithLogits", "softplus", "silu", "lstmCell",
                                                "lstmCellBackward", "lstm", "gru", "model:digits-sgd", "model:checkpoint"])
        XCTAssertEqual(Set(skipped.filter { $0.op == "binaryCrossEntropyWithLogits" }.map(\.check)),
                       [.gradient, .finiteDifference, .goldenGradient])
        XCTAssertTrue(skipped.allSatisfy { $0.message.hasPrefix("blocked by sigmoid: runs unary.sigmoid") },
                      skipped.first?.message ?? "")
        let bceForward = report.results.filter { $0.op == "binaryCrossEntropyWithLogits" && $0.check == .forward }
        XCTAssertFalse(bceForward.isEmpty)
        XCTAssertTrue(bceForward.allSatisfy { $0.outcome == .pass })
        XCTAssertTrue(report.table().hasSuffix("\(report.passed) passed, \(report.failed) failed, \(report.skipped) skipped"))
    }

    /// A wrong `exp` breaks the composites built on it (logSoftmax and the
    /// losses); the suite still names exp alone, and reports the composites'
    /// checks as blocked by it. Softmax, `e / Σe`, is immune to a constant
    /// factor on exp, and passes.
    func testAWrongExpIsBlamedOnExpAlone() {
        let report = ConformanceSuite(backend: FaultyBackend.brokenUnary(.exp)).run()
        XCTAssertEqual(report.failingOps, ["exp"], report.failureDescription)
        let blocked = Set(report.results.filter { $0.outcome == .skip }.map(\.op))
        // elu, softplus and gelu (its derivative's e^(−x²/2)) and erf's derivative run exp too.
        XCTAssertEqual(blocked, ["logSoftmax", "crossEntropy", "binaryCrossEntropyWithLogits", "elu", "softplus",
                                 "gelu", "erf", "model:digits-sgd"])
        XCTAssertTrue(report.results.filter { $0.op == "softmax" }.allSatisfy { $0.outcome == .pass })
        XCTAssertTrue(report.results.filter { $0.outcome == .skip }.allSatisfy { $0.message.contains("blocked by exp") })
    }

    /// A backend that throws the wrong kind of error for an out-of-range
    /// index fails the error checks that reach that kernel, and only those.
    func testAWrongErrorKindIsCaught() {
        let report = ConformanceSuite(backend: FaultyBackend(.gatherErrorKind, name: "wrong-error-kind")).run(filter: "error")
        XCTAssertTrue(report.failures.allSatisfy { $0.check == .error })
        XCTAssertTrue(report.failingOps.contains("gather"), report.failureDescription)
        XCTAssertTrue(report.failures.allSatisfy { $0.message.contains("threw .backend") && $0.message.contains("expected .argument") })
        // crossEntropy and nllLoss pick labels with gather, so their out-of-range labels surface the same wrong kind.
        XCTAssertEqual(report.failingOps, ["gather", "crossEntropy", "nllLoss"])
    }

    /// A fused SGD update that does nothing: no op owns it, so the digits
    /// training case fails on its own, and nothing else does.
    func testAnOptimizerKernelThatSkipsTheUpdateFailsTheTrainingCase() {
        let report = ConformanceSuite(backend: FaultyBackend(.silentOptimizer, name: "silent-sgd")).run(filter: "model")
        XCTAssertEqual(report.failingOps, ["model:digits-sgd"], report.failureDescription)
        XCTAssertTrue(report.failures.first?.message.contains("step 2") ?? false, report.failureDescription)
    }

    /// A wrong `permute` corrupts every transposed operand the suite builds,
    /// `transpose`, and the derivatives of matmul and linear; all of it is
    /// reported as blocked by permute, which alone fails.
    func testAWrongPermuteIsBlamedOnPermuteAlone() {
        let report = ConformanceSuite(backend: FaultyBackend(.permute(factor: 1 + 1e-3), name: "broken-permute")).run()
        XCTAssertEqual(report.failingOps, ["permute"], report.failureDescription)
        let blocked = Set(report.results.filter { $0.outcome == .skip }.map(\.op))
        XCTAssertTrue(blocked.isSuperset(of: ["transpose", "matmul", "linear", "add"]), "\(blocked)")
    }
}
