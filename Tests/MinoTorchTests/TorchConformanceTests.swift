import MinoConformance
import MinoConformanceTesting
import MinoCore
import MinoTorch
import XCTest

/// The whole conformance suite on the torch backend: every registered op in
/// float32 and float64 against the reference, PyTorch's golden values,
/// finite differences and the error inputs; then the whole-model cases.
final class TorchConformanceTests: XCTestCase {
    func testTorchBackendConforms() throws {
        let torch = try requireTorchBackend()
        let report = XCTAssertConforms(torch)
        XCTAssertEqual(report.failed, 0)
        XCTAssertEqual(report.skipped, 0, "golden checks need Conformance/Golden/golden.safetensors")
        for op in OpRegistry.shared.all {
            for dtype in [DType.float32, .float64] {
                let checks = Set(report.results.filter { $0.op == op.name && $0.dtype == dtype }.map(\.check))
                XCTAssertTrue(checks.isSuperset(of: [.forward, .golden, .error]), "\(op.name) \(dtype): \(checks)")
            }
        }
        XCTAssertTrue(report.results.contains { $0.check == .model })
        XCTAssertGreaterThan(report.passed, 3000)
    }
}
