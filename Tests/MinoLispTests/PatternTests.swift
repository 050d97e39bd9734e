import XCTest
@testable import MinoLisp

final class PatternTests: XCTestCase {
    /// `nn-def` of the HyTorch notebook, macroexpanded (reference §4.3).
    let network = "(tfun.sigmoid (tfun.linear (tfun.sigmoid (tfun.linear W_0 W_1 W_2)) W_3 W_4))"

    private func found(_ pattern: String, in code: String, limit: Int? = nil) throws -> [String] {
        try find(Pattern(parsing: pattern), in: read(code), limit: limit).map { $0.form.description }
    }

    // MARK: - HyTorch's pattern table (reference §4.3), in Mino's syntax

    func testHyTorchMatchWithExpressionWildcard() throws {
        let pattern = try Pattern(parsing: "(print (+ _:expr 3))")
        XCTAssertTrue(pattern.matches(try read("(print (+ (+ 2 2) 3))")))
        XCTAssertFalse(pattern.matches(try read("(print (+ 4 3))")))
    }

    func testHyTorchFindSigmoidOfExpressionFirstTwo() throws {
        XCTAssertEqual(try found("(tfun.sigmoid _:expr)", in: network, limit: 2), [
            "(tfun.sigmoid (tfun.linear (tfun.sigmoid (tfun.linear W_0 W_1 W_2)) W_3 W_4))",
            "(tfun.sigmoid (tfun.linear W_0 W_1 W_2))",
        ])
    }

    func testHyTorchFindLinearWithRest() throws {
        XCTAssertEqual(try found("(tfun.linear &rest)", in: network, limit: 2), [
            "(tfun.linear (tfun.sigmoid (tfun.linear W_0 W_1 W_2)) W_3 W_4)",
            "(tfun.linear W_0 W_1 W_2)",
        ])
    }

    func testHyTorchFindAllExpressionsInPreOrder() throws {
        XCTAssertEqual(try found("_:expr", in: "(a (b (c)) (d))"), ["(a (b (c)) (d))", "(b (c))", "(c)", "(d)"])
    }

    func testHyTorchRefactorSigmoidAndWeights() throws {
        let rules = try [RewriteRule("tfun.sigmoid", "tfun.relu"), RewriteRule("W_2", "B_2"), RewriteRule("W_4", "B_4")]
        XCTAssertEqual(refactor(try read(network), rules).description,
                       "(tfun.relu (tfun.linear (tfun.relu (tfun.linear W_0 W_1 B_2)) W_3 B_4))")
    }

    func testHyTorchRefactorLinearToConv() throws {
        let rules = try [RewriteRule("tfun.sigmoid", "tfun.relu"), RewriteRule("(tfun.linear &rest)", "(tfun.conv2d W_0)")]
        XCTAssertEqual(refactor(try read(network), rules).description, "(tfun.relu (tfun.conv2d W_0))")
    }

    /// `pat-refract` as a macro expands its code first, so it takes the unexpanded `nn-def`.
    func testPatRefractMacro() throws {
        XCTAssertEqual(try expandAll("""
            (pat-refract (-> W_0 (tfun.linear W_1 W_2) tfun.sigmoid (tfun.linear W_3 W_4) tfun.sigmoid)
                         (tfun.sigmoid tfun.relu) (W_2 B_2) (W_4 B_4))
            """), "(tfun.relu (tfun.linear (tfun.relu (tfun.linear W_0 W_1 B_2)) W_3 B_4))")
        XCTAssertEqual(lispError { try expandAll("(pat-refract x (a))") }?.kind, .macro)
    }

    // MARK: - MinoTauro spec/search and spec/replace (reference §3.5)

    func testSpecSearchAndReplace() throws {
        let code = "(linear (torch.sigmoid (linear x w1)) (torch.sigmoid y))"
        XCTAssertEqual(try found("(torch.sigmoid _)", in: code), ["(torch.sigmoid (linear x w1))", "(torch.sigmoid y)"])
        XCTAssertEqual(try replace(Pattern(parsing: "(torch.sigmoid _)"), with: read("(torch.relu z)"), in: read(code)).description,
                       "(linear (torch.relu z) (torch.relu z))")
    }

    // MARK: - Captures, types, rest

    func testSigmoidToReluAcrossAModel() throws {
        let model = try read("""
            (bind (mu [x linear-to-hidden linear-to-output] (linear-to-output (torch.sigmoid (linear-to-hidden x))))
                  :linear-to-hidden (bind (mu [x weights bias] (torch.sigmoid (+ (@ x weights) bias))))
                  :gate (torch.sigmoid (torch.sigmoid z)))
            """)
        let rule = try RewriteRule("(torch.sigmoid ?x)", "(torch.relu ?x)")
        let (result, count) = rule.applyCounting(to: model)
        XCTAssertEqual(count, 4)
        XCTAssertEqual(result.description, """
            (bind (mu [x linear-to-hidden linear-to-output] (linear-to-output (torch.relu (linear-to-hidden x)))) \
            :linear-to-hidden (bind (mu [x weights bias] (torch.relu (+ (@ x weights) bias)))) \
            :gate (torch.relu (torch.relu z)))
            """)
        XCTAssertTrue(find(try Pattern(parsing: "(torch.sigmoid _)"), in: result).isEmpty)
    }

    func testCapturesAndPaths() throws {
        let matches = find(try Pattern(parsing: "(+ ?a ?b)"), in: try read("(f (+ 1 2) [(+ x (+ y z))])"))
        XCTAssertEqual(matches.map(\.path), [[1], [2, 0], [2, 0, 2]])
        XCTAssertEqual(matches[0].captures["a"], .integer(1))
        XCTAssertEqual(matches[1].captures["b"]?.description, "(+ y z)")
        let root = try read("(f (+ 1 2) [(+ x (+ y z))])")
        for match in matches { XCTAssertEqual(root.subform(at: match.path), match.form) }
    }

    func testRepeatedCaptureMustBeEqual() throws {
        let pattern = try Pattern(parsing: "(* ?x ?x)")
        XCTAssertTrue(pattern.matches(try read("(* (f a) (f a))")))
        XCTAssertFalse(pattern.matches(try read("(* (f a) (f b))")))
        XCTAssertEqual(try replace(pattern, with: read("(square ?x)"), in: read("(+ (* a a) (* a b))")).description,
                       "(+ (square a) (* a b))")
    }

    func testTypedWildcards() throws {
        let cases: [(String, String, Bool)] = [
            ("(f ?x:symbol)", "(f a)", true), ("(f ?x:symbol)", "(f 1)", false),
            ("(f _:number)", "(f 1)", true), ("(f _:number)", "(f 1.5)", true), ("(f _:number)", "(f True)", false),
            ("(f _:int)", "(f 1.0)", false), ("(f _:float)", "(f 1.0)", true),
            ("(f _:vector)", "(f [1 2])", true), ("(f _:vector)", "(f (1 2))", false),
            ("(f _:expr)", "(f (g))", true), ("(f _:list)", "(f [g])", false),
            ("(f _:keyword)", "(f :lr)", true), ("(f _:string)", "(f \"s\")", true),
            ("(f _:dict)", "(f {:a 1})", true), ("(f _:tuple)", "(f (, 1 2))", true),
            ("(f _:atom)", "(f None)", true), ("(f _:coll)", "(f [1])", true), ("(f _:coll)", "(f 1)", false),
            ("(f _:bool)", "(f False)", true), ("(f _:any)", "(f [x])", true), ("(f ?y:form)", "(f x)", true),
            ("(f 1)", "(f 1.0)", false), ("(f :lr)", "(f :lr)", true), ("(f a)", "(f a b)", false),
        ]
        for (pattern, code, expected) in cases {
            XCTAssertEqual(try Pattern(parsing: pattern).matches(read(code)), expected, "\(pattern) vs \(code)")
        }
    }

    func testRestWildcards() throws {
        XCTAssertTrue(try Pattern(parsing: "(f &rest)").matches(read("(f)")))
        XCTAssertTrue(try Pattern(parsing: "(f _...)").matches(read("(f (g x) y)")))
        let pattern = try Pattern(parsing: "(f ?first ?middle... ?last)")
        let captures = try XCTUnwrap(pattern.match(read("(f 1 2 3 4)")))
        XCTAssertEqual(captures["first"], .integer(1))
        XCTAssertEqual(captures.sequence("middle"), [.integer(2), .integer(3)])
        XCTAssertEqual(captures["last"], .integer(4))
        XCTAssertFalse(pattern.matches(try read("(f 1)")))
        XCTAssertTrue(try Pattern(parsing: "[?xs:symbol...]").matches(read("[a b c]")))
        XCTAssertFalse(try Pattern(parsing: "[?xs:symbol...]").matches(read("[a 1 c]")))
        XCTAssertEqual(try replace(Pattern(parsing: "(tfun.linear ?x ?args...)"),
                                   with: read("(F.linear ?x ?args... :bias True)"),
                                   in: read("(tfun.linear x w b)")).description,
                       "(F.linear x w b :bias True)")
    }

    func testLiteralEscape() throws {
        let pattern = try Pattern(parsing: "(defmain [&rest (?literal _)] ?body...)")
        XCTAssertTrue(pattern.matches(try read("(defmain [&rest _] (print 1))")))
        XCTAssertFalse(pattern.matches(try read("(defmain [&rest args] (print 1))")))
    }

    func testReplacementContainingItsPatternTerminates() throws {
        let rule = try RewriteRule("(f ?x)", "(f (f ?x))")
        XCTAssertEqual(rule.apply(to: try read("(g (f a))")).description, "(g (f (f a)))")
        XCTAssertEqual(try RewriteRule("x", "(x x)").apply(to: read("(+ x 1)")).description, "(+ (x x) 1)")
    }

    func testReplaceIsBottomUp() throws {
        let rule = try RewriteRule("(torch.sigmoid ?x)", "(torch.relu ?x)")
        XCTAssertEqual(rule.apply(to: try read("(torch.sigmoid (torch.sigmoid x))")).description, "(torch.relu (torch.relu x))")
    }

    func testPatternErrors() throws {
        XCTAssertEqual(lispError { try Pattern(parsing: "(f ?x:widget)") }?.kind, .pattern)
        XCTAssertEqual(lispError { try Pattern(parsing: "(f ?xs... ?ys...)") }?.kind, .pattern)
        XCTAssertEqual(lispError { try Pattern(parsing: "?xs...") }?.kind, .pattern)
        XCTAssertEqual(lispError { try Pattern(parsing: "(f ?x ?x...)") }?.kind, .pattern)
        XCTAssertEqual(lispError { try Pattern(parsing: "(f ?:symbol)") }?.kind, .pattern)
        let unknown = lispError { try RewriteRule("(f ?x)", "(g ?y)") }
        XCTAssertEqual(unknown?.kind, .pattern)
        XCTAssertTrue(unknown?.description.contains("?y") ?? false)
        XCTAssertEqual(unknown?.location?.file, "<replacement>")
        XCTAssertEqual(lispError { try RewriteRule("(f ?xs...)", "(g ?xs)") }?.kind, .pattern)
        XCTAssertEqual(lispError { try RewriteRule("(f ?xs...)", "?xs...") }?.kind, .pattern)
        let deep = String(repeating: "(", count: 300) + String(repeating: ")", count: 300)
        XCTAssertEqual(lispError { try Pattern(parsing: deep) }?.kind, .depth)
    }

    func testFindOnDeepTreesIsIterative() throws {
        var tree = Expr.symbol("leaf")
        for _ in 0..<5_000 { tree = .list([.symbol("f"), tree]) }
        let matches = find(try Pattern(parsing: "(f leaf)"), in: tree)
        XCTAssertEqual(matches.count, 1)
        XCTAssertEqual(matches[0].path.count, 4_999)
        let renamed = try RewriteRule("leaf", "root").apply(to: tree)
        XCTAssertEqual(renamed.subform(at: matches[0].path)?.description, "(f root)")
    }
}
