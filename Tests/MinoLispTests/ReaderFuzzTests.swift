import XCTest
@testable import MinoLisp

/// SplitMix64: a tiny seeded generator, so every run feeds the same inputs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// 0..<n
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// Random trees the reader can produce, for print∘read round trips.
struct TreeGenerator {
    var rng: SplitMix64

    static let namedSymbols = ["->", "->>", "*->", "*->>", "|->", "|->>", "=->", "cond->", "tfun.sigmoid", "@", "+",
                               "-", ".zero_grad", "linear-to-hidden", "even?", "W_0", "quote", "quasiquote",
                               "unquote", "unquote-splice", "λ", "_G\u{FFFF}1", "a~b", "x`y", "?x", "&rest", "#tag"]
    static let first = Array("abcdefghijklmnopqrstuvwxyzABCXYZ_*!<>=|&%$/λ")
    static let rest = Array("abcxyzQRS0123456789-_.*?!<>=|:~`@#/")

    mutating func symbolName() -> String {
        if rng.chance(30) { return rng.pick(TreeGenerator.namedSymbols) }
        var name = String(rng.pick(TreeGenerator.first))
        for _ in 0..<rng.below(8) { name.append(rng.pick(TreeGenerator.rest)) }
        if ["True", "False", "None", "Inf", "NaN"].contains(name) { return "x" }
        return name
    }

    mutating func string() -> String {
        let pool: [Unicode.Scalar] = ["a", "b", " ", "\"", "\\", "\n", "\t", "\r", "\u{0}", "\u{7}", "\u{7F}", "λ",
                                      "😀", "\u{FFFF}", "{", ")", ";", "'", "~", ","]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<rng.below(12) { scalars.append(rng.pick(pool)) }
        return String(scalars)
    }

    mutating func float() -> Double {
        switch rng.below(6) {
        case 0: return rng.pick([0.0, -0.0, 1.0, 0.001, 1e-05, 1e16, 1e15, .infinity, -.infinity, .nan, 0.1, 2.5e-300])
        case 1: return Double(Int64(bitPattern: rng.next()) % 1_000_000) / 1000
        default:
            let value = Double(bitPattern: rng.next())
            return value.isNaN ? 0.5 : value
        }
    }

    mutating func atom() -> Expr {
        switch rng.below(9) {
        case 0, 1: return .symbol(symbolName())
        case 2: return .keyword(rng.chance(10) ? "" : symbolName())
        case 3: return .integer(rng.chance(10) ? rng.pick([Int.min, Int.max, 0, -1]) : Int(truncatingIfNeeded: rng.next()) >> rng.below(64))
        case 4: return .float(float())
        case 5: return .string(string())
        case 6: return .bool(rng.chance(50))
        case 7: return .none()
        default: return .symbol(symbolName())
        }
    }

    mutating func tree(depth: Int) -> Expr {
        if depth == 0 || rng.chance(35) { return atom() }
        var items: [Expr] = []
        for _ in 0..<rng.below(5) { items.append(tree(depth: depth - 1)) }
        switch rng.below(7) {
        case 0, 1: return .list(items)
        case 2: return .vector(items)
        case 3: return .dict(items.count % 2 == 0 ? items : items + [atom()])
        case 4: return .tuple(items)
        default:
            let wrapper = rng.pick(["quote", "quasiquote", "unquote", "unquote-splice"])
            return .list([.symbol(wrapper), tree(depth: depth - 1)])
        }
    }
}

final class ReaderFuzzTests: XCTestCase {
    /// Thousands of generated trees: the one-line and the multi-line forms read back to the
    /// same tree, and printing what was read gives the same text.
    func testPrintReadRoundTripOnGeneratedTrees() throws {
        var generator = TreeGenerator(rng: SplitMix64(seed: 0x5EED_0001))
        for index in 0..<3_000 {
            let tree = generator.tree(depth: 6)
            let text = Printer.oneLine(tree)
            let back: Expr
            do {
                back = try Reader.readOne(text, file: "<fuzz>")
            } catch {
                return XCTFail("tree \(index): \(text.debugDescription) does not read back: \(error)")
            }
            XCTAssertEqual(back, tree, "tree \(index): \(text.debugDescription)")
            XCTAssertEqual(Printer.oneLine(back), text, "tree \(index)")
            let width = [1, 20, 80][index % 3]
            let pretty = Printer.pretty(tree, width: width)
            XCTAssertEqual(try? Reader.readOne(pretty, file: "<fuzz>"), tree, "tree \(index), width \(width): \(pretty.debugDescription)")
        }
    }

    /// Thousands of mutated and random inputs: every one reads to forms or throws a located
    /// `LispError` (a crash or a hang would end the test run); what reads also prints and
    /// reads back, expands or fails with a `LispError`, and compiles as a pattern or fails
    /// with one.
    func testMutatedAndRandomInputsNeverCrash() throws {
        var rng = SplitMix64(seed: 0x5EED_0002)
        var generator = TreeGenerator(rng: SplitMix64(seed: 0x5EED_0003))
        var corpus = [
            "(*-> [input1 input2] tfun.matmul (tfun.add bias) [tfun.sigmoid tfun.relu])",
            "(|->> [input1 input2] [(tfun.linear w1 b1) (tf.linear w2 b2)] tfun.sigmoid)",
            "(defmu FeedForward [x linear-to-hidden linear-to-output]\n  (-> x linear-to-hidden torch.sigmoid linear-to-output))",
            "(setv optimizer (Adam (.parameters model) :lr 0.001 :weight_decay 1e-5)) ; train\n",
            "`(f ~x ~@xs '(y)) {:a \"s\\n\" :b (, 1 2.5 -3)} #!x",
            "(cond-> x True incr (even? 2) incr) (=-> (+ x 1) incr) (|-> [x y] [f g h])",
            "(pat-refract (-> W_0 (tfun.linear W_1 W_2) tfun.sigmoid) (tfun.sigmoid tfun.relu) ((tfun.linear ?a ?r...) (g ?r...)))",
        ]
        for _ in 0..<40 { corpus.append(Printer.oneLine(generator.tree(depth: 5))) }
        let insertions: [Unicode.Scalar] = ["(", ")", "[", "]", "{", "}", "\"", "'", "`", "~", "@", ",", ";", "\\", "\n",
                                            " ", ":", "#", "!", "0", "9", ".", "e", "-", "x", "λ", "\u{FFFF}", "\u{0}", "u"]
        var outcomes = (values: 0, errors: 0)
        for index in 0..<6_000 {
            var scalars = Array(rng.pick(corpus).unicodeScalars)
            if index % 4 == 3 {
                scalars = (0..<rng.below(40)).map { _ in rng.pick(insertions) }
            } else {
                for _ in 0..<(1 + rng.below(4)) {
                    let at = rng.below(scalars.count + 1)
                    switch rng.below(5) {
                    case 0: scalars.insert(rng.pick(insertions), at: at)
                    case 1: if at < scalars.count { scalars.remove(at: at) }
                    case 2: scalars = Array(scalars.prefix(at))
                    case 3:
                        let end = min(scalars.count, at + rng.below(12))
                        scalars.insert(contentsOf: scalars[at..<end], at: at)
                    default: if at < scalars.count { scalars[at] = rng.pick(insertions) }
                    }
                }
            }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: scalars)
            let input = String(text)
            check(input, index: index, outcomes: &outcomes)
        }
        // Both outcomes occur often: the mutations exercise the error paths and the happy path.
        XCTAssertGreaterThan(outcomes.values, 1_000)
        XCTAssertGreaterThan(outcomes.errors, 1_000)
    }

    private func check(_ input: String, index: Int, outcomes: inout (values: Int, errors: Int)) {
        let label = "input \(index): \(input.debugDescription)"
        let forms: [Expr]
        do {
            forms = try Reader.readAll(input, file: "<fuzz>")
        } catch let error as LispError {
            outcomes.errors += 1
            guard let location = error.location else { return XCTFail("\(label): error without a location: \(error)") }
            let lines = input.unicodeScalars.filter { $0 == "\n" }.count + 1
            XCTAssertEqual(location.file, "<fuzz>", label)
            XCTAssertTrue((1...lines).contains(location.line), "\(label): line \(location.line) of \(lines)")
            XCTAssertGreaterThanOrEqual(location.column, 1, label)
            XCTAssertTrue(error.description.hasPrefix("\(location): "), label)
            XCTAssertFalse(error.message.isEmpty, label)
            return
        } catch {
            return XCTFail("\(label): not a LispError: \(error)")
        }
        outcomes.values += 1
        for form in forms {
            let printed = Printer.oneLine(form)
            XCTAssertEqual(try? Reader.readOne(printed), form, "\(label): \(printed.debugDescription) does not read back")
            do {
                var context = ExpansionContext()
                _ = try context.macroexpandAll(form)
            } catch is LispError {
            } catch {
                XCTFail("\(label): expansion threw a non-LispError \(error)")
            }
            do { _ = try Pattern(form) } catch is LispError {} catch {
                XCTFail("\(label): pattern compilation threw a non-LispError \(error)")
            }
        }
    }
}
