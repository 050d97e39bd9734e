import Foundation
import MinoCore
import MinoTorch
import XCTest

/// The torch backend for tests, made once per process (starting Python and
/// importing torch takes a second or two). Where Python or torch is missing
/// the test is skipped and says why; with MINO_REQUIRE_TORCH=1 (CI machines
/// that must have it) it fails instead.
func requireTorchBackend(file: StaticString = #filePath, line: UInt = #line) throws -> TorchBackend {
    switch TorchTestBackend.shared {
    case .success(let backend):
        return backend
    case .failure(let error):
        if ProcessInfo.processInfo.environment["MINO_REQUIRE_TORCH"] == "1" {
            XCTFail("torch is required (MINO_REQUIRE_TORCH=1) but not available:\n\(error)", file: file, line: line)
        }
        throw XCTSkip("the torch backend is not available here, so this test cannot run:\n\(error)")
    }
}

enum TorchTestBackend {
    /// On cpu with one thread whatever the environment says: results do not depend on it, and
    /// small kernels do not wait on idle OpenMP threads (slow on a machine of two shared cores).
    static let shared: Result<TorchBackend, Error> = Result {
        try TorchBackend(try TorchConfiguration(device: .cpu, threads: 1))
    }
}

/// Asserts that `body` throws a `MinoError` of `kind`, and returns it.
@discardableResult
func assertMinoError<T>(_ kind: MinoError.Kind, file: StaticString = #filePath, line: UInt = #line,
                        _ body: () throws -> T) -> MinoError? {
    do {
        let value = try body()
        XCTFail("expected a .\(kind) error, got \(value)", file: file, line: line)
    } catch let error as MinoError {
        XCTAssertEqual(error.kind, kind, "\(error.message)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected a MinoError .\(kind), got \(type(of: error)): \(error)", file: file, line: line)
    }
    return nil
}

/// Host arrays equal elementwise within `tolerance` (NaN matches NaN; exact for int64).
func assertClose(_ actual: HostArray, _ expected: HostArray, absolute: Double, relative: Double,
                 _ context: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard actual.shape == expected.shape, actual.dtype == expected.dtype else {
        XCTFail("\(context()): got \(actual.dtype) \(actual.shape), expected \(expected.dtype) \(expected.shape)",
                file: file, line: line)
        return
    }
    let exact = !actual.dtype.isFloatingPoint
    for (i, (a, e)) in zip(actual.doubles, expected.doubles).enumerated() {
        let ok = (a.isNaN && e.isNaN) || a == e
            || (!exact && Swift.abs(a - e) <= absolute + relative * Swift.abs(e))
        if !ok {
            XCTFail("\(context()): element \(i) is \(a), expected \(e)", file: file, line: line)
            return
        }
    }
}

/// Resident set size of this process in bytes (Linux), or nil.
func residentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
