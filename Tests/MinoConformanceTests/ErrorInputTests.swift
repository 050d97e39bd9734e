import MinoConformance
import MinoCore
import XCTest

final class ErrorInputTests: XCTestCase {
    /// Every op gets error inputs in both dtypes (at least the arity check).
    func testEveryOpHasErrorInputs() {
        for op in OpRegistry.shared.all {
            for dtype in [DType.float32, .float64] {
                let errors = ErrorInputs.samples(for: op, dtype: dtype)
                XCTAssertTrue(errors.contains { $0.reason == "arity" }, "\(op.name) \(dtype)")
            }
        }
    }

    /// Ops with index inputs get the data-dependent cases no shape rule can see.
    func testIndexOpsGetDataDependentErrors() {
        for name in ["indexSelect", "indexAdd", "gather", "scatterAdd", "crossEntropy"] {
            guard let op = OpRegistry.shared.lookup(name) else { return XCTFail("no op \(name)") }
            let errors = ErrorInputs.samples(for: op, dtype: .float32)
            let outOfRange = errors.filter { $0.reason == "index out of range" }
            XCTAssertEqual(outOfRange.count, 2, name)
            XCTAssertTrue(outOfRange.allSatisfy { $0.expected == .argument }, name)
            XCTAssertTrue(errors.contains { $0.reason == "index dtype" && $0.expected == .dtype }, name)
        }
    }

    /// The reference backend throws the expected kind for every error input.
    func testTheReferenceThrowsTheExpectedKinds() {
        let report = ConformanceSuite(backend: MinoReferenceFactory.make(), modelCases: []).run(filter: "error")
        XCTAssertEqual(report.failed, 0, report.failureDescription)
        XCTAssertGreaterThan(report.passed, 300)
    }
}
