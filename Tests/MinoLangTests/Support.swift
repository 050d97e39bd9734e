import Foundation
import XCTest
import Mino
import MinoLang

/// Backends the language tests run on: reference and blas always; torch where Python
/// with torch is installed (CI always has it).
enum LangTestSupport {
    static func backend(_ name: String) throws -> any Backend {
        registerBuiltins()
        return try Mino.backend(named: name)
    }

    static var torchAvailable: Bool {
        (try? backend("torch")) != nil
    }

    /// The backends to run on, torch included where it can start.
    static var allBackends: [String] {
        torchAvailable ? ["reference", "blas", "torch"] : ["reference", "blas"]
    }

    static func interpreter(_ backendName: String = "reference", seed: UInt64 = 0) throws -> (Interpreter, () -> String) {
        final class Sink { var text = "" }
        let sink = Sink()
        let interpreter = Interpreter(backend: try backend(backendName), output: { sink.text += $0 }, seed: seed)
        return (interpreter, { sink.text })
    }

    /// `mino eval`'s answer: the last value's repr, or the error's first line.
    static func eval(_ source: String, backend: String = "reference") -> String {
        do {
            let (interpreter, _) = try interpreter(backend)
            return try interpreter.evaluate(source: source, file: "<command line>").repr
        } catch let error as LangError {
            return "error: " + error.headline
        } catch {
            return "error: \(error)"
        }
    }

    static var examplesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples")
    }

    static func example(_ name: String) throws -> String {
        try String(contentsOf: examplesDirectory.appendingPathComponent(name), encoding: .utf8)
    }
}
