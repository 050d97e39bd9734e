import MinoConformance
import MinoCore
import MinoReference
import MinoTorch
import XCTest

/// Every registered op, on every sample the conformance samplers derive for
/// it, on torch against the reference backend: outputs, and gradients
/// through Mino's tape. (The same tolerances as the conformance suite.)
final class TorchOpTests: XCTestCase {
    let reference = ReferenceBackend()

    struct Outcome {
        let output: HostArray
        let gradients: [HostArray?]
    }

    /// The op's output, and the gradients of `Σ output ⊙ W` for a fixed `W`.
    func evaluate(_ sample: OpSample, on backend: any Backend) throws -> Outcome {
        let inputs = try sample.tensors(on: backend, requiresGrad: true)
        let output = try Dispatch.apply(sample.op, inputs, sample.attributes)
        var gradients = [HostArray?](repeating: nil, count: inputs.count)
        if output.requiresGrad, output.dtype.isFloatingPoint {
            let weights = RandomGenerator(seed: 7).uniform(count: output.elementCount, low: -1, high: 1)
            let w = try Tensor(doubles: weights, shape: output.shape, dtype: output.dtype, on: backend)
            try (output * w).sum().backward()
            gradients = try inputs.map { try $0.grad?.toHost() }
        }
        return Outcome(output: try output.toHost(), gradients: gradients)
    }

    func check(_ dtype: DType) throws {
        let torch = try requireTorchBackend()
        var samples = 0, gradients = 0
        for op in OpRegistry.shared.all {
            for sample in SampleInputs.samples(for: op, dtype: dtype) {
                let expected = try evaluate(sample, on: reference)
                let actual: Outcome
                do {
                    actual = try evaluate(sample, on: torch)
                } catch {
                    XCTFail("\(sample): threw \(error)")
                    continue
                }
                let (fa, fr) = dtype == .float32 ? (1e-6, 1e-5) : (1e-12, 1e-10)
                let (ga, gr) = dtype == .float32 ? (1e-5, 1e-4) : (1e-11, 1e-9)
                assertClose(actual.output, expected.output, absolute: fa, relative: fr, "\(sample) output")
                for (i, (a, e)) in zip(actual.gradients, expected.gradients).enumerated() {
                    switch (a, e) {
                    case (nil, nil): continue
                    case let (a?, e?):
                        assertClose(a, e, absolute: ga, relative: gr, "\(sample) gradient of input \(i + 1)")
                        gradients += 1
                    default:
                        XCTFail("\(sample): gradient of input \(i + 1) is \(a == nil ? "missing" : "unexpected")")
                    }
                }
                samples += 1
            }
        }
        XCTAssertGreaterThan(samples, 200)
        XCTAssertGreaterThan(gradients, 150)
    }

    func testEveryOpMatchesTheReferenceInFloat32() throws { try check(.float32) }
    func testEveryOpMatchesTheReferenceInFloat64() throws { try check(.float64) }

    /// Ops that take int64 (`.numeric` policy) give the reference's values exactly.
    func testIntegerOpsMatchTheReferenceExactly() throws {
        let torch = try requireTorchBackend()
        var count = 0
        for op in OpRegistry.shared.all where op.signature.dtypes == .numeric {
            for sample in SampleInputs.samples(for: op, dtype: .int64) {
                let expected = try sample.run(on: reference).toHost()
                assertClose(try sample.run(on: torch).toHost(), expected, absolute: 0, relative: 0, "\(sample)")
                count += 1
            }
        }
        XCTAssertGreaterThan(count, 100)
    }

    /// Gradients on torch agree with central finite differences on torch (float64).
    func testGradientsMatchFiniteDifferences() throws {
        let torch = try requireTorchBackend()
        var failures: [String] = []
        var checked = 0
        for op in OpRegistry.shared.all where op.isDifferentiable {
            for sample in SampleInputs.samples(for: op, dtype: .float64).prefix(3) {
                for result in try GradientCheck.check(sample, on: torch) {
                    checked += 1
                    if !result.passed { failures.append(result.description) }
                }
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(checked, 50)
    }
}
