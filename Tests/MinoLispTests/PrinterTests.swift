import XCTest
@testable import MinoLisp

final class PrinterTests: XCTestCase {
    func testCanonicalForms() throws {
        let cases = [
            "[(tfun.sigmoid (tfun.add (tfun.matmul input1 input2) bias)) (tfun.relu (tfun.add (tfun.matmul input1 input2) bias))]",
            "(f a b)", "[a b]", "{:a 1}", "(, a b)", "(,)", "()", "[]", "{}", "'x", "`(a ~b ~@c)", "'[x w b]",
            "(torch.nn.Parameter (torch.empty (, 10 32) :dtype torch.float32))",
            "(Adam (.parameters model) :lr 0.001 :weight_decay 1e-05)",
            "(print \"Epoch: {epoch}\" True False None)",
            "(.normal_ :mean 0 :std 1.0)",
        ]
        for text in cases {
            XCTAssertEqual(Printer.oneLine(try read(text)), text)
        }
        XCTAssertEqual(Printer.oneLine(try read("( f\n  a\t b )")), "(f a b)")
        XCTAssertEqual(Printer.oneLine(try read("(quote x)")), "'x")
        XCTAssertEqual(Printer.oneLine(try read("(unquote-splice (f x))")), "~@(f x)")
        XCTAssertEqual(Printer.oneLine(try read("(quote a b)")), "(quote a b)")
        XCTAssertEqual(try read("(unquote @x)").description, "(unquote @x)")
        XCTAssertEqual(try read("(unquote @x)"), try read(try read("(unquote @x)").description))
    }

    func testFloatsFollowPythonRepr() {
        let cases: [(Double, String)] = [
            (1.0, "1.0"), (0.001, "0.001"), (1e-5, "1e-05"), (0.0001, "0.0001"), (1.5e-7, "1.5e-07"),
            (1e15, "1000000000000000.0"), (1e16, "1e+16"), (123456789012345678.0, "1.2345678901234568e+17"),
            (0.1, "0.1"), (-2.5, "-2.5"), (100.0, "100.0"), (12345.678, "12345.678"), (1e100, "1e+100"),
            (.leastNonzeroMagnitude, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (0.0, "0.0"),
            (-0.0, "-0.0"), (.infinity, "Inf"), (-.infinity, "-Inf"), (.nan, "NaN"), (1.0 / 3.0, "0.3333333333333333"),
        ]
        for (value, text) in cases {
            XCTAssertEqual(Printer.float(value), text)
            XCTAssertEqual(try? read(text), .float(value), text)
        }
    }

    func testStringEscapes() throws {
        let value = "quote \" backslash \\ newline \n tab \t return \r bell \u{07} del \u{7F} λ 😀"
        let text = Printer.string(value)
        XCTAssertEqual(text, #""quote \" backslash \\ newline \n tab \t return \r bell \x07 del \x7f λ 😀""#)
        XCTAssertEqual(try read(text), .string(value))
    }

    func testGensymsPrintAndReadBack() throws {
        let gensyms = Gensym()
        let symbol = gensyms.next()
        XCTAssertEqual(symbol.description, G1)
        XCTAssertEqual(try read(symbol.description), symbol)
        XCTAssertTrue(Gensym.isGenerated(gensyms.nextName("x")))
        XCTAssertEqual(gensyms.counter, 3)
        XCTAssertFalse(Gensym.isGenerated("G__1"))
    }

    /// The docs' reverted model, pretty-printed the way the docs lay it out.
    func testPrettyPrintsTheRevertedModel() throws {
        let model = try read("""
            (bind (mu [x linear-to-hidden linear-to-output] (linear-to-output (torch.sigmoid (linear-to-hidden x)))) \
            :linear-to-hidden (bind (mu [x weights bias] (+ (@ x weights) bias)) \
            :weights (torch.nn.Parameter (torch.empty (, 10 32) :dtype torch.float32)) \
            :bias (torch.nn.Parameter (torch.empty (, 32) :dtype torch.float32))) \
            :linear-to-output (bind (mu [x weights bias] (+ (@ x weights) bias)) \
            :weights (torch.nn.Parameter (torch.empty (, 32 1) :dtype torch.float32)) \
            :bias (torch.nn.Parameter (torch.empty (, 1) :dtype torch.float32))))
            """)
        let pretty = Printer.pretty(model, width: 110)
        XCTAssertEqual(pretty, """
            (bind (mu [x linear-to-hidden linear-to-output] (linear-to-output (torch.sigmoid (linear-to-hidden x))))
                  :linear-to-hidden (bind (mu [x weights bias] (+ (@ x weights) bias))
                                          :weights (torch.nn.Parameter (torch.empty (, 10 32) :dtype torch.float32))
                                          :bias (torch.nn.Parameter (torch.empty (, 32) :dtype torch.float32)))
                  :linear-to-output (bind (mu [x weights bias] (+ (@ x weights) bias))
                                          :weights (torch.nn.Parameter (torch.empty (, 32 1) :dtype torch.float32))
                                          :bias (torch.nn.Parameter (torch.empty (, 1) :dtype torch.float32))))
            """)
        XCTAssertEqual(try read(pretty), model)
        for width in [1, 10, 40, 80] {
            let text = Printer.pretty(model, width: width)
            XCTAssertEqual(try read(text), model, "width \(width)")
        }
        XCTAssertEqual(Printer.pretty(try read("(f x)")), "(f x)")
        XCTAssertEqual(Printer.pretty(model, width: 60).split(separator: "\n").first,
                       "(bind (mu [x linear-to-hidden linear-to-output]")
    }

    func testPrettyLayoutOfOtherCollections() throws {
        let form = try read("[(aaaa bbbb) {:k (cccc dddd) \"s\" 1} ((g h) i j) ((g h) iiii jjjj) '(k l m n o) (, p q r s t)]")
        let pretty = Printer.pretty(form, width: 16)
        XCTAssertEqual(pretty, """
            [(aaaa bbbb)
             {:k (cccc dddd)
              "s" 1}
             ((g h) i j)
             ((g h)
              iiii
              jjjj)
             '(k l m n o)
             (, p q r s t)]
            """)
        XCTAssertEqual(try read(pretty), form)
    }

    func testStructuralEqualityIgnoresLocations() throws {
        let a = try Reader.readOne("(f\n x)", file: "a")
        let b = try Reader.readOne("(f x)", file: "b")
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a.location, b.location)
        XCTAssertNotEqual(try read("(f 1)"), try read("(f 1.0)"))
        XCTAssertNotEqual(try read("[f]"), try read("(f)"))
        XCTAssertNotEqual(try read("0.0"), try read("-0.0"))
        XCTAssertEqual(try read("NaN"), try read("NaN"))
        XCTAssertNil(a.withoutLocations.listItems?[1].location)
        XCTAssertEqual(Set([a, b, try read("NaN"), try read("NaN"), try read("[f x]")]).count, 3)
        XCTAssertEqual(a.hashValue, b.hashValue)
    }
}
