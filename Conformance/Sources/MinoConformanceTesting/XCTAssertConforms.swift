import MinoConformance
import MinoCore
import XCTest

/// Runs the whole conformance suite against `backend` and fails the calling
/// test once per failing check, naming the op, the check, the dtype, the
/// sample and the numbers, and once per primitive kernel the backend lacks
/// (``KernelCoverage``; not with a `filter`). The one line a backend's test target needs:
///
/// ```swift
/// func testConforms() { XCTAssertConforms(MyBackend()) }
/// ```
///
/// - Returns: the report, for further assertions (counts, skipped rows).
@discardableResult
public func XCTAssertConforms(_ backend: any Backend, filter: String? = nil,
                              file: StaticString = #filePath, line: UInt = #line) -> ConformanceReport {
    let report = ConformanceSuite(backend: backend).run(filter: filter)
    for failure in report.failures.prefix(50) {
        XCTFail("\(backend.name): \(failure)", file: file, line: line)
    }
    if report.failed > 50 {
        XCTFail("\(backend.name): … and \(report.failed - 50) more failures", file: file, line: line)
    }
    XCTAssertGreaterThan(report.passed, 0, "\(backend.name): the suite checked nothing", file: file, line: line)
    if filter == nil {
        for missing in KernelCoverage.missing(on: backend) {
            XCTFail("\(backend.name) lacks the kernel \(missing)", file: file, line: line)
        }
    }
    return report
}
