import Foundation
import MinoPython
import XCTest

final class PythonInterpreterTests: XCTestCase {
    func testStartsOnceFromManyThreads() throws {
        _ = try requirePython()
        var started = [PythonInterpreter?](repeating: nil, count: 8)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let interpreter = try? PythonInterpreter.start()
            lock.lock(); started[index] = interpreter; lock.unlock()
        }
        let first = try XCTUnwrap(started[0])
        for interpreter in started { XCTAssertTrue(interpreter === first) }
        XCTAssertTrue(try PythonInterpreter.shared === first)
        XCTAssertTrue(PythonInterpreter.current === first)
        // Starting again with a locator that would fail still returns the running one.
        let nowhere = PythonLocator(environment: ["MINO_PYTHON": "/nonexistent"], currentDirectory: "/",
                                    sourceCheckout: nil)
        XCTAssertTrue(try PythonInterpreter.start(locator: nowhere) === first)
        XCTAssertTrue(try PythonInterpreter.start(environment: first.environment) === first)
    }

    func testSysLooksLikeTheLocatedEnvironment() throws {
        let python = try requirePython()
        let sys = try python.import("sys")
        XCTAssertEqual(try sys.attribute("argv").toArray(of: String.self), ["mino"])
        XCTAssertEqual(try sys.attribute("executable").toString(), python.environment.sysExecutable)
        XCTAssertEqual(try sys.attribute("path").toArray(of: String.self), python.environment.sysPath)
        XCTAssertEqual(try sys.attribute("prefix").toString(), python.environment.prefix)
        let versionInfo = try sys.attribute("version_info").toArray(of: PythonObject.self).prefix(3)
        XCTAssertEqual(try versionInfo.map { try $0.toInt() }, python.environment.version)
        XCTAssertTrue(python.version.hasPrefix(python.environment.versionString), python.version)
    }

    func testTorchImportsFromTheEnvironment() throws {
        let (python, torch) = try requireTorch()
        let file = try torch.attribute("__file__").toString()
        XCTAssertTrue(python.environment.sysPath.contains { file.hasPrefix($0 + "/") }, file)
        let ones = try torch.callMethod("ones", [2, 3], kwargs: [("dtype", try torch.attribute("float64"))])
        XCTAssertEqual(try ones.callMethod("sum").callMethod("item").toDouble(), 6)
        print("torch \(try torch.attribute("__version__")) from \(file)")
    }

    func testEvaluateAndRun() throws {
        let python = try requirePython()
        XCTAssertEqual(try python.evaluate("1 + 2").toInt(), 3)
        let globals = try python.run("""
            def double(x):
                return 2 * x
            total = double(21)
            """)
        XCTAssertEqual(try globals.item("total").toInt(), 42)
        XCTAssertEqual(try globals.item("double").call([5]).toInt(), 10)
        // Code run in the same globals sees earlier definitions.
        XCTAssertEqual(try python.evaluate("double(total)", globals: globals).toInt(), 84)
        try python.run("counter = total + 1", globals: globals)
        XCTAssertEqual(try globals.item("counter").toInt(), 43)
        // A globals that is not a dict is refused before CPython sees it.
        let error = assertPythonError("TypeError") { try python.run("x = 1", globals: try python.evaluate("[1]")) }
        XCTAssertEqual(error?.kind, .invalidArgument)
        // A NUL byte in source text is refused, not truncated.
        XCTAssertEqual(assertPythonError("ValueError") { try python.evaluate("1\u{0}+2") }?.kind, .invalidArgument)
    }

    func testSystemExitIsAnErrorNotAnExit() throws {
        let python = try requirePython()
        let error = assertPythonError("SystemExit") { try python.run("import sys\nsys.exit(3)") }
        XCTAssertEqual(error?.message, "3")
        XCTAssertEqual(try python.evaluate("40 + 2").toInt(), 42)
    }

    func testWithGILIsReentrant() throws {
        let python = try requirePython()
        let result = try python.withGIL {
            try python.withGIL {
                try python.evaluate("6 * 7").toInt()
            }
        }
        XCTAssertEqual(result, 42)
    }

    func testContextManager() throws {
        let python = try requirePython()
        let globals = try python.run("""
            log = []
            class Manager:
                def __enter__(self):
                    log.append('enter')
                    return 'entered'
                def __exit__(self, kind, value, traceback):
                    log.append(('exit', kind.__name__ if kind else None, str(value) if value else None))
                    return True   # asks to swallow the exception; Swift errors are rethrown anyway
            """)
        let manager = try globals.item("Manager").call()
        let entered = try manager.withContext { try $0.toString() }
        XCTAssertEqual(entered, "entered")

        struct Boom: Error {}
        XCTAssertThrowsError(try manager.withContext { _ in throw Boom() }) { XCTAssertTrue($0 is Boom) }
        XCTAssertThrowsError(try manager.withContext { _ in try python.evaluate("1 / 0") }) {
            XCTAssertEqual(($0 as? PythonError)?.typeName, "ZeroDivisionError")
        }
        let log = try globals.item("log").description
        XCTAssertEqual(log, "['enter', ('exit', None, None), 'enter', ('exit', 'RuntimeError', 'Swift error: Boom()'), "
                       + "'enter', ('exit', 'ZeroDivisionError', 'division by zero')]")
    }

    func testNoGradContextWithTorch() throws {
        let (_, torch) = try requireTorch()
        let x = try torch.callMethod("ones", [3], kwargs: [("requires_grad", true)])
        let y = try torch.callMethod("no_grad").withContext { _ in try x.callMethod("__mul__", [2]) }
        XCTAssertFalse(try y.attribute("requires_grad").toBool())
        XCTAssertTrue(try x.callMethod("__mul__", [2]).attribute("requires_grad").toBool())
    }
}
