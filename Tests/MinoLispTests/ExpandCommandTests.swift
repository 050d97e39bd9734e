import Foundation
import XCTest
@testable import MinoLisp

/// `mino expand`: its logic (`expandSource`) directly, and the built binary as a subprocess.
final class ExpandCommandTests: XCTestCase {
    func testExpandSource() throws {
        XCTAssertEqual(try expandSource("(-> x (f 1) g)"), "(g (f x 1))")
        XCTAssertEqual(try expandSource("(-> x (-> (f a)) g)", oneStep: true), "(g (f x a))")
        XCTAssertEqual(try expandSource("(f (-> x g))", oneStep: true), "(f (-> x g))")
        XCTAssertEqual(try expandSource("(=-> a f) ; two forms\n(=-> b g)"),
                       "(do (setv \(G1) a) (setv \(G1) (f \(G1))) \(G1))\n(do (setv \(G2) b) (setv \(G2) (g \(G2))) \(G2))")
        XCTAssertEqual(try expandSource("(-> x (f 1) g)", pretty: true, width: 8), "(g (f x\n      1))")
        XCTAssertEqual(lispError { try expandSource("(-> x (f 1") }?.description,
                       "<command line>:1:11: expected ')' to close '(' opened at 1:7, found end of input")
        XCTAssertEqual(lispError { try expandSource("  ; nothing") }?.kind, .read)
        XCTAssertEqual(lispError { try expandSource("(|-> [x y] [f g h])", file: "f.mu") }?.description,
                       "f.mu:1:12: |->: dimension mismatch: the threaded vector has 2 elements but the step vector has 3")
    }

    /// The `mino` executable next to the test bundle (SwiftPM builds it with the tests).
    private func minoBinary() throws -> URL {
        var candidates: [URL] = [
            Bundle(for: ExpandCommandTests.self).bundleURL.deletingLastPathComponent().appendingPathComponent("mino"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mino"),
        ]
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/mino"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("the mino executable was not found (looked at \(candidates.map(\.path))); run `swift build` first")
        }
        return found
    }

    private func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = try minoBinary()
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    func testBinaryExpandsAForm() throws {
        let result = try run(["expand", "(-> x (f 1) g)"])
        XCTAssertEqual(result.status, 0, result.err)
        XCTAssertEqual(result.out, "(g (f x 1))\n")
        let step = try run(["expand", "--step", "(*-> [input1 input2] tfun.matmul (tfun.add bias) [tfun.sigmoid tfun.relu])"])
        XCTAssertEqual(step.out, "[(tfun.sigmoid (tfun.add (tfun.matmul input1 input2) bias)) (tfun.relu (tfun.add (tfun.matmul input1 input2) bias))]\n")
    }

    func testBinaryReportsErrorsWithTheirPlace() throws {
        let unreadable = try run(["expand", "(-> x (f 1"])
        XCTAssertNotEqual(unreadable.status, 0)
        XCTAssertEqual(unreadable.out, "")
        XCTAssertEqual(unreadable.err, "<command line>:1:11: expected ')' to close '(' opened at 1:7, found end of input\n")
        let mismatch = try run(["expand", "(|-> [x y] [f g h])"])
        XCTAssertNotEqual(mismatch.status, 0)
        XCTAssertTrue(mismatch.err.hasPrefix("<command line>:1:12: |->: dimension mismatch"), mismatch.err)
    }
}
