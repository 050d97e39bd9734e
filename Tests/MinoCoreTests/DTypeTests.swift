import XCTest
@testable import MinoCore

final class DTypeTests: XCTestCase {
    func testTableHasOneRowPerDType() {
        XCTAssertEqual(DType.table.count, DType.allCases.count)
        for (i, dtype) in DType.allCases.enumerated() {
            XCTAssertEqual(dtype.ordinal, i)
            XCTAssertEqual(dtype.info.name, dtype.rawValue)
        }
    }

    func testParsingEverySpelling() throws {
        XCTAssertEqual(try DType(parsing: "torch.float32"), .float32)
        XCTAssertEqual(try DType(parsing: "F64"), .float64)
        XCTAssertEqual(try DType(parsing: "<i8"), .int64)
        XCTAssertEqual(try DType(parsing: "long"), .int64)
        XCTAssertThrowsError(try DType(parsing: "bfloat7")) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .dtype)
            XCTAssertTrue("\(error)".contains("bfloat7"))
        }
    }

    func testPromotion() {
        XCTAssertEqual(DType.promote(.int64, .float32), .float32)
        XCTAssertEqual(DType.promote(.float32, .float64), .float64)
        XCTAssertEqual(DType.promote(.int64, .int64), .int64)
    }
}
