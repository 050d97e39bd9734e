import XCTest
@testable import MinoLisp

final class ReaderTests: XCTestCase {
    func testAtoms() throws {
        XCTAssertEqual(try read("tfun.sigmoid"), .symbol("tfun.sigmoid"))
        for name in ["linear-to-hidden", "|->", "*->>", "@", ".zero_grad", "even?", "W_0", "+", "-", "->", "a~b", "#foo", "λ"] {
            XCTAssertEqual(try read(name), .symbol(name), name)
        }
        XCTAssertEqual(try read(":lr"), .keyword("lr"))
        XCTAssertEqual(try read(":"), .keyword(""))
        XCTAssertEqual(try read("True"), .bool(true))
        XCTAssertEqual(try read("False"), .bool(false))
        XCTAssertEqual(try read("None"), .none())
        XCTAssertEqual(try read("\"hi\""), .string("hi"))
    }

    func testNumbers() throws {
        let integers: [(String, Int)] = [("42", 42), ("-7", -7), ("+3", 3), ("0", 0), ("0x1F", 31), ("-0x10", -16),
                                         ("0o17", 15), ("0b101", 5), ("9223372036854775807", Int.max),
                                         ("-9223372036854775808", Int.min)]
        for (text, value) in integers { XCTAssertEqual(try read(text), .integer(value), text) }
        let floats: [(String, Double)] = [("1.5", 1.5), ("1e-5", 1e-5), ("1e-05", 1e-5), (".5", 0.5), ("-.5", -0.5),
                                          ("5.", 5), ("1E3", 1000), ("0.001", 0.001), ("-2.5e+10", -2.5e10)]
        for (text, value) in floats { XCTAssertEqual(try read(text), .float(value), text) }
        XCTAssertEqual(try read("Inf"), .float(.infinity))
        XCTAssertEqual(try read("-Inf"), .float(-.infinity))
        guard case .float(let nan) = try read("NaN").node else { return XCTFail("NaN is not a float") }
        XCTAssertTrue(nan.isNaN)
    }

    func testStringsAndEscapes() throws {
        XCTAssertEqual(try read(#""a\"b\\c\nd\te\r""#), .string("a\"b\\c\nd\te\r"))
        XCTAssertEqual(try read(#""\x41\u03bb\U0001F600\0\101""#), .string("Aλ😀\u{0}A"))
        XCTAssertEqual(try read("\"two\nlines\""), .string("two\nlines"))
        XCTAssertEqual(try read("\"joined \\\nline\""), .string("joined line"))
        XCTAssertEqual(try read(#""Epoch: {epoch} Loss: {loss}""#), .string("Epoch: {epoch} Loss: {loss}"))
    }

    func testCollectionsAndQuotes() throws {
        XCTAssertEqual(try read("(f a [b c] {:k 1} (, x y))"),
                       .list([.symbol("f"), .symbol("a"), .vector([.symbol("b"), .symbol("c")]),
                              .dict([.keyword("k"), .integer(1)]), .tuple([.symbol("x"), .symbol("y")])]))
        XCTAssertEqual(try read("(,)"), .tuple([]))
        XCTAssertEqual(try read("( , 1)"), .tuple([.integer(1)]))
        XCTAssertEqual(try read("()"), .list([]))
        XCTAssertEqual(try read("'[x w b]"), .wrapped("quote", .vector([.symbol("x"), .symbol("w"), .symbol("b")])))
        XCTAssertEqual(try read("`(a ~b ~@c)"),
                       .wrapped("quasiquote", .list([.symbol("a"), .wrapped("unquote", .symbol("b")),
                                                     .wrapped("unquote-splice", .symbol("c"))])))
        XCTAssertEqual(try read("' x"), .wrapped("quote", .symbol("x")))
        XCTAssertEqual(try read("''x"), .wrapped("quote", .wrapped("quote", .symbol("x"))))
    }

    func testCommentsShebangAndMultipleForms() throws {
        let forms = try Reader.readAll("#!/usr/bin/env mino\n; a comment\n(f x) ; trailing\n[1 2];end\n:k")
        XCTAssertEqual(forms.map(\.description), ["(f x)", "[1 2]", ":k"])
        XCTAssertEqual(try Reader.readAll("  ; only a comment\n"), [])
    }

    func testLocations() throws {
        let form = try Reader.readOne("(defmu Linear [x w b]\n  (-> x\n      (@ w)))", file: "model.mu")
        XCTAssertEqual(form.location, SourceLocation(file: "model.mu", line: 1, column: 1))
        let items = try XCTUnwrap(form.listItems)
        XCTAssertEqual(items[2].location?.description, "model.mu:1:15")
        XCTAssertEqual(items[3].location?.description, "model.mu:2:3")
        XCTAssertEqual(items[3].listItems?[2].location?.description, "model.mu:3:7")
        XCTAssertEqual(try read("'x").location?.column, 1)
    }

    /// Each malformed input: kind, location and what was expected.
    func testErrors() {
        let cases: [(String, LispError.Kind, String, String)] = [
            ("(f a", .read, "<test>:1:5", "expected ')' to close '(' opened at 1:1, found end of input"),
            ("[a (b]", .read, "<test>:1:6", "expected ')' to close '(' opened at 1:4, found ']'"),
            ("(a))", .read, "<test>:1:4", "unexpected ')' with nothing open to close"),
            ("(a) b", .read, "<test>:1:5", "expected one form, found a second one: b"),
            (")", .read, "<test>:1:1", "unexpected ')' with nothing open to close"),
            ("\"abc", .read, "<test>:1:1", "unterminated string"),
            ("\"a\\qb\"", .read, "<test>:1:3", "bad escape '\\q'"),
            ("\"\\x4\"", .read, "<test>:1:2", "expected 2 hexadecimal digits"),
            ("\"\\ud800\"", .read, "<test>:1:2", "not a Unicode scalar value"),
            ("(a , b)", .read, "<test>:1:4", "unexpected ','"),
            ("(f a,b)", .read, "<test>:1:5", "unexpected ','"),
            (",", .read, "<test>:1:1", "unexpected ','"),
            ("(, , a)", .read, "<test>:1:4", "unexpected ','"),
            ("123abc", .read, "<test>:1:1", "bad number literal '123abc'"),
            ("1.2.3", .read, "<test>:1:1", "bad number literal"),
            ("0xZZ", .read, "<test>:1:1", "expected hexadecimal digits"),
            ("1e", .read, "<test>:1:1", "bad number literal"),
            ("99999999999999999999", .read, "<test>:1:1", "does not fit in a 64-bit integer"),
            ("1e999", .read, "<test>:1:1", "out of range"),
            ("{:a 1 :b}", .read, "<test>:1:9", "expected an even number of forms in the dict"),
            ("'", .read, "<test>:1:2", "expected a form after '''"),
            ("(a ~@)", .read, "<test>:1:6", "expected a form after '~@'"),
            ("r\"raw\"", .read, "<test>:1:2", "expected whitespace between 'r' and the string"),
            ("", .read, "<test>:1:1", "expected a form, found end of input"),
            ("(f #!x)", .read, "<test>:1:4", "a shebang line is only allowed at the very start"),
            ("\n\n  (f\n", .read, "<test>:4:1", "found end of input"),
        ]
        for (text, kind, location, fragment) in cases {
            guard let error = lispError({ try read(text) }) else { continue }
            XCTAssertEqual(error.kind, kind, text)
            XCTAssertEqual(error.location?.description, location, "\(text): \(error)")
            XCTAssertTrue(error.message.contains(fragment), "\(text): \(error.message)")
            XCTAssertTrue(error.description.hasPrefix(location + ": "), error.description)
        }
    }

    func testNestingLimit() {
        let deep = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        XCTAssertEqual(try Reader.readOne(deep, maxDepth: 20).depth, 20)
        let error = lispError { try Reader.readOne(deep, maxDepth: 19) }
        XCTAssertEqual(error?.kind, .depth)
        XCTAssertEqual(error?.location?.column, 20)
        // The default limit holds against a very deep input without recursion.
        let tooDeep = String(repeating: "(", count: Reader.defaultMaxDepth + 1)
        XCTAssertEqual(lispError { try read(tooDeep) }?.kind, .depth)
        let quotes = String(repeating: "'", count: Reader.defaultMaxDepth + 1) + "x"
        XCTAssertEqual(lispError { try read(quotes) }?.kind, .depth)
    }

    func testDeepestAllowedTreeReadsPrintsAndCompares() throws {
        let n = Reader.defaultMaxDepth
        let text = String(repeating: "(f ", count: n) + "x" + String(repeating: ")", count: n)
        let tree = try read(text)
        XCTAssertEqual(tree.depth, n)
        XCTAssertEqual(Printer.oneLine(tree), text)
        XCTAssertEqual(try read(Printer.oneLine(tree)), tree)
        XCTAssertEqual(try read(Printer.pretty(tree, width: 40)), tree)
        XCTAssertEqual(tree.withoutLocations, tree)
    }
}
