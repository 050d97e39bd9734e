import Foundation
import XCTest

/// `mino train`'s exits (issue 16): a runtime error prints the error alone and
/// exits 1; a usage error (a bad flag, or the environment's thread count held
/// to the flag's rule) exits 64 with the usage hint. Each case stops before
/// any training.
final class TrainCommandTests: XCTestCase {
    /// The `mino` executable next to the test bundle (SwiftPM builds it with the tests).
    private func minoBinary() throws -> URL {
        var candidates: [URL] = [
            Bundle(for: TrainCommandTests.self).bundleURL.deletingLastPathComponent().appendingPathComponent("mino"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mino"),
        ]
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/mino"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("the mino executable was not found (looked at \(candidates.map(\.path))); run `swift build` first")
        }
        return found
    }

    private func run(_ arguments: [String], environment: [String: String] = [:]) throws
        -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = try minoBinary()
        process.arguments = ["train"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["MINO_BACKEND"] = nil
        env["MINO_THREADS"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self),
                String(decoding: errData, as: UTF8.self))
    }

    func testRuntimeErrorsPrintTheErrorAloneAndExit1() throws {
        let cases: [([String], [String: String], String)] = [
            (["--lr", "nan"], [:], "learning rate nan"),
            (["--lr", "-1"], [:], "learning rate -1.0"),   // a value, not a missing one
            (["--lr=-1"], [:], "learning rate -1.0"),
            (["--data", "/nonexistent/digits.csv"], [:], "/nonexistent/digits.csv"),
            ([], ["MINO_BACKEND": "bogus"], "unknown backend 'bogus'"),
        ]
        for (arguments, environment, words) in cases {
            let r = try run(arguments, environment: environment)
            XCTAssertEqual(r.status, 1, "\(arguments) \(environment): \(r.err)")
            XCTAssertTrue(r.err.contains(words), "\(arguments) \(environment): \(r.err)")
            XCTAssertFalse(r.err.contains("Usage"), "\(arguments) \(environment): \(r.err)")
        }
    }

    func testThreadCountsAreRefusedAlikeFromFlagAndEnvironment() throws {
        let cases: [([String], [String: String], String)] = [
            (["--threads", "0"], [:], "--threads must be at least 1"),
            ([], ["MINO_THREADS": "0"], "MINO_THREADS must be an integer of at least 1, got '0'"),
            ([], ["MINO_THREADS": "abc"], "got 'abc'"),
        ]
        for (arguments, environment, words) in cases {
            let r = try run(arguments, environment: environment)
            XCTAssertEqual(r.status, 64, "\(arguments) \(environment): \(r.err)")
            XCTAssertTrue(r.err.contains(words), "\(arguments) \(environment): \(r.err)")
        }
    }
}
