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

/// The same suite with Intel MKL as the BLAS library (`MINO_BLAS=mkl`), where the
/// project's .venv has the mkl wheel (`scripts/setup.sh --python`).
final class BLASMKLConformanceTests: XCTestCase {
    func testBLASBackendConformsOnMKL() throws {
        guard (try? BLASLibrary.find(.mkl, locator: BLASLocator())) != nil else {
            throw XCTSkip("no libmkl_rt here (scripts/setup.sh --python installs it)")
        }
        let previous = try BLASLibrary.current().provider
        try BLASLibrary.use(.mkl)
        defer { _ = try? BLASLibrary.use(previous) }
        XCTAssertTrue(try BLASLibrary.current().isMKL)
        let report = XCTAssertConforms(BLASBackend())
        XCTAssertEqual(report.failed, 0)
        XCTAssertEqual(report.skipped, 0)
        XCTAssertGreaterThan(report.results.filter { $0.outcome == .pass }.count, 100)
    }
}
