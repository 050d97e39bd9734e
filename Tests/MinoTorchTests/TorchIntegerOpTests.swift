import MinoConformance
import MinoCore
import MinoReference
import MinoTorch
import XCTest

/// Integer ops, which the conformance suite (float32 and float64) does not
/// run: every numeric op's derived int64 samples, exactly as on the reference.
final class TorchIntegerOpTests: XCTestCase {
    let reference = ReferenceBackend()

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
}
