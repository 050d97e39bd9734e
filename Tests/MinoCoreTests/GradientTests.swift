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
            signature: Ops.sigmoid.signature, runs: .unary(.sigmoid), torch: Ops.sigmoid.torch,
            shapeRule: Ops.sigmoid.shapeRule,
            kernel: { backend, x, _ in try backend.unary(.sigmoid, x[0]) },
            derivative: { c in [try c.upstream * c.output] })
        let samples = SampleInputs.samples(for: wrong, dtype: .float64)
        XCTAssertFalse(samples.isEmpty)
        // (An empty sample has no element to be wrong at.)
        let results = try samples.flatMap { try GradientCheck.check($0, on: backend) }
            .filter { $0.sample.inputs[$0.input].shape.elementCount > 0 }
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

    /// The samples reach the edges of each op's domain (issue 16: the suite passed
    /// while pow was NaN for negative bases, because it sampled bases in [0.5, 2]).
    func testSamplesCoverTheWholeDomain() throws {
        let pow = SampleInputs.samples(for: Ops.pow, dtype: .float64)
        let edge = try XCTUnwrap(pow.first { $0.label.contains("edge values") })
        XCTAssertFalse(edge.smooth, "finite differences must skip the edges")
        let pairs = Set(zip(edge.inputs[0].doubles, edge.inputs[1].doubles).map { "\($0.0)^\($0.1)" })
        for pair in ["-2.0^3.0", "-2.0^2.0", "-2.0^0.0", "-2.0^0.5", "0.0^0.0", "0.0^2.0", "0.0^-1.0", "2.0^2.5"] {
            XCTAssertTrue(pairs.contains(pair), "pow's samples lack \(pair)")
        }
        // int64 operands beside float tensors and float numbers.
        let add32 = SampleInputs.samples(for: Ops.add, dtype: .float32)
        XCTAssertTrue(add32.contains { $0.inputs[0].dtype == .int64 && $0.inputs[1].dtype == .float32 && $0.numbers.isEmpty })
        XCTAssertTrue(add32.contains { $0.inputs[0].dtype == .int64 && $0.numbers == [1] })
        // An empty axis for every op that accepts one: reductions, softmax, losses.
        for op in [Ops.sum, Ops.mean, Ops.softmax, Ops.logSoftmax, Ops.mse, Ops.crossEntropy, Ops.matmul] {
            XCTAssertTrue(SampleInputs.samples(for: op, dtype: .float32).contains { $0.inputs[0].shape.elementCount == 0 },
                          "\(op.name) has no empty sample")
        }
        // Sizes that overflow, exceed memory or are negative among the error inputs of every sized op.
        for op in [Ops.reshape, Ops.expand, Ops.sliceScatter, Ops.indexAdd, Ops.scatterAdd] {
            let reasons = Set(ErrorInputs.samples(for: op, dtype: .float32).map(\.reason))
            XCTAssertTrue(reasons.isSuperset(of: ["overflowing size", "beyond memory size", "negative size"]),
                          "\(op.name): \(reasons)")
        }
        let expand = ErrorInputs.samples(for: Ops.expand, dtype: .float32)
        XCTAssertEqual(expand.first { $0.reason == "beyond memory size" }?.expected, .backend)
        XCTAssertEqual(expand.first { $0.reason == "overflowing size" }?.expected, .shape)
    }
}
