import XCTest
import MinoConformance
@testable import MinoCore
import MinoReference

/// Every differentiable op in the registry, on every sample the suite derives
/// for it, against central finite differences in float64.
final class GradientTests: XCTestCase {
    let backend = ReferenceBackend()

    func testEveryDifferentiableOpMatchesFiniteDifferences() throws {
        var checked = 0
        var failures: [String] = []
        for op in OpRegistry.shared.all where op.isDifferentiable {
            let samples = SampleInputs.samples(for: op, dtype: .float64)
            XCTAssertFalse(samples.isEmpty, "no samples for \(op.name)")
            var opChecks = 0
            for sample in samples {
                do {
                    for result in try GradientCheck.check(sample, on: backend) {
                        opChecks += 1
                        if !result.passed { failures.append(result.description) }
                    }
                } catch {
                    failures.append("\(sample): threw \(error)")
                }
            }
            XCTAssertGreaterThan(opChecks, 0, "\(op.name) has a derivative but no gradient was checked")
            checked += opChecks
        }
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(checked, 100)
    }

    func testSamplesCoverBroadcastingAndStridedInputs() {
        let add = SampleInputs.samples(for: Ops.add, dtype: .float64)
        XCTAssertTrue(add.contains { $0.inputs[0].shape != $0.inputs[1].shape }, "no broadcasting sample")
        XCTAssertTrue(add.contains { !$0.transposed.isEmpty }, "no strided sample")
        let matmul = SampleInputs.samples(for: Ops.matmul, dtype: .float64)
        XCTAssertTrue(matmul.contains { $0.inputs[0].shape.rank == 3 }, "no batched matmul sample")
    }

    /// A sigmoid whose derivative forgot the (1 − σ) factor must be caught.
    func testAWrongDerivativeIsCaught() throws {
        let wrong = OpDefinition(
            primitive: "wrongSigmoid", summary: "sigmoid with a wrong derivative",
            signature: Ops.sigmoid.signature, shapeRule: Ops.sigmoid.shapeRule,
            kernel: { backend, x, _ in try backend.unary(.sigmoid, x[0]) },
            derivative: { c in [try c.upstream * c.output] })
        let samples = SampleInputs.samples(for: wrong, dtype: .float64)
        XCTAssertFalse(samples.isEmpty)
        let results = try samples.flatMap { try GradientCheck.check($0, on: backend) }
        XCTAssertFalse(results.isEmpty)
        XCTAssertTrue(results.allSatisfy { !$0.passed }, "the wrong derivative passed on some sample")
    }
}

final class SampleCoverageTests: XCTestCase {
    /// Every registered op gets several valid samples, and most get error samples.
    func testEveryOpHasSamples() {
        var report: [String] = []
        for op in OpRegistry.shared.all {
            let samples = SampleInputs.samples(for: op, dtype: .float64)
            let errors = SampleInputs.errorSamples(for: op, dtype: .float64)
            report.append("\(op.name): \(samples.count) samples, \(errors.count) error samples")
            XCTAssertGreaterThanOrEqual(samples.count, 2, "\(op.name) has \(samples.count) samples")
        }
        print(report.joined(separator: "\n"))
    }
}
