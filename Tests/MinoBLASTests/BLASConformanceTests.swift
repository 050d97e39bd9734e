import XCTest
import Mino
import MinoConformance
import MinoConformanceTesting

/// The project's conformance suite against the blas backend: every op in both
/// float dtypes against the reference backend and PyTorch's golden values,
/// gradients, finite differences, error kinds and the whole-model cases.
final class BLASConformanceTests: XCTestCase {
    func testBLASBackendConforms() {
        let report = XCTAssertConforms(BLASBackend())
        XCTAssertEqual(report.failed, 0)
        XCTAssertEqual(report.skipped, 0, "checks were skipped:\n"
                       + report.results.filter { $0.outcome == .skip }.prefix(5).map(\.description).joined(separator: "\n"))
        for dtype in [DType.float32, .float64] {
            XCTAssertTrue(report.results.contains { $0.dtype == dtype && $0.outcome == .pass }, "nothing checked in \(dtype)")
        }
    }
}
