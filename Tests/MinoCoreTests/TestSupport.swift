import XCTest
@testable import MinoCore
import MinoReference

/// Shared helpers: a reference backend and tensor builders.
enum T {
    static let backend = ReferenceBackend()

    static func f64(_ values: [Double], _ shape: Shape, grad: Bool = false) throws -> Tensor {
        try Tensor(values, shape: shape, on: backend, requiresGrad: grad)
    }

    static func f32(_ values: [Float], _ shape: Shape, grad: Bool = false) throws -> Tensor {
        try Tensor(values, shape: shape, on: backend, requiresGrad: grad)
    }

    static func i64(_ values: [Int64], _ shape: Shape) throws -> Tensor {
        try Tensor(values, shape: shape, on: backend)
    }
}

/// Asserts two arrays agree elementwise within `tolerance`.
func XCTAssertClose(_ actual: [Double], _ expected: [Double], tolerance: Double = 1e-9,
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "counts differ", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(Swift.abs(a - e) <= tolerance) {
        XCTFail("element \(i): \(a) is not within \(tolerance) of \(e)", file: file, line: line)
        return
    }
}

/// Asserts that `body` throws a `MinoError` of `kind` whose message contains every one of `fragments`.
func XCTAssertMinoError<R>(_ kind: MinoError.Kind, _ fragments: [String] = [], file: StaticString = #filePath,
                           line: UInt = #line, _ body: () throws -> R) {
    do {
        _ = try body()
        XCTFail("expected a \(kind) error", file: file, line: line)
    } catch let error as MinoError {
        XCTAssertEqual(error.kind, kind, "\(error)", file: file, line: line)
        for f in fragments where !error.message.contains(f) {
            XCTFail("message '\(error.message)' lacks '\(f)'", file: file, line: line)
        }
    } catch {
        XCTFail("expected MinoError, got \(error)", file: file, line: line)
    }
}
