import XCTest
@testable import MinoCore
import MinoReference

/// The shared constants behind `tensor ∘ number`: one per backend, dtype and value.
final class ScalarConstantsTests: XCTestCase {
    func testConstantsAreSharedPerBackendDTypeAndValue() throws {
        let a = try T.f32([1, 2], [2])
        let b = try T.f64([1, 2], [2])
        XCTAssertTrue(try a.constant(0.5) === a.constant(0.5))
        XCTAssertFalse(try a.constant(0.5) === b.constant(0.5), "float32 and float64 share a constant")
        XCTAssertFalse(try a.constant(0.5) === a.constant(0.25))
        let other = ReferenceBackend(name: "other")
        let c = try Tensor([1, 2] as [Float], shape: [2], on: other)
        XCTAssertTrue(try c.constant(0.5).backend === other)
        XCTAssertEqual(try (a * 0.5).doubles(), [0.5, 1])
        XCTAssertEqual(try (1 - b).doubles(), [0, -1])
    }

    func testTheTableStaysBoundedAndCorrect() throws {
        let a = try T.f64([2], [1])
        for i in 0..<(3 * ScalarConstants.capacity) {
            XCTAssertEqual(try (a * Double(i)).doubles(), [2 * Double(i)])
        }
        XCTAssertEqual(try a.constant(-0.0).doubles(), [-0.0])
        XCTAssertFalse(try a.constant(-0.0) === a.constant(0.0), "-0 and +0 are different constants")
    }
}
