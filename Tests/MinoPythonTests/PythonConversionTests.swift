import Foundation
import MinoPython
import XCTest

final class PythonConversionTests: XCTestCase {
    func testNumbersRoundTrip() throws {
        let python = try requirePython()
        let identity = try python.evaluate("lambda x: x")
        for value in [0, 1, -1, 255, 256, -5, Int.max, Int.min] {
            XCTAssertEqual(try identity.call([value]).toInt(), value)
        }
        XCTAssertEqual(try identity.call([Int64.min]).toInt64(), Int64.min)
        XCTAssertEqual(try identity.call([Int32(-7)]).toInt(), -7)
        XCTAssertEqual(try identity.call([UInt64.max]).description, "18446744073709551615")
        for value in [0.0, -0.5, 1e300, .infinity, Double.leastNonzeroMagnitude] {
            XCTAssertEqual(try identity.call([value]).toDouble(), value)
        }
        XCTAssertTrue(try identity.call([Double.nan]).toDouble().isNaN)
        XCTAssertEqual(try identity.call([Float(0.1)]).toFloat(), Float(0.1))
        XCTAssertEqual(try identity.call([Float(0.1)]).toDouble(), Double(Float(0.1)))
        XCTAssertEqual(try identity.call([true]).toBool(), true)
        XCTAssertEqual(try identity.call([false]).description, "False")
        XCTAssertEqual(try python.evaluate("2 ** 62").toInt(), 1 << 62)
        XCTAssertEqual(try python.evaluate("3").toDouble(), 3)          // int -> float is fine
        XCTAssertEqual(try python.evaluate("True").toInt(), 1)
        XCTAssertEqual(try Int(python: python.evaluate("-12")), -12)
    }

    func testConversionErrorsAreThrown() throws {
        let python = try requirePython()
        assertPythonError("OverflowError") { try python.evaluate("2 ** 70").toInt() }
        assertPythonError("TypeError") { try python.evaluate("1.5").toInt() }
        assertPythonError("TypeError") { try python.evaluate("'x'").toDouble() }
        let error = assertPythonError("TypeError") { try python.evaluate("42").toString() }
        XCTAssertEqual(error?.message, "expected a str, got int")
        assertPythonError("ValueError") { try python.builtins().attribute("int").call(["x"]) }
        assertPythonError("TypeError") { try python.evaluate("[1, 'a']").toArray(of: Int.self) }
        assertPythonError("TypeError") { try python.evaluate("5").toArray() }
        assertPythonError("TypeError") { try python.evaluate("5").count() }
        // bool() of a value that refuses it.
        let numpyLike = try python.run("""
            class Ambiguous:
                def __bool__(self):
                    raise ValueError('truth value is ambiguous')
            """).item("Ambiguous").call()
        assertPythonError("ValueError") { try numpyLike.toBool() }
    }

    func testStrings() throws {
        let python = try requirePython()
        let identity = try python.evaluate("lambda x: x")
        for text in ["", "plain", "ünïcödé", "日本語", "emoji 🧪🐍", "with\u{0}nul", "line\nbreak"] {
            XCTAssertEqual(try identity.call([text]).toString(), text)
        }
        XCTAssertEqual(try python.evaluate("len('🧪')").toInt(), 1)
        XCTAssertEqual(try python.evaluate("'abc'").callMethod("upper").toString(), "ABC")
        XCTAssertEqual(try python.evaluate("'a,b,c'").callMethod("split", [","]).toArray(of: String.self), ["a", "b", "c"])
        // A lone surrogate cannot become UTF-8: an error, not garbage.
        assertPythonError("UnicodeEncodeError") { try python.evaluate("'\\ud800'").toString() }
        XCTAssertEqual(try python.evaluate("42").description, "42")
        XCTAssertEqual(try python.evaluate("'q'").debugDescription, "'q'")
        XCTAssertEqual(try python.evaluate("'q'").repr(), "'q'")
    }

    func testContainers() throws {
        let python = try requirePython()
        let list = try [1, 2, 3].pythonObject()
        XCTAssertEqual(list.pythonTypeName, "list")
        XCTAssertEqual(try list.count(), 3)
        XCTAssertEqual(try list.toArray(of: Int.self), [1, 2, 3])
        XCTAssertEqual(try [Int](python: list), [1, 2, 3])
        XCTAssertEqual(try [[1.5], [2.5, 3.5]].pythonObject().description, "[[1.5], [2.5, 3.5]]")

        let mixed = try PythonList([1, "two", 3.0, nil, true, PythonTuple(4, 5)]).pythonObject()
        XCTAssertEqual(mixed.description, "[1, 'two', 3.0, None, True, (4, 5)]")
        XCTAssertEqual(try PythonTuple().pythonObject().description, "()")
        XCTAssertEqual(try PythonTuple(items: ["a", nil]).pythonObject().description, "('a', None)")
        XCTAssertTrue(try PythonNone().pythonObject().isNone)
        XCTAssertTrue(try (nil as Int?).pythonObject().isNone)
        XCTAssertEqual(try (7 as Int?).pythonObject().toInt(), 7)
        XCTAssertTrue(python.none.isNone)
        XCTAssertFalse(try 0.pythonObject().isNone)

        let dict = try ["b": 2, "a": 1].pythonObject()
        XCTAssertEqual(try dict.item("a").toInt(), 1)
        try dict.setItem("c", [3])
        XCTAssertEqual(try dict.item("c").description, "[3]")
        assertPythonError("KeyError") { try dict.item("missing") }
        assertPythonError("IndexError") { try list.item(10) }
        try list.setItem(0, "first")
        XCTAssertEqual(list.description, "['first', 2, 3]")
        XCTAssertEqual(try list.item(-1).toInt(), 3)

        let bytes = try PythonBytes([0, 1, 2, 255]).pythonObject()
        XCTAssertEqual(bytes.pythonTypeName, "bytes")
        XCTAssertEqual(try bytes.toBytes(), [0, 1, 2, 255])
        XCTAssertEqual(try PythonBytes([]).pythonObject().toBytes(), [])
        XCTAssertEqual(try python.evaluate("bytearray(b'xyz')").toBytes(), Array("xyz".utf8))
    }

    func testCallsAttributesAndKeywords() throws {
        let python = try requirePython()
        let builtins = try python.builtins()
        XCTAssertEqual(try builtins.attribute("int").call(["ff"], kwargs: [("base", 16)]).toInt(), 255)
        XCTAssertEqual(try builtins.callMethod("sorted", [[3, 1, 2]], kwargs: [("reverse", true)]).toArray(of: Int.self),
                       [3, 2, 1])
        XCTAssertEqual(try builtins.callMethod("max", [4, 9, 2]).toInt(), 9)
        let math = try python.import("math")
        XCTAssertEqual(try math.callMethod("sqrt", [2.0]).toDouble(), 2.0.squareRoot())
        XCTAssertEqual(try math.attribute("pi").toDouble(), Double.pi)
        XCTAssertEqual(try python.import("os.path").attribute("__name__").toString(), "posixpath")

        let namespace = try python.import("types").attribute("SimpleNamespace").call([], kwargs: [("a", 1)])
        try namespace.setAttribute("b", "two")
        try namespace.setAttribute("c", nil)
        XCTAssertEqual(namespace.description, "namespace(a=1, b='two', c=None)")

        assertPythonError("AttributeError") { try namespace.attribute("missing") }
        // A NUL in a name is passed whole, so it cannot reach a different attribute.
        assertPythonError("AttributeError") { try namespace.attribute("a\u{0}junk") }
        assertPythonError("TypeError") { try namespace.call() }
        assertPythonError("TypeError") { try math.callMethod("sqrt", ["four"]) }
        assertPythonError("TypeError") { try builtins.attribute("int").call([], kwargs: [("nonsense", 1)]) }
        assertPythonError("ModuleNotFoundError") { try python.import("no_such_module_for_mino") }
        XCTAssertEqual(assertPythonError("ValueError") { try python.import("a\u{0}b") }?.kind, .invalidArgument)
    }

    func testDescriptionNeverThrows() throws {
        let python = try requirePython()
        let broken = try python.run("""
            class Broken:
                def __str__(self):
                    raise RuntimeError('no str')
                def __repr__(self):
                    raise RuntimeError('no repr')
            """).item("Broken").call()
        XCTAssertEqual(broken.description, "<Broken object: str() failed>")
        XCTAssertEqual(broken.debugDescription, "<Broken object: repr() failed>")
        assertPythonError("RuntimeError") { try broken.repr() }
        // And Python is still fine afterwards (no exception left set).
        XCTAssertEqual(try python.evaluate("1").toInt(), 1)
    }
}
