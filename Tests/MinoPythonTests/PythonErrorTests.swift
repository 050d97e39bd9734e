import Foundation
import MinoPython
import XCTest

final class PythonErrorTests: XCTestCase {
    func testValueErrorCarriesTypeMessageAndTraceback() throws {
        let python = try requirePython()
        let error = try XCTUnwrap(assertPythonError("ValueError") {
            try python.builtins().attribute("int").call(["not a number"])
        })
        XCTAssertEqual(error.kind, .exception)
        XCTAssertEqual(error.message, "invalid literal for int() with base 10: 'not a number'")
        XCTAssertTrue(error.traceback.hasSuffix("ValueError: invalid literal for int() with base 10: 'not a number'\n"),
                      error.traceback)
        XCTAssertTrue(error.context.hasPrefix("calling <class 'int'>"), error.context)
        let text = error.description
        XCTAssertTrue(text.hasPrefix("Python ValueError: invalid literal"), text)
        // The exception object itself comes along.
        let exception = try XCTUnwrap(error.exception)
        XCTAssertEqual(exception.pythonTypeName, "ValueError")
        XCTAssertEqual(try exception.attribute("args").item(0).toString(), error.message)
    }

    func testZeroDivisionFromSourceTextNamesTheFileAndLine() throws {
        let python = try requirePython()
        let error = try XCTUnwrap(assertPythonError("ZeroDivisionError") {
            try python.run("a = 1\nb = 0\nc = a / b\n", filename: "/models/net.py")
        })
        XCTAssertEqual(error.message, "division by zero")
        XCTAssertTrue(error.traceback.contains("File \"/models/net.py\", line 3, in <module>"), error.traceback)
        XCTAssertTrue(error.traceback.hasPrefix("Traceback (most recent call last):"), error.traceback)
        XCTAssertEqual(error.context, "running /models/net.py")
        assertPythonError("ZeroDivisionError") { try python.evaluate("1 // 0") }
    }

    func testExceptionRaisedInsideNestedCallsOfAModule() throws {
        let python = try requirePython()
        let directory = try makeTemporaryDirectory(self)
        let moduleName = "mino_nested_\(UUID().uuidString.replacingOccurrences(of: "-", with: "_"))"
        let file = (directory as NSString).appendingPathComponent("\(moduleName).py")
        try """
            class ShapeError(ValueError):
                pass

            def inner(x):
                return x / 0

            def middle(x):
                return inner(x) + 1

            def outer(x):
                return middle(x) * 2

            def check(shape):
                if len(shape) != 2:
                    raise ShapeError(f'expected 2 axes, got {len(shape)}: {shape}')
                return shape
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let sysPath = try python.import("sys").attribute("path")
        try sysPath.callMethod("insert", [0, directory])
        addTeardownBlock { _ = try? sysPath.callMethod("remove", [directory]) }
        let module = try python.import(moduleName)

        let error = try XCTUnwrap(assertPythonError("ZeroDivisionError") { try module.callMethod("outer", [1]) })
        XCTAssertEqual(error.message, "division by zero")
        let trace = error.traceback
        XCTAssertTrue(trace.contains("File \"\(file)\", line 11, in outer"), trace)
        XCTAssertTrue(trace.contains("File \"\(file)\", line 8, in middle"), trace)
        XCTAssertTrue(trace.contains("File \"\(file)\", line 5, in inner"), trace)
        XCTAssertTrue(trace.contains("return x / 0"), trace)          // source lines, via linecache
        let outerAt = try XCTUnwrap(trace.range(of: "in outer")).lowerBound
        let innerAt = try XCTUnwrap(trace.range(of: "in inner")).lowerBound
        XCTAssertLessThan(outerAt, innerAt, "most recent call last")

        // A user-defined exception class is named with its module.
        let shapeError = try XCTUnwrap(assertPythonError("\(moduleName).ShapeError") {
            try module.callMethod("check", [[1, 2, 3]])
        })
        XCTAssertEqual(shapeError.message, "expected 2 axes, got 3: [1, 2, 3]")
        XCTAssertTrue(shapeError.traceback.contains("line 15, in check"), shapeError.traceback)
        XCTAssertEqual(try module.callMethod("check", [[4, 5]]).toArray(of: Int.self), [4, 5])
    }

    func testSyntaxErrorIsThrown() throws {
        let python = try requirePython()
        let error = try XCTUnwrap(assertPythonError("SyntaxError") { try python.run("def broken(:\n", filename: "bad.py") })
        XCTAssertTrue(error.traceback.contains("bad.py"), error.traceback)
        XCTAssertEqual(error.context, "compiling bad.py")
    }

    func testTorchErrorsAreThrownNotFatal() throws {
        let (_, torch) = try requireTorch()
        let a = try torch.callMethod("ones", [2, 3])
        let b = try torch.callMethod("ones", [4, 5])
        let error = try XCTUnwrap(assertPythonError("RuntimeError") { try torch.callMethod("matmul", [a, b]) })
        XCTAssertTrue(error.message.contains("cannot be multiplied"), error.message)
        XCTAssertEqual(error.context, "calling method 'matmul'")
        // And the next call works.
        let product = try torch.callMethod("matmul", [a, try torch.callMethod("ones", [3, 4])])
        XCTAssertEqual(try product.callMethod("sum").callMethod("item").toDouble(), 24)
    }

    func testCallingBeforeStartIsAnErrorNotACrash() throws {
        // Only meaningful in a process where Python has not started yet; the
        // conversion path checks for a running interpreter either way.
        if PythonInterpreter.current == nil {
            XCTAssertThrowsError(try 5.pythonObject()) { error in
                XCTAssertEqual((error as? PythonError)?.kind, .notStarted)
            }
        } else {
            XCTAssertEqual(try 5.pythonObject().toInt(), 5)
        }
    }
}
