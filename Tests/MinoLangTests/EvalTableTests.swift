import XCTest
import MinoLang

/// `mino eval` over the special forms, macros, threading, keyword arguments, method
/// calls, mangling and quasiquote: each case with the value it prints or its error.
final class EvalTableTests: XCTestCase {
    static let cases: [(source: String, printed: String)] = [
        // Clojure's cond->: each clause applies on its own.
        ("(cond-> 5 False (+ 100) True (* 2) True (- 3))", "7"),
        ("(cond->> 5 True (- 100) False (* 2))", "95"),
        // Numbers and operators, variadic as Hy's.
        ("(+ 1 2 3)", "6"), ("(+)", "0"), ("(- 5)", "-5"), ("(- 10 1 2)", "7"), ("(*)", "1"),
        ("(/ 7 2)", "3.5"), ("(/ 4)", "0.25"), ("(// 7 2)", "3"), ("(// -7 2)", "-4"), ("(% -7 3)", "2"),
        ("(** 2 10)", "1024"), ("(** 2 3 2)", "64"), ("(** 2 -1)", "0.5"), ("(+ 0.1 0.2)", "0.30000000000000004"),
        ("(< 1 2 3)", "True"), ("(< 1 3 2)", "False"), ("(= 1 1.0)", "True"), ("(!= 1 2)", "True"),
        ("(>= 3 3 1)", "True"), ("(+ \"ab\" \"cd\")", "\"abcd\""), ("(* [1 2] 2)", "[1 2 1 2]"),
        ("(+ True 1)", "2"), ("(setv a [1]) (.append a a) [a (str a)]", "[[1 [...]] \"[1, [...]]\"]"),
        // Special forms.
        ("(if (> 2 1) \"yes\" \"no\")", "\"yes\""), ("(if False 1)", "None"), ("(when True 1 2)", "2"),
        ("(unless True 1)", "None"), ("(cond [(= 1 2) \"a\"] [(= 1 1) \"b\"])", "\"b\""),
        ("(cond (= 1 2) \"a\" True \"c\")", "\"c\""), ("(do 1 2 3)", "3"),
        ("(setv a 1 b (+ a 1)) [a b]", "[1 2]"), ("(let [x 1 y (+ x 1)] (* x y))", "2"),
        ("(setv x 10) (let [x 1] (setv y x)) [x y]", "[10 1]"),
        ("(and 1 2 3)", "3"), ("(and 1 0 3)", "0"), ("(or None 0 \"z\")", "\"z\""), ("(or)", "None"),
        ("(not [])", "True"),
        ("(setv acc []) (for [i (range 3)] (.append acc (* i i))) acc", "[0 1 4]"),
        ("(setv acc []) (for [i [1 2] j \"ab\"] (.append acc (+ (str i) j))) acc", "[\"1a\" \"1b\" \"2a\" \"2b\"]"),
        ("(setv n 0) (while (< n 5) (setv n (inc n))) n", "5"),
        ("(setv out []) (for [i (range 10)] (when (= i 3) (continue)) (when (= i 5) (break)) (.append out i)) out", "[0 1 2 4]"),
        ("(setv [a b] [1 2]) (+ a b)", "3"), ("(setv acc 0) (for [[i x] (enumerate [5 6])] (setv acc (+ acc (* i x)))) acc", "6"),
        // Functions, closures, recursion, parameters.
        ("(defn fact [n] (if (<= n 1) 1 (* n (fact (- n 1))))) (fact 10)", "3628800"),
        ("(defn adder [n] (fn [x] (+ x n))) ((adder 3) 4)", "7"),
        ("(defn f [a &optional [b 10] &rest more] [a b more]) (f 1)", "[1 10 (,)]"),
        ("(defn f [a &optional [b 10] &rest more] [a b more]) (f 1 2 3 4)", "[1 2 (, 3 4)]"),
        ("(defn f [a &kwonly [scale 2]] (* a scale)) (f 3 :scale 5)", "15"),
        ("(defn f [&kwargs kw] kw) (f :a 1 :b-c 2)", "{\"a\" 1 \"b_c\" 2}"),
        ("(defn f [x] \"Doubles x.\" (* 2 x)) (f 4)", "8"),
        ("(defn f [x] (return (* x 3)) 0) (f 2)", "6"),
        ("(setv counter (fn [] (setv c 0) (fn [] (+ c 1)))) ((counter))", "1"),
        // Keyword arguments are mangled: :requires-grad is requires_grad.
        ("(import torch) (. (torch.ones 2 :requires-grad True) requires_grad)", "True"),
        ("(.format \"Epoch: {epoch} Loss: {loss:.2f}\" :epoch 1 :loss 0.123)", "\"Epoch: 1 Loss: 0.12\""),
        ("(.format \"{} and {}\" 1 \"two\")", "\"1 and two\""),
        ("(.join \"-\" [\"a\" \"b\"])", "\"a-b\""), ("(.upper \"mu\")", "\"MU\""),
        ("(setv d {\"a\" 1}) (.get d \"b\" 0)", "0"), ("(get {\"a\" {\"b\" 2}} \"a\" \"b\")", "2"),
        ("(get [1 2 3] -1)", "3"), ("(cut [1 2 3 4] 1 3)", "[2 3]"), ("(len \"hello\")", "5"),
        // Mangling: attribute access with Hy names.
        ("(mangle \"linear-to-hidden\")", "\"linear_to_hidden\""), ("(mangle \"none?\")", "\"is_none\""),
        ("(unmangle \"linear_to_hidden\")", "\"linear-to-hidden\""),
        ("(require [mino.mu [*]]) (setv m (bind (mu [x linear-to-hidden] (linear-to-hidden x)) :linear-to-hidden inc)) (m.linear-to-hidden 1)", "2"),
        // Quote, quasiquote, macros, eval, gensym.
        ("'(f x)", "'(f x)"), ("(setv x 5) `(+ ~x 1)", "'(+ 5 1)"), ("(setv xs [1 2]) `(f ~@xs 3)", "'(f 1 2 3)"),
        ("`(a `(b ~(c ~(+ 1 2))))", "'(a `(b ~(c 3)))"),
        ("(eval '(+ 1 2))", "3"), ("(eval `(* ~(+ 1 1) 3))", "6"),
        ("(defmacro twice [form] `(do ~form ~form)) (setv n 0) (twice (setv n (+ n 1))) n", "2"),
        ("(defmacro unless2 [test &rest body] `(if ~test None (do ~@body))) (unless2 False 42)", "42"),
        ("(macroexpand '(-> x (f 1) g))", "'(g (f x 1))"), ("(macroexpand-1 '(->> x (f 1) g))", "'(g (f 1 x))"),
        ("(macroexpand '(*-> [a b] f))", "'(f a b)"),
        ("(symbol? (gensym))", "True"),
        ("(-> 3 (- 1) (* 10))", "20"), ("(->> 3 (- 1) (* 10))", "-20"),
        ("(=-> 5 (+ 1) (* 2))", "12"),
        // Builtins.
        ("(list (map inc [1 2 3]))", "[2 3 4]"), ("(list (filter even? (range 7)))", "[0 2 4 6]"),
        ("(list (zip [1 2] \"ab\"))", "[(, 1 \"a\") (, 2 \"b\")]"), ("(sorted [3 1 2] :reverse True)", "[3 2 1]"),
        ("(sum [1 2 3.5])", "6.5"), ("(max [4 9 2])", "9"), ("(min 4 9 2)", "2"), ("(abs -3)", "3"),
        ("(round 2.5)", "2"), ("(round 3.14159 2)", "3.14"), ("(int \"42\")", "42"), ("(float \"1e-3\")", "0.001"),
        ("(str 1.5)", "\"1.5\""), ("(tuple [1 2])", "(, 1 2)"), ("(dict [[1 2]])", "{1 2}"),
        ("[(none? None) (even? 4) (odd? 4) (zero? 0) (inc 1) (dec 1)]", "[True True False True 2 0]"),
        ("(instance? int 3)", "True"), ("(type \"s\")", "<class 'str'>"), ("(pow 2 5)", "32"),
        ("(try (/ 1 0) (except [e ZeroDivisionError] (str e)))", "\"division by zero\""),
        ("(try (raise (ValueError \"bad\")) (except [e ValueError] (+ \"caught \" (str e))))", "\"caught bad\""),
        ("(try 1 (except [] 2) (else 3))", "3"),
        ("(setv log []) (try (try (/ 1 0) (finally (.append log \"f\"))) (except [ArithmeticError] (.append log \"e\"))) log", "[\"f\" \"e\"]"),
        // Tensors.
        ("(import torch) (torch.tensor [[1 2] [3 4]])", "tensor([[1, 2],\n        [3, 4]])"),
        ("(import torch) (+ (torch.ones 2) 1)", "tensor([2., 2.])"),
        ("(import torch) (.item (.sum (torch.arange 5)))", "10"),
        ("(import torch) (.tolist (@ (torch.eye 2) (torch.tensor [[1.0 2.0] [3.0 4.0]])))", "[[1.0 2.0] [3.0 4.0]]"),
        ("(import torch [torch.nn.functional :as F]) (.tolist (F.relu (torch.tensor [-1.0 2.0])))", "[0.0 2.0]"),
        ("(import torch) (. (.view (torch.zeros 6) 2 3) shape)", "(, 2 3)"),
        ("(import torch) (.size (torch.zeros 4 5) 1)", "5"),
        ("(import torch) (torch.zeros 2 :dtype torch.float64)", "tensor([0., 0.], dtype=torch.float64)"),
        ("(import torch) (setv x (torch.tensor [2.0] :requires_grad True)) (.backward (.sum (* x x x))) x.grad", "tensor([12.])"),
        ("(import torch) (.tolist (.sum (torch.ones 2 3) :dim 1 :keepdim True))", "[[3.0] [3.0]]"),
    ]

    func testEvalTable() {
        XCTAssertGreaterThanOrEqual(Self.cases.count, 60)
        for (source, printed) in Self.cases {
            XCTAssertEqual(LangTestSupport.eval(source), printed, "mino eval '\(source)'")
        }
    }

    static let errorCases: [(source: String, message: String)] = [
        ("(undefined-thing 1)", "<command line>:1:2: name 'undefined-thing' is not defined"),
        ("(setv length 1) lenght", "<command line>:1:17: name 'lenght' is not defined; did you mean 'length'?"),
        ("(defn f [x] x) (f 1 2)", "<command line>:1:16: f() takes 1 positional argument but 2 were given"),
        ("(defn f [x] x) (f :y 2)", "<command line>:1:16: f() got an unexpected keyword argument 'y'; did you mean 'x'?"),
        ("(1 2)", "<command line>:1:1: 'int' object is not callable"),
        ("(+ 1 \"a\")", "<command line>:1:1: unsupported operand type(s) for +: 'int' and 'str'"),
        ("(setv x None) x.shape", "<command line>:1:15: 'NoneType' object has no attribute 'shape'"),
        ("(import torch) (.item (torch.ones 3))", "<command line>:1:16: a Tensor with 3 elements cannot be converted to Scalar (shape [3])"),
        ("(if 1)", "<command line>:1:1: if: expects (if test then [else]), found 1 forms"),
        ("(/ 1 0)", "<command line>:1:1: division by zero"),
        ("(print :end)", "<command line>:1:8: keyword argument :end has no value"),
        ("(import numpy)", "<command line>:1:9: No module named 'numpy'"),
        ("(defmacro bad [] (raise (ValueError \"no\"))) (bad)", "<command line>:1:45: bad: no (raised at <command line>:1:18)"),
        ("(+ 1", "<command line>:1:5: expected ')' to close '(' opened at 1:1, found end of input"),
        ("(** 2 64)", "<command line>:1:1: integer result of 2 ** 64 does not fit in 64 bits"),
    ]

    func testErrorsAreLocated() {
        for (source, message) in Self.errorCases {
            let result = LangTestSupport.eval(source)
            XCTAssertTrue(result.hasPrefix("error: " + message), "mino eval '\(source)' gave \(result), expected \(message)")
        }
    }
}
