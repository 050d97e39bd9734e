import XCTest
import MinoLang

/// Every spec operator with passing and failing data, MinoTauro's bugs fixed, models,
/// generators and code search; each case with its exact result or message.
final class SpecTests: XCTestCase {
    static let prelude = """
        (require [mino.mu [*]] [mino.spec [*]] [mino.thread [*]])
        (import torch [torch.nn :as nn])
        (spec/def :tensor (fn [x] (instance? torch.Tensor x))
                  :learnable (fn [x] x.requires_grad)
                  :rank1 (fn [x] (-> x .size len (= 1)))
                  :rank2 (fn [x] (-> x .size len (= 2))))
        (spec/def :nb-even even?
                  :int-even (spec/and (fn [x] (instance? int x)) :nb-even)
                  :even-alias :nb-even
                  :int (fn [x] (instance? int x))
                  :str (fn [x] (instance? str x))
                  :pos pos?)
        (defmu LinearTransformation [x weights bias] (-> x (@ weights) (+ bias)))
        (spec/def :LearnableLinear (spec/parameters weights (spec/and :tensor :learnable :rank2)
                                                    bias (spec/and :tensor :learnable :rank1)))
        (spec/defgen :LearnableLinear [f-in f-out]
          (LinearTransformation :weights (nn.Parameter (torch.randn f-in f-out))
                                :bias (nn.Parameter (torch.randn f-out))))
        (defmu FeedForward [x linear-to-hidden linear-to-output] (-> x linear-to-hidden torch.sigmoid linear-to-output))
        (spec/def :FeedForwardNeuralNetwork (spec/modules linear-to-hidden :LearnableLinear
                                                          linear-to-output :LearnableLinear))
        (spec/defgen :FeedForwardNeuralNetwork [i h o]
          (FeedForward :linear-to-hidden (spec/gen :LearnableLinear i h) :linear-to-output (spec/gen :LearnableLinear h o)))
        (spec/defgen :bad-even [] 3)
        (spec/def :bad-even :nb-even)
        (spec/defgen :throws [] (raise (ValueError "generator failed")))
        (spec/def :sigmoid-call (fn [form] (and (expression? form) (= (first form) 'torch.sigmoid))))
        (spec/defun :adder (spec/cat :int :int) :int)
        (defn add [a b] (+ a b))
        (setv net (spec/gen :FeedForwardNeuralNetwork 10 32 1))
        """

    /// (expression, printed value or "error: message").
    static let cases: [(String, String)] = [
        // valid? over every combinator.
        ("(spec/valid? :nb-even 4)", "True"), ("(spec/valid? :nb-even 3)", "False"),
        ("(spec/valid? :int-even 4)", "True"), ("(spec/valid? :int-even 4.0)", "False"),
        ("(spec/valid? :even-alias 6)", "True"), ("(spec/valid? :even-alias 7)", "False"),
        ("(spec/valid? (spec/or :str :int) \"a\")", "True"), ("(spec/valid? (spec/or :str :int) 1.5)", "False"),
        ("(spec/valid? (spec/nand :int :pos) -1)", "True"), ("(spec/valid? (spec/nand :int :pos) 1)", "False"),
        ("(spec/valid? (spec/cat :int :str) (, 1 \"a\"))", "True"), ("(spec/valid? (spec/cat :int :str) [1 2])", "False"),
        ("(spec/valid? (spec/cat :int :str) [1])", "False"),
        ("(spec/valid? (spec/coll-of :int) [1 2 3])", "True"), ("(spec/valid? (spec/coll-of :int) [1 \"x\"])", "False"),
        ("(spec/valid? (spec/coll-of (fn [x] (> x 0))) (, 1 2))", "True"), ("(spec/valid? (spec/coll-of :int) 5)", "False"),
        ("(spec/valid? (spec/dict-of :str (fn [v] (> v 0))) {\"a\" 1 \"b\" 2})", "True"),
        ("(spec/valid? (spec/dict-of :str (fn [v] (> v 0))) {\"a\" 1 \"b\" -2})", "False"),
        ("(spec/valid? (spec/dict-of (fn [k] (string? k)) :int) {1 2})", "False"),
        ("(spec/valid? (spec/keys learning-rate :pos) {\"learning_rate\" 0.1})", "True"),
        ("(spec/valid? (spec/keys learning-rate :pos) {:learning-rate 0.1})", "True"),
        ("(spec/valid? (spec/keys learning-rate :pos) {\"lr\" 0.1})", "False"),
        ("(spec/valid? (spec/keys weights :rank2) (spec/gen :LearnableLinear 2 3))", "True"),
        ("(spec/valid? (spec/and :tensor :rank1) (torch.ones 3))", "True"),
        ("(spec/valid? (spec/and :tensor :learnable) (torch.ones 3))", "False"),
        ("(spec/valid? (spec/and :tensor :learnable) (nn.Parameter (torch.ones 3)))", "True"),
        // A spec is a predicate too.
        ("((spec/and :int :pos) 3)", "True"), ("(list (filter (spec/or :str :nb-even) [1 2 \"s\" 3]))", "[2 \"s\"]"),
        // Models: parameters and modules by Hy or Python spelling.
        ("(spec/valid? :FeedForwardNeuralNetwork net)", "True"),
        ("(spec/valid? (spec/modules linear_to_hidden :LearnableLinear) net)", "True"),
        ("(spec/valid? :LearnableLinear net.linear-to-hidden)", "True"),
        ("(spec/valid? :LearnableLinear (LinearTransformation :weights (nn.Parameter (torch.randn 2 3))))", "False"),
        ("(spec/valid? :LearnableLinear (LinearTransformation :weights (nn.Parameter (torch.randn 3)) :bias (nn.Parameter (torch.randn 3))))", "False"),
        ("(spec/valid? :LearnableLinear (LinearTransformation :weights (torch.randn 2 3) :bias (nn.Parameter (torch.randn 3))))", "False"),
        ("(spec/valid? :LearnableLinear (bind (mu [x weights bias] x) :weights (nn.Parameter (torch.randn 2 3)) :bias (nn.Parameter (torch.randn 3))))", "True"),
        ("(spec/valid? (spec/parameters weight :rank2 bias :rank1) (nn.Linear 2 3))", "True"),
        ("(spec/valid? (spec/modules hidden :LearnableLinear) (nn.Linear 2 3))", "False"),
        ("(spec/valid? :FeedForwardNeuralNetwork 5)", "False"),
        // conform returns the data, or raises MinoTauro's trace (inner first, tensors compact).
        ("(spec/conform :int-even 4)", "4"),
        ("(spec/conform :int-even 3)", "error: Data does not conform Spec.\n\nTraceback Along Registered Specs:\n\nFailed :nb-even, Found: 3\nFailed :int-even, Found: 3"),
        ("(spec/conform :LearnableLinear (LinearTransformation :weights (nn.Parameter (torch.randn 3)) :bias (nn.Parameter (torch.randn 3))))",
         "error: Data does not conform Spec.\n\nTraceback Along Registered Specs:\n\nPassed :tensor at weights, Found: Parameter(size=[3], dtype=torch.float32)\nPassed :learnable at weights, Found: Parameter(size=[3], dtype=torch.float32)\nFailed :rank2 at weights, Found: Parameter(size=[3], dtype=torch.float32)\nFailed :LearnableLinear, Found: LinearTransformation(weights: [3], bias: [3])"),
        // explain returns the trace as data.
        ("(len (spec/explain :FeedForwardNeuralNetwork net))", "15"),
        ("(lfor e (spec/explain :int-even 3) (, (get e \"spec\") (get e \"passed?\")))", "[(, :nb-even False) (, :int-even False)]"),
        ("(get (last (spec/explain :LearnableLinear net.linear-to-output)) \"path\")", "\"\""),
        ("(get (first (spec/explain :FeedForwardNeuralNetwork net)) \"path\")", "\"linear-to-hidden.weights\""),
        // or short-circuits: the second branch is not evaluated (nor logged).
        ("(len (spec/explain (spec/or :int :str) 1))", "1"),
        // assert and check-asserts.
        ("(spec/assert :int 1)", "None"),
        ("(spec/assert :int \"x\")", "error: Data does not conform Spec.\n\nTraceback Along Registered Specs:\n\nFailed :int, Found: x"),
        ("(spec/check-asserts False) (spec/assert :int \"x\")", "None"),
        ("(spec/check-asserts False) (spec/check-asserts True) (spec/assert :int \"x\")", "error: Data does not conform Spec.\n\nTraceback Along Registered Specs:\n\nFailed :int, Found: x"),
        // Generators: conformed against the spec of the same name.
        ("(. (spec/gen :LearnableLinear 4 5) weights shape)", "(, 4 5)"),
        ("(spec/gen :bad-even)", "error: Data does not conform Spec.\n\nTraceback Along Registered Specs:\n\nFailed :nb-even, Found: 3\nFailed :bad-even, Found: 3"),
        ("(spec/gen :missing)", "error: Generator for Spec :missing is not defined"),
        ("(spec/gen :throws)", "error: generator failed"),
        // Function specs.
        ("(spec/exercise :adder add 1 2)", "3"),
        ("(spec/exercise :adder add 1.0 2)", "error: Function does not conform Spec.\n\nTraceback Along Registered Specs:\n\nFailed :int at 0, Found: 1.0\nFailed :Arguments, Found: (1.0, 2)"),
        ("(spec/exercise :adder (fn [a b] (/ a b)) 4 2)", "error: Function does not conform Spec.\n\nTraceback Along Registered Specs:\n\nPassed :int at 0, Found: 4\nPassed :int at 1, Found: 2\nFailed :int, Found: 2.0\nPassed :Arguments, Found: (4, 2)\nFailed :Returned, Found: 2.0"),
        // Search and replace over quoted code (the docs' examples).
        ("(spec/search :sigmoid-call (linear (torch.sigmoid (linear x w1)) (torch.sigmoid y)))", "['(torch.sigmoid (linear x w1)) '(torch.sigmoid y)]"),
        ("(spec/replace :sigmoid-call (linear (torch.sigmoid (linear x w1)) (torch.sigmoid y)) (torch.relu z))", "'(linear (torch.relu z) (torch.relu z))"),
        ("(spec/search '(tfun.linear ?x ?w ?b) (tfun.sigmoid (tfun.linear (tfun.sigmoid (tfun.linear W_0 W_1 W_2)) W_3 W_4)))",
         "['(tfun.linear (tfun.sigmoid (tfun.linear W_0 W_1 W_2)) W_3 W_4) '(tfun.linear W_0 W_1 W_2)]"),
        ("(setv code '(f (g x))) (spec/replace '(g ?x) :value code (h))", "'(f (h))"),
        // Models carry specs: the constructor and bind check them.
        ("(spec/constrain LinearTransformation :LearnableLinear) (LinearTransformation :weights (nn.Parameter (torch.randn 3)) :bias (nn.Parameter (torch.randn 3)))",
         "error: Data does not conform Spec.\n\nTraceback Along Registered Specs:\n\nPassed :tensor at weights, Found: Parameter(size=[3], dtype=torch.float32)\nPassed :learnable at weights, Found: Parameter(size=[3], dtype=torch.float32)\nFailed :rank2 at weights, Found: Parameter(size=[3], dtype=torch.float32)\nFailed :LearnableLinear, Found: LinearTransformation(weights: [3], bias: [3])"),
        ("(setv ok (spec/constrain (spec/gen :LearnableLinear 2 3) :LearnableLinear)) (bind ok :bias (torch.zeros 3))",
         "error: Data does not conform Spec.\n\nTraceback Along Registered Specs:\n\nPassed :tensor at weights, Found: Parameter(size=[2 3], dtype=torch.float32)\nPassed :learnable at weights, Found: Parameter(size=[2 3], dtype=torch.float32)\nPassed :rank2 at weights, Found: Parameter(size=[2 3], dtype=torch.float32)\nFailed :parameters at bias, Found: tensor(size=[3], dtype=torch.float32)\nFailed :LearnableLinear, Found: LinearTransformation(weights: [2 3])"),
        // Shapes along a forward call.
        ("(setv checked (spec/fcheck (spec/gen :LearnableLinear 4 2) (spec/cat :rank2) :rank2)) (. (checked (torch.ones 5 4)) shape)", "(, 5 2)"),
        ("(setv checked (spec/fcheck (spec/gen :LearnableLinear 4 2) (spec/cat :rank2) :rank2)) (checked (torch.ones 4))",
         "error: LinearTransformation input does not conform Spec.\n\nTraceback Along Registered Specs:\n\nFailed :rank2 at 0, Found: tensor(size=[4], dtype=torch.float32)"),
        // Bad specs.
        ("(spec/valid? :undefined 1)", "error: spec :undefined is not defined"),
        ("(spec/valid? :nb-evne 1)", "error: spec :nb-evne is not defined; did you mean 'nb-even'?"),
        ("(spec/valid? 42 1)", "error: 42 is not a spec: expected a :keyword, a predicate function or a spec, found int"),
        ("(spec/def :a)", "error: spec/def: expects :name spec pairs, found 1 form"),
        ("(spec/def a even?)", "error: spec/def: a spec name must be a keyword, found a symbol a"),
    ]

    func testSpecTable() throws {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 50)
        for (expression, expected) in Self.cases {
            let (interpreter, _) = try LangTestSupport.interpreter()
            try interpreter.evaluate(source: Self.prelude, file: "prelude.mu")
            let got: String
            do {
                got = try interpreter.evaluate(source: expression, file: "case.mu").repr
            } catch let error as LangError {
                got = "error: " + error.message
            }
            XCTAssertEqual(got, expected, expression)
        }
    }

    /// The seed's spec program's explain: 15 entries in MinoTauro's order.
    func testExplainOnTheGeneratedNetwork() throws {
        let (interpreter, _) = try LangTestSupport.interpreter()
        try interpreter.evaluate(source: Self.prelude)
        let entries = try interpreter.evaluate(source: "(lfor e (spec/explain :FeedForwardNeuralNetwork net) (name (get e \"spec\")))").repr
        XCTAssertEqual(entries, """
            ["tensor" "learnable" "rank2" "tensor" "learnable" "rank1" "LearnableLinear" \
            "tensor" "learnable" "rank2" "tensor" "learnable" "rank1" "LearnableLinear" "FeedForwardNeuralNetwork"]
            """)
    }

    /// Errors in specs are located.
    func testSpecErrorsAreLocated() throws {
        let backend = try LangTestSupport.backend("reference")
        for (source, expected) in [
            ("(require [mino.spec [*]])\n(spec/valid? :nope 1)", "bad.mu:2:1: spec :nope is not defined"),
            ("(require [mino.spec [*]])\n(spec/def :a 1 :b)", "bad.mu:2:1: spec/def: expects :name spec pairs, found 3 forms"),
            ("(require [mino.spec [*]])\n(spec/defgen :g [] (/ 1 0))\n(spec/gen :g)", "bad.mu:2:20: division by zero"),
        ] {
            let outcome = ProgramRunner.run(source: source, file: "bad.mu", backend: backend)
            XCTAssertEqual(outcome.status, 1)
            XCTAssertEqual(outcome.error?.components(separatedBy: "\n").first, expected, source)
        }
    }
}
