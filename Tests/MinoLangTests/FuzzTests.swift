import Foundation
import XCTest
import MinoLang
import MinoLisp

/// Thousands of mutated example programs through `mino run`'s code path: each gives a
/// value or a located error, never a crash or a hang.
final class FuzzTests: XCTestCase {
    func testMutatedExamplesNeverCrash() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: LangTestSupport.examplesDirectory.path)
            .filter { $0.hasSuffix(".mu") }.sorted()
        // The training examples run two epochs here: the mutations, not the training, are the point.
        let sources = try files.map {
            try LangTestSupport.example($0).replacingOccurrences(of: "epochs 100", with: "epochs 2")
                .replacingOccurrences(of: "(range 50)", with: "(range 2)")
        }
        let backend = try LangTestSupport.backend("reference")
        var generator = SplitMix(seed: 42)
        let tokens = ["(", ")", "[", "]", "'", "`", "~", "~@", "0", "-1", "1e308", "None", "x", ":k", "\"s\"", "(, 1 2)",
                      "torch.zeros", "(torch.ones 3 4)", "1000000000000", "(range 3)", "&rest", "defn", "->", "."]
        var errors = 0, values = 0
        let rounds = 2_500
        for round in 0..<rounds {
            var text = Array(sources[round % sources.count])
            for _ in 0..<(1 + generator.next(4)) {
                guard !text.isEmpty else { break }
                let at = generator.next(text.count)
                switch generator.next(4) {
                case 0: text.remove(at: at)
                case 1: text.insert(contentsOf: " " + tokens[generator.next(tokens.count)] + " ", at: at)
                case 2:
                    let end = min(text.count, at + generator.next(20))
                    text.removeSubrange(at..<end)
                default:
                    let from = generator.next(text.count)
                    text.insert(text[from], at: at)
                }
            }
            let outcome = ProgramRunner.run(source: String(text), file: "fuzz.mu", backend: backend, loopBudget: 20_000)
            if let error = outcome.error {
                errors += 1
                XCTAssertEqual(outcome.status, 1)
                XCTAssertTrue(error.hasPrefix("fuzz.mu:") || !error.isEmpty, "unlocated: \(error)")
            } else {
                values += 1
            }
        }
        XCTAssertEqual(errors + values, rounds)
        XCTAssertGreaterThan(errors, rounds / 10)
    }
}

/// A small deterministic generator for the mutations.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return bound > 0 ? Int(z % UInt64(bound)) : 0
    }
}
