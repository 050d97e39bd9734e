import XCTest
import Mino
import MinoConformance

/// Every registered op, on every sample the conformance suite derives for it,
/// in float32 and float64: the blas backend must give the reference backend's
/// values and gradients, and refuse bad calls with the same kind of error.
final class BLASOpTests: XCTestCase {
    let blas = BLASBackend()
    let reference = ReferenceBackend()

    func testForwardValuesMatchTheReference() throws {
        var failures: [String] = []
        var compared = 0
        for dtype in [DType.float32, .float64] {
            for op in OpRegistry.shared.all {
                for sample in SampleInputs.samples(for: op, dtype: dtype) {
                    do {
                        let expected = try sample.run(on: reference)
                        let actual = try sample.run(on: blas)
                        XCTAssertEqual(actual.backend.name, "blas")
                        if let problem = Closeness.mismatch(try actual.toHost(), try expected.toHost()) {
                            failures.append("\(sample): \(problem)")
                        }
                        compared += 1
                    } catch {
                        failures.append("\(sample): threw \(error)")
                    }
                }
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(compared, 300)
    }

    func testGradientsMatchTheReference() throws {
        var failures: [String] = []
        var compared = 0
        for dtype in [DType.float32, .float64] {
            for op in OpRegistry.shared.all where op.isDifferentiable {
                for sample in SampleInputs.samples(for: op, dtype: dtype) {
                    do {
                        let expected = try gradients(sample, on: reference)
                        let actual = try gradients(sample, on: blas)
                        XCTAssertEqual(actual.count, expected.count, "\(sample)")
                        for (i, (a, e)) in zip(actual, expected).enumerated() {
                            guard let a, let e else {
                                if (a == nil) != (e == nil) { failures.append("\(sample) input \(i + 1): gradient presence differs") }
                                continue
                            }
                            if let problem = Closeness.mismatch(a, e) {
                                failures.append("\(sample) input \(i + 1): \(problem)")
                            }
                            compared += 1
                        }
                    } catch {
                        failures.append("\(sample): threw \(error)")
                    }
                }
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(compared, 200)
    }

    func testBadCallsThrowTheReferencesErrorKind() throws {
        var failures: [String] = []
        for dtype in [DType.float32, .float64] {
            for op in OpRegistry.shared.all {
                for (sample, kind) in SampleInputs.errorSamples(for: op, dtype: dtype) {
                    do {
                        _ = try sample.run(on: blas)
                        failures.append("\(sample): did not throw")
                    } catch let error as MinoError {
                        if error.kind != kind { failures.append("\(sample): threw \(error.kind), expected \(kind)") }
                    } catch {
                        failures.append("\(sample): threw \(error)")
                    }
                }
            }
        }
        XCTAssertEqual(failures, [])
    }

    /// ∂(Σ op(inputs) ⊙ W)/∂input for each differentiable input, W fixed by the sample.
    func gradients(_ sample: OpSample, on backend: any Backend) throws -> [HostArray?] {
        let inputs = try sample.tensors(on: backend, requiresGrad: true)
        let output = try Dispatch.apply(sample.op, inputs, sample.attributes)
        guard output.dtype.isFloatingPoint else { return [] }
        let weights = RandomGenerator(seed: 0xB1A5 ^ UInt64(output.elementCount))
            .uniform(count: output.elementCount, low: -1, high: 1)
        let w = try Tensor(doubles: weights, shape: output.shape, dtype: output.dtype, on: backend)
        let loss = try (output * w).sum()
        guard loss.requiresGrad else { return [] }
        try loss.backward()
        return try inputs.map { try $0.grad?.toHost() }
    }
}
