import XCTest
@testable import MinoLisp

final class ExpanderTests: XCTestCase {
    func testExpandOneStepVersusAll() throws {
        let table = MacroTable.standard()
        table.define("twice") { form, _ in
            let x = form.listItems?.dropFirst().first ?? .none()
            return .list([.symbol("->"), x, .symbol("f"), .symbol("f")], at: form.location)
        }
        var context = ExpansionContext(macros: table)
        let form = try read("(twice (g y))")
        XCTAssertEqual(try context.macroexpand1(form).description, "(-> (g y) f f)")
        XCTAssertEqual(try context.macroexpand(form).description, "(f (f (g y)))")
        XCTAssertEqual(try context.macroexpandAll(try read("[(twice a) 'twice '(twice b)]")).description, "[(f (f a)) 'twice '(twice b)]")
        XCTAssertEqual(try context.macroexpand1(try read("(not-a-macro x)")).description, "(not-a-macro x)")
    }

    func testMacroErrorsAreLocatedAndWrapped() throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let table = MacroTable()
        table.define("bad") { _, _ in throw Boom() }
        table.define("picky") { form, _ in throw LispError(.macro, "picky: expected nothing") }
        var context = ExpansionContext(macros: table)
        let wrapped = lispError { try context.macroexpandAll(try Reader.readOne("(f\n  (bad 1))", file: "m.mu")) }
        XCTAssertEqual(wrapped?.description, "m.mu:2:3: bad: boom")
        XCTAssertEqual(wrapped?.kind, .macro)
        let located = lispError { try context.macroexpandAll(try Reader.readOne("[(picky)]", file: "m.mu")) }
        XCTAssertEqual(located?.description, "m.mu:1:2: picky: expected nothing")
    }

    func testDimensionMismatchPointsAtTheStep() throws {
        let error = lispError { try macroexpandAll(try Reader.readOne("(|-> [a b]\n     [f g h])", file: "net.mu")) }
        XCTAssertEqual(error?.description, "net.mu:2:6: |->: dimension mismatch: the threaded vector has 2 elements but the step vector has 3")
    }

    func testGensymsAreSharedAcrossOneExpansion() throws {
        XCTAssertEqual(try expandAll("[(=-> a f) (cond-> b c g)]"),
                       "[(do (setv \(G1) a) (setv \(G1) (f \(G1))) \(G1)) (do (setv \(G2) b) (setv \(G2) (if c (g \(G2)) \(G2))) \(G2))]")
        let gensyms = Gensym(startingAt: 41)
        var context = ExpansionContext(gensyms: gensyms)
        _ = try context.macroexpandAll(try read("(=-> a f)"))
        XCTAssertEqual(gensyms.counter, 42)
    }

    func testNonTerminatingMacroIsAnError() throws {
        let table = MacroTable()
        table.define("loop") { form, _ in form }
        var context = ExpansionContext(macros: table, maxSteps: 100)
        let error = lispError { try context.macroexpandAll(try read("(f (loop))")) }
        XCTAssertEqual(error?.kind, .expand)
        XCTAssertTrue(error?.message.contains("did not terminate") ?? false)
        // A macro that grows forever hits the nesting limit instead of the stack.
        table.define("grow") { form, context in try context.macroexpand(.list([.symbol("grow"), form])) }
        XCTAssertEqual(lispError { try context.macroexpandAll(try read("(grow)")) }?.kind, .depth)
    }

    func testTemplateMacros() throws {
        let table = MacroTable.standard()
        try table.defineTemplate(try read("(defmacro twice [x] `(do ~x ~x))"))
        try table.defineTemplate(try read("(defmacro my-> [x &rest steps] `(-> ~x ~@steps))"))
        try table.defineTemplate(try read("(defmacro origin [] '(, 0 0))"))
        try table.defineTemplate(try read("(defmacro identity [x] x)"))
        var context = ExpansionContext(macros: table)
        func expand(_ text: String) throws -> String { try context.macroexpandAll(try read(text)).description }
        XCTAssertEqual(try expand("(twice (print 1))"), "(do (print 1) (print 1))")
        XCTAssertEqual(try expand("(my-> x (f a) g)"), "(g (f x a))")
        XCTAssertEqual(try expand("(my-> x)"), "x")
        XCTAssertEqual(try expand("(origin)"), "(, 0 0)")
        XCTAssertEqual(try expand("(identity (-> a b))"), "(b a)")
        XCTAssertTrue(lispError { try expand("(twice)") }?.message.contains("expected 1 argument, found 0") ?? false)
        XCTAssertEqual(lispError { try table.defineTemplate(try read("(defmacro bad [x] `(f ~y))")) }?.kind, .macro)
        XCTAssertEqual(lispError { try table.defineTemplate(try read("(defmacro bad [x] (list x))")) }?.kind, .macro)
        XCTAssertEqual(lispError { try table.defineTemplate(try read("(defmacro bad (x) x)")) }?.kind, .macro)
        XCTAssertEqual(lispError { try table.defineTemplate(try read("(defmacro bad [&rest] x)")) }?.kind, .macro)
        XCTAssertEqual(lispError { try table.defineTemplate(try read("(defmacro \"bad\" [] 'x)")) }?.kind, .macro)
        XCTAssertFalse(table.contains("bad"))
        XCTAssertTrue(table.names.contains("twice"))
        XCTAssertTrue(table.remove("twice"))
        XCTAssertFalse(table.copy().contains("twice"))
    }

    func testQuasiquoteInstantiation() throws {
        let bindings: [String: Expr] = ["x": .symbol("a"), "xs": .list([.integer(1), .integer(2)]), "v": .vector([.symbol("b")])]
        func fill(_ template: String) throws -> String {
            try Quasiquote.instantiate(try read(template)) { unquoted in
                guard let name = unquoted.symbolName, let value = bindings[name] else {
                    throw LispError(.expand, "unbound \(unquoted)", at: unquoted.location)
                }
                return value
            }.description
        }
        XCTAssertEqual(try fill("(f ~x ~@xs ~@v)"), "(f a 1 2 b)")
        XCTAssertEqual(try fill("[~x {:k ~x} (, ~@xs)]"), "[a {:k a} (, 1 2)]")
        XCTAssertEqual(try fill("(f '~x)"), "(f 'a)")
        XCTAssertEqual(try fill("(f `(g ~(h ~x)))"), "(f `(g ~(h a)))")
        XCTAssertEqual(try fill("~x"), "a")
        XCTAssertEqual(lispError { try fill("~@xs") }?.kind, .expand)
        XCTAssertEqual(lispError { try fill("(f ~@x)") }?.kind, .expand)
        XCTAssertEqual(lispError { try fill("{:k ~@xs}") }?.kind, .expand)
        XCTAssertEqual(lispError { try fill("(f ~y)") }?.message, "unbound y")
    }

    func testVeryLongThreadsExpandPrintAndFree() throws {
        let steps = 30_000
        let text = "(-> x" + String(repeating: " f", count: steps) + ")"
        let expanded = try macroexpandAll(try read(text))
        XCTAssertEqual(expanded.depth, steps)
        let printed = Printer.oneLine(expanded)
        XCTAssertTrue(printed.hasPrefix("(f (f (f "))
        XCTAssertEqual(try Reader.readOne(printed, maxDepth: 100_000), expanded)
        XCTAssertEqual(lispError { try read(printed) }?.kind, .depth)
        let matches = find(try Pattern(parsing: "(f x)"), in: expanded)
        XCTAssertEqual(matches.count, 1)
    }

    func testDeepTreesExpandIteratively() throws {
        let depth = Reader.defaultMaxDepth - 1
        let text = String(repeating: "[", count: depth) + "(-> a b)" + String(repeating: "]", count: depth)
        let expanded = try macroexpandAll(try read(text))
        XCTAssertEqual(expanded.depth, depth + 1)
        XCTAssertEqual(expanded.subform(at: Array(repeating: 0, count: depth))?.description, "(b a)")
    }

    func testNestedMacroCallsHitTheLimitNotTheStack() throws {
        func nested(_ n: Int) -> String {
            String(repeating: "(-> ", count: n) + "x" + String(repeating: " f)", count: n)
        }
        XCTAssertEqual(try macroexpandAll(try read(nested(500))).depth, 500)
        let error = lispError { try macroexpandAll(try read(nested(5_000))) }
        XCTAssertEqual(error?.kind, .depth)
        let vectors = "(*-> x " + String(repeating: "[", count: 5_000) + "f" + String(repeating: "]", count: 5_000) + ")"
        XCTAssertEqual(lispError { try macroexpandAll(try read(vectors)) }?.kind, .depth)
        let inline = "(|-> x " + String(repeating: "[", count: 5_000) + "f" + String(repeating: "]", count: 5_000) + ")"
        XCTAssertEqual(lispError { try macroexpandAll(try read(inline)) }?.kind, .depth)
    }
}
