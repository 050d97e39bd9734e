import Foundation
import MinoPython
import XCTest

/// The process's interpreter, started on first use with the default search
/// (MINO_PYTHON, then the project's .venv, ...). Where no Python is found
/// the test is skipped and says why; with MINO_REQUIRE_PYTHON=1 (for CI
/// machines that must have it) it fails instead.
func requirePython(file: StaticString = #filePath, line: UInt = #line) throws -> PythonInterpreter {
    do {
        return try PythonInterpreter.shared
    } catch {
        if ProcessInfo.processInfo.environment["MINO_REQUIRE_PYTHON"] == "1" {
            XCTFail("Python is required (MINO_REQUIRE_PYTHON=1) but not available:\n\(error)", file: file, line: line)
        }
        throw XCTSkip("Python is not available, so this test cannot run:\n\(error)")
    }
}

/// The interpreter, and `import torch`; skipped (saying why) where torch is missing.
func requireTorch() throws -> (PythonInterpreter, PythonObject) {
    let python = try requirePython()
    guard python.environment.hasTorch else {
        throw XCTSkip("torch is not installed in \(python.environment.executable); "
                      + "run scripts/setup.sh --python or set MINO_PYTHON")
    }
    return (python, try python.import("torch"))
}

/// `import numpy`, skipped where it is missing.
func requireNumpy() throws -> (PythonInterpreter, PythonObject) {
    let python = try requirePython()
    guard python.environment.hasNumpy else {
        throw XCTSkip("numpy is not installed in \(python.environment.executable)")
    }
    return (python, try python.import("numpy"))
}

/// Asserts that `body` throws a PythonError of the given Python type, and returns it.
@discardableResult
func assertPythonError<T>(_ typeName: String, file: StaticString = #filePath, line: UInt = #line,
                          _ body: () throws -> T) -> PythonError? {
    do {
        let value = try body()
        XCTFail("expected \(typeName), got a result: \(value)", file: file, line: line)
        return nil
    } catch let error as PythonError {
        XCTAssertEqual(error.typeName, typeName, "\(error)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected PythonError \(typeName), got \(error)", file: file, line: line)
        return nil
    }
}

/// A fresh temporary directory, removed when the test ends.
func makeTemporaryDirectory(_ test: XCTestCase) throws -> String {
    let path = (NSTemporaryDirectory() as NSString)
        .appendingPathComponent("mino-python-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    let resolved = (path as NSString).resolvingSymlinksInPath
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: resolved) }
    return resolved
}

/// Resident set size of this process in bytes (Linux), or nil.
func residentBytes() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}
