import XCTest
@testable import MinoLisp

/// The expansion table: one row per case, as data. `all` rows check `macroexpand-all`,
/// `once` rows check `macroexpand-1`, `fails` rows check that expansion throws a
/// `LispError` whose description contains every listed fragment.
/// Gensyms print as `G1` / `G2` below (`_G\u{FFFF}1`, ...), from a fresh context per row.
private enum Expect {
    case all(String)
    case once(String)
    case fails(LispError.Kind, [String])
}

private let g = G1

private let table: [(input: String, expect: Expect)] = [
    // -> and ->>: reference §2.2.
    ("(-> x (f a) g (h b c))", .all("(h (g (f x a)) b c)")),
    ("(->> x (f a) g (h b c))", .all("(h b c (g (f a x)))")),
    ("(-> 10 (+ 2) (* 5) print)", .all("(print (* (+ 10 2) 5))")),
    ("(->> 10 (+ 2) (* 5) print)", .all("(print (* 5 (+ 2 10)))")),
    ("(-> x (-> (f a)) g)", .all("(g (f x a))")),
    ("(-> x (-> (f a)) g)", .once("(g (f x a))")),
    ("(-> x (.method a))", .all("(.method x a)")),
    ("(-> x [a b])", .all("([a b] x)")),
    ("(->> x [a b])", .all("([a b] x)")),
    ("(-> x)", .all("x")),
    ("(-> (-> x f) g)", .once("(g (f x))")),
    ("(-> x (, a b))", .all("(, x a b)")),
    ("(->> x (, a b))", .all("(, a b x)")),
    ("(-> x :key \"s\" 3)", .all("(3 (\"s\" (:key x)))")),
    ("(->> xs (map f) (filter g) list)", .all("(list (filter g (map f xs)))")),
    ("(-> x .size len (= 1))", .all("(= (len (.size x)) 1)")),
    // *-> and *->>: reference §2.3, §2.4 (with the *->> atom splice fixed).
    ("(*-> [x y] +)", .all("(+ x y)")),
    ("(*-> x [inc dec])", .all("[(inc x) (dec x)]")),
    ("(*-> [x y] (f a))", .all("(f x y a)")),
    ("(*-> [x y] [f g])", .all("[(f x y) (g x y)]")),
    ("(*-> x [f g] h)", .all("(h (f x) (g x))")),
    ("(*-> x [f g] h)", .once("(h (f x) (g x))")),
    ("(*-> x [f [g h]])", .all("[(f x) [(g x) (h x)]]")),
    ("(*-> [a b] [(f 1) g] (h 2))", .all("(h (f a b 1) (g a b) 2)")),
    ("(*->> [x y] f)", .all("(f x y)")),
    ("(*->> [x y] (f a))", .all("(f a x y)")),
    ("(*->> x [f g])", .all("[(f x) (g x)]")),
    ("(*->> [x y] [(f a) g] h)", .all("(h (f a x y) (g x y))")),
    // |-> and |->>: reference §2.5.
    ("(|-> [x y] [inc dec])", .all("[(inc x) (dec y)]")),
    ("(|-> [x y] (+ 1))", .all("[(+ x 1) (+ y 1)]")),
    ("(|-> [x y] f)", .all("[(f x) (f y)]")),
    ("(|-> x [f g] [h k])", .all("[(h (f x)) (k (g x))]")),
    ("(|-> [x [y z]] [f [g h]])", .all("[(f x) [(g y) (h z)]]")),
    ("(|->> [x y] (f a))", .all("[(f a x) (f a y)]")),
    ("(|->> [x y] [(f a) (g b)])", .all("[(f a x) (g b y)]")),
    ("(|-> x f)", .all("(f x)")),
    // =-> and =->> (=->> works in Mino).
    ("(=-> (+ x 1) incr)", .all("(do (setv \(g) (+ x 1)) (setv \(g) (incr \(g))) \(g))")),
    ("(=-> x (f a) g)", .all("(do (setv \(g) x) (setv \(g) (f \(g) a)) (setv \(g) (g \(g))) \(g))")),
    ("(=->> x (f a) g)", .all("(do (setv \(g) x) (setv \(g) (f a \(g))) (setv \(g) (g \(g))) \(g))")),
    ("(=-> x)", .all("(do (setv \(g) x) \(g))")),
    // cond-> and cond->> with Clojure's semantics: each clause on its own.
    ("(cond-> x True incr (even? 2) incr (odd? 2) decr)",
     .all("(do (setv \(g) x) (setv \(g) (if True (incr \(g)) \(g))) (setv \(g) (if (even? 2) (incr \(g)) \(g))) (setv \(g) (if (odd? 2) (decr \(g)) \(g))) \(g))")),
    ("(cond->> x c1 (f a) c2 g)",
     .all("(do (setv \(g) x) (setv \(g) (if c1 (f a \(g)) \(g))) (setv \(g) (if c2 (g \(g)) \(g))) \(g))")),
    ("(cond-> x)", .all("x")),
    ("(cond-> (-> x f) c g)", .all("(do (setv \(g) (f x)) (setv \(g) (if c (g \(g)) \(g))) \(g))")),
    // Nesting: macros inside steps, inside other code, inside data structures.
    ("(-> x (*-> [a b] f))", .all("(f (a x) (b x))")),
    ("(|-> [x y] [(-> f1 g1) h])", .all("[(g1 (f1 x)) (h y)]")),
    ("(cond-> x c (-> f g))", .all("(do (setv \(g) x) (setv \(g) (if c (g (f \(g))) \(g))) \(g))")),
    ("(=-> x (->> (f a)))", .all("(do (setv \(g) x) (setv \(g) (f a \(g))) \(g))")),
    ("(*-> (-> x f) [g (->> (h 1))])", .all("[(g (f x)) (h 1 (f x))]")),
    ("(defn forward [x] (-> x (@ w) (+ b)))", .all("(defn forward [x] (+ (@ x w) b))")),
    ("(defn forward [x] (-> x (@ w) (+ b)))", .once("(defn forward [x] (-> x (@ w) (+ b)))")),
    ("[(-> a f) {:k (->> b g)} (, (-> c h))]", .all("[(f a) {:k (g b)} (, (h c))]")),
    ("((-> f g) (-> x h))", .all("((g f) (h x))")),
    ("(setv y (|-> [x1 x2] [f1 f2] relu))", .all("(setv y [(relu (f1 x1)) (relu (f2 x2))])")),
    // Quote and quasiquote.
    ("'(-> x f)", .all("'(-> x f)")),
    ("(f '(-> x g) (-> x h))", .all("(f '(-> x g) (h x))")),
    ("`(a ~(-> x f) (-> y g))", .all("`(a ~(f x) (-> y g))")),
    ("`(a ~@(-> xs f))", .all("`(a ~@(f xs))")),
    ("``(a ~~(-> x f) ~(-> y g))", .all("``(a ~~(f x) ~(-> y g))")),
    // Errors.
    ("(|-> [x y] [f g h])", .fails(.macro, ["|->: dimension mismatch", "2 elements", "step vector has 3"])),
    ("(|->> [x y z] [f g])", .fails(.macro, ["|->>: dimension mismatch", "3 elements", "has 2"])),
    ("(|-> x [f g] [h k l])", .fails(.macro, ["|->: dimension mismatch", "2", "3"])),
    ("(-> a (|-> [x y] [f]))", .fails(.macro, ["|->: dimension mismatch", "2", "1"])),
    ("(cond-> x c1)", .fails(.macro, ["cond->: expected test/form pairs", "1 forms"])),
    ("(cond->> x a b c)", .fails(.macro, ["cond->>:", "3 forms"])),
    ("(->)", .fails(.macro, ["->: expected a head form"])),
    ("(*->>)", .fails(.macro, ["*->>: expected a head form"])),
    ("(=->)", .fails(.macro, ["=->: expected a head form"])),
    ("(-> x ())", .fails(.macro, ["->: cannot thread into the empty form ()"])),
    ("(|-> [x] [()])", .fails(.macro, ["|->: cannot thread into the empty form ()"])),
    ("(f ~x)", .fails(.expand, ["outside a quasiquote"])),
    ("(f ~@xs)", .fails(.expand, ["~@", "outside a quasiquote"])),
    ("`(a ~~x)", .fails(.expand, ["outside a quasiquote"])),
]

final class ExpansionTableTests: XCTestCase {
    func testTableHasAtLeastFortyCasesCoveringEveryMacro() {
        XCTAssertGreaterThanOrEqual(table.count, 40)
        for name in ThreadingMacros.names {
            XCTAssertTrue(table.contains { $0.input.hasPrefix("(\(name) ") || $0.input == "(\(name))" },
                          "no table row for \(name)")
        }
    }

    func testEveryRow() {
        for (index, row) in table.enumerated() {
            let label = "row \(index): \(row.input)"
            switch row.expect {
            case .all(let expected):
                XCTAssertEqual(Result { try expandAll(row.input) }.text, expected, label)
            case .once(let expected):
                XCTAssertEqual(Result { try expandOnce(row.input) }.text, expected, label)
            case .fails(let kind, let fragments):
                do {
                    let value = try expandAll(row.input)
                    XCTFail("\(label): expected an error, got \(value)")
                } catch let error as LispError {
                    XCTAssertEqual(error.kind, kind, label)
                    XCTAssertNotNil(error.location, "\(label): error without a location")
                    for fragment in fragments {
                        XCTAssertTrue(error.description.contains(fragment), "\(label): \(error) lacks \(fragment)")
                    }
                } catch {
                    XCTFail("\(label): expected a LispError, got \(error)")
                }
            }
        }
    }
}

private extension Result where Success == String, Failure == Error {
    var text: String {
        switch self {
        case .success(let value): return value
        case .failure(let error): return "error: \(error)"
        }
    }
}
