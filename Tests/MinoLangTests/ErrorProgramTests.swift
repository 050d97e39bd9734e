import Foundation
import XCTest
import Mino
import MinoLang

/// Malformed and failing programs through `mino run`'s code path: each gives its
/// located error and status 1, never a crash or a hang.
final class ErrorProgramTests: XCTestCase {
    /// (program, the error's first line).
    static let programs: [(String, String)] = [
        ("(print (+ 1 2)", "bad.mu:1:15: expected ')' to close '(' opened at 1:1, found end of input"),
        ("(print 1))", "bad.mu:1:10: unexpected ')' with nothing open to close"),
        ("[1 2", "bad.mu:1:5: expected ']' to close '[' opened at 1:1, found end of input"),
        ("\"unterminated", "bad.mu:1:1: unterminated string"),
        ("{1}", "bad.mu:1:3: expected an even number of forms in the dict"),
        ("(prnt 1)", "bad.mu:1:2: name 'prnt' is not defined; did you mean 'print'?"),
        ("(import torch) (torch.sigmod 1)", "bad.mu:1:17: module 'torch' has no attribute 'sigmod'; did you mean 'sigmoid'?"),
        ("(import torch) (torch.nn.functional.rleu 1)", "bad.mu:1:17: module 'torch.nn.functional' has no attribute 'rleu'; did you mean 'relu'?"),
        ("(defn f [a b] a)\n(f 1)", "bad.mu:2:1: f() missing 1 required argument: 'b'"),
        ("(defn f [a] a)\n(f 1 2 3)", "bad.mu:2:1: f() takes 1 positional argument but 3 were given"),
        ("(defn f [a] a)\n(f 1 :c 3)", "bad.mu:2:1: f() got an unexpected keyword argument 'c'"),
        ("(import torch)\n(torch.zeros 2 :dtyp torch.float32)", "bad.mu:2:1: torch.zeros() got an unexpected keyword argument 'dtyp'; did you mean 'dtype'?"),
        ("(import torch)\n(torch.sum (torch.ones 2) :dim 1 :dim 2)", "bad.mu:2:34: keyword argument :dim given twice"),
        ("(\"not a function\" 1)", "bad.mu:1:1: 'str' object is not callable"),
        ("(setv x 5)\n(x)", "bad.mu:2:1: 'int' object is not callable"),
        ("(import torch)\n(defn layer [x w] (@ x w))\n(layer (torch.ones 100 10) (torch.ones 32 10))",
         "bad.mu:2:19: matmul: shapes [100 10] and [32 10]: inner dimensions 10 and 32 differ"),
        ("(setv m None)\n(print m.weight)", "bad.mu:2:8: 'NoneType' object has no attribute 'weight'"),
        ("(import torch)\n(.item (torch.ones 2 2))", "bad.mu:2:1: a Tensor with 4 elements cannot be converted to Scalar (shape [2 2])"),
        ("(defn deep [n] (+ 1 (deep (+ n 1))))\n(deep 0)", "bad.mu:1:21: maximum recursion depth exceeded (1000 nested calls)"),
        ("(defmacro boom [] (raise (ValueError \"nope\")))\n(boom)", "bad.mu:2:1: boom: nope (raised at bad.mu:1:19)"),
        ("(defmacro bad-expansion [] '(1 2 3))\n(bad-expansion)", "bad.mu:1:29: 'int' object is not callable"),
        ("(if)", "bad.mu:1:1: if: expects (if test then [else]), found 0 forms"),
        ("(setv a)", "bad.mu:1:1: setv: expects target/value pairs, found 1 form"),
        ("(setv 1 2)", "bad.mu:1:1: setv: cannot assign to an integer 1"),
        ("(let [a] a)", "bad.mu:1:1: let: bindings must come in name/value pairs, found 1 forms"),
        ("(fn x x)", "bad.mu:1:5: fn: the parameter list must be a vector [a b …], found a symbol x"),
        ("(defn f [a a] a)", "bad.mu:1:12: f: parameter a appears twice"),
        ("(for [x] x)", "bad.mu:1:1: for: expects (for [target sequence …] body…)"),
        ("(for [x 5] x)", "bad.mu:1:1: 'int' object is not iterable"),
        ("(get [1 2] 5)", "bad.mu:1:1: list index 5 out of range (length 2)"),
        ("(get {\"a\" 1} \"b\")", "bad.mu:1:1: 'b'"),
        ("(assert (= 1 2) \"one is not two\")", "bad.mu:1:1: one is not two"),
        ("(raise (TypeError \"custom\"))", "bad.mu:1:1: custom"),
        ("(raise 42)", "bad.mu:1:1: exceptions must derive from BaseException (got int)"),
        ("(break)", "bad.mu:1:1: 'break' outside a loop"),
        ("(int \"x1\")", "bad.mu:1:1: invalid literal for int() with base 10: 'x1'"),
        ("(require [mino.mu [defmoo]])", "bad.mu:1:10: cannot require 'defmoo' from 'mino.mu'"),
        ("(import [torch [nonexistent]])", "bad.mu:1:9: cannot import name 'nonexistent' from 'torch'"),
        ("(require [mino.mu [*]])\n(defmu 5 [x] x)", "bad.mu:2:1: defmu: the name must be a symbol, found an integer 5"),
        ("(require [mino.mu [*]])\n(defmu M [x])", "bad.mu:2:1: defmu M: the forward procedure (body) must be defined"),
        ("(require [mino.mu [*]])\n(defmu M [x w] (* x w))\n((M) 2)", "bad.mu:3:1: M: component w is not bound"),
        ("(require [mino.mu [*]])\n(bind (mu [x w] x) :w)", "bad.mu:2:1: bind: arguments must be :component value pairs, found 1 form after the mu"),
        ("(require [mino.mu [*]])\n(bind (mu [x w] x) :v 1)", "bad.mu:2:1: bind: μ has no component v; components: [x w]"),
        ("(require [mino.mu [*]])\n(bind (mu [x w] x) :w 'code)", "bad.mu:2:1: bind: μ.w cannot be bound to quoted code; evaluate it first"),
        ("(require [mino.mu [*]])\n((bind (mu [x f] (f x)) :f 3) 1)", "bad.mu:2:18: in μ: 'int' object is not callable (f is 3)"),
        ("(require [mino.mu [*]])\n(bind 5 :w 1)", "bad.mu:2:1: bind: argument 1 must be a mu, found int"),
        ("(require [mino.mu [*]])\n((mu [x w] x) 1 2 3)", "bad.mu:2:1: μ: takes 2 components [x w] but 3 arguments were given"),
        ("(import torch)\n(torch.zeros -1)", "bad.mu:2:1: torch.zeros(): negative dimension -1 in size [-1]"),
        ("(import torch)\n(torch.zeros 100000000 100000000)", "bad.mu:2:1: torch.zeros(): size [100000000 100000000] is too large to allocate"),
        ("(list (range 100000000000))", "bad.mu:1:1: range(0, 100000000000) has 100000000000 elements, more than the 67108864 a list may hold"),
        ("(import torch)\n(torch.ones 1000000000000)", "bad.mu:2:1: torch.ones(): size [1000000000000] is too large to allocate"),
        ("(* \"ab\" 10000000000)", "bad.mu:1:1: repeating 2 elements 10000000000 times is too large"),
        ("(while True 1)", "bad.mu:1:1: stopped after 100000 loop iterations"),
        ("(defmain [&rest args] (raise (RuntimeError \"in main\")))", "bad.mu:1:23: in main"),
    ]

    func testEachProgramGivesItsLocatedErrorAndStatusOne() throws {
        XCTAssertGreaterThanOrEqual(Self.programs.count, 40)
        let backend = try LangTestSupport.backend("reference")
        for (source, expected) in Self.programs {
            let outcome = ProgramRunner.run(source: source, file: "bad.mu", backend: backend, loopBudget: 100_000)
            XCTAssertEqual(outcome.status, 1, "status of: \(source)")
            let firstLine = outcome.error?.components(separatedBy: "\n").first ?? "(no error)"
            XCTAssertTrue(firstLine.hasPrefix(expected), "program:\n\(source)\ngave: \(firstLine)\nexpected: \(expected)")
        }
    }

    /// A shape error deep in user functions names the op, the shapes and the call chain.
    func testRuntimeErrorsCarryTheCallChain() throws {
        let source = """
            (import torch)
            (defn linear [x w] (@ x w))
            (defn forward [x] (linear x (torch.ones 32 10)))
            (forward (torch.ones 100 10))
            """
        let outcome = ProgramRunner.run(source: source, file: "model.mu", backend: try LangTestSupport.backend("blas"))
        XCTAssertEqual(outcome.error, """
            model.mu:2:20: matmul: shapes [100 10] and [32 10]: inner dimensions 10 and 32 differ
              in linear (model.mu:2:1)
              in forward (model.mu:3:1)
            """)
    }

    /// An op's error inside a model names where in the model it happened.
    func testErrorsInsideModelsNameTheComponent() throws {
        let source = """
            (require [mino.mu [*]] [mino.thread [*]])
            (import torch)
            (defmu Affine [x w b] (-> x (@ w) (+ b)))
            (defmu FeedForward [x linear-to-hidden linear-to-output] (-> x linear-to-hidden torch.sigmoid linear-to-output))
            (setv model (FeedForward :linear-to-hidden (Affine :w (torch.ones 10 32) :b (torch.zeros 32))
                                     :linear-to-output (Affine :w (torch.ones 10 1) :b (torch.zeros 1))))
            (model (torch.ones 100 10))
            """
        let outcome = ProgramRunner.run(source: source, file: "model.mu", backend: try LangTestSupport.backend("reference"))
        XCTAssertEqual(outcome.error, """
            model.mu:3:29: in FeedForward.linear-to-output: matmul: shapes [100 32] and [10 1]: inner dimensions 32 and 10 differ
              in Affine (model.mu:3:1)
              in FeedForward (model.mu:4:1)
            """)
    }

    /// The installed command: status 1 and the message on standard error.
    func testMinoRunCommandExitsWithOne() throws {
        let binary = try MinoBinary.url()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mino-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.mu")
        try "(print \"before\")\n(undefined-name)".write(to: file, atomically: true, encoding: .utf8)
        let result = try MinoBinary.run(binary, ["run", file.path, "--backend", "reference"])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stdout, "before\n")
        XCTAssertEqual(result.stderr, "\(file.path):2:2: name 'undefined-name' is not defined\n")

        let good = try MinoBinary.run(binary, ["eval", "(cond-> 5 False (+ 100) True (* 2) True (- 3))"])
        XCTAssertEqual(good.stdout, "7\n")
        XCTAssertEqual(good.status, 0)
    }
}

/// The `mino` executable built beside the tests.
enum MinoBinary {
    static func url() throws -> URL {
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("mino")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw XCTSkip("the mino executable is not built beside the tests (swift build --build-tests builds it)")
    }

    static func run(_ binary: URL, _ arguments: [String], input: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
