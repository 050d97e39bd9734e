import Foundation
import XCTest
import Mino
import MinoLang

/// Models saved as source + safetensors load back bit-identical on the same backend,
/// within the conformance tolerance on another; bad weights are reported, not half-loaded.
final class ModelFilesTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mino-model-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    static let model = """
        (require [mino.mu [*]] [mino.thread [*]])
        (import torch [torch.nn :as nn] mino)
        (torch.manual_seed 7)
        (defmu Affine [x w b] (-> x (@ w) (+ b)))
        (setv model (bind (mu [x hidden out act] (-> x hidden act out))
                          :hidden (Affine :w (nn.Parameter (torch.randn 4 8)) :b (nn.Parameter (torch.randn 8)))
                          :out (nn.Linear 8 2)
                          :act torch.tanh))
        (setv x (torch.randn 5 4))
        """

    func testSaveAndLoadRoundTripsOnEveryBackend() throws {
        let (source, _) = try LangTestSupport.interpreter("blas")
        try source.evaluate(source: Self.model + "(mino.save model \"\(directory.path)\")")
        let original = try XCTUnwrap(source.evaluate(source: "(model x)").tensor).floats()
        let input = try XCTUnwrap(source.globals.value("x")?.tensor).floats()
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.mu").path))

        for name in LangTestSupport.allBackends {
            let (target, _) = try LangTestSupport.interpreter(name, seed: 99)
            try target.evaluate(source: "(import torch mino) (setv loaded (mino.load \"\(directory.path)\"))")
            target.globals.define("x", .tensor(try Tensor(input, shape: [5, 4], on: target.backend)))
            let output = try XCTUnwrap(target.evaluate(source: "(loaded x)").tensor).floats()
            if name == "blas" {
                XCTAssertEqual(output, original, "same backend: bit-identical")
            } else {
                for (a, b) in zip(output, original) { XCTAssertEqual(a, b, accuracy: 1e-5, name) }
            }
            // The loaded model reverts to the same source.
            let reverted = try target.evaluate(source: "(hy-repr loaded)").str
            XCTAssertEqual(reverted + "\n", try String(contentsOf: directory.appendingPathComponent("model.mu"), encoding: .utf8))
        }
    }

    func testMismatchedWeightsAreAllReportedAndNothingIsLoaded() throws {
        let (interpreter, _) = try LangTestSupport.interpreter()
        try interpreter.evaluate(source: Self.model + "(mino.save model \"\(directory.path)\")")
        // A model whose hidden layer is wider and whose output layer is renamed.
        try interpreter.evaluate(source: """
            (setv other (bind (mu [x hidden final act] (-> x hidden act final))
                              :hidden (Affine :w (nn.Parameter (torch.zeros 4 9)) :b (nn.Parameter (torch.zeros 8)))
                              :final (nn.Linear 8 2) :act torch.tanh))
            """)
        XCTAssertThrowsError(try interpreter.evaluate(source: "(mino.load-weights other \"\(directory.path)/model.safetensors\")", file: "load.mu")) { error in
            let message = (error as? LangError)?.message ?? ""
            XCTAssertTrue(message.contains("hidden.w: the file has float32 [4 8], the model expects float32 [4 9]"), message)
            XCTAssertTrue(message.contains("missing final.weight"), message)
            XCTAssertTrue(message.contains("unexpected out.weight"), message)
        }
        // Nothing was loaded: the matching bias is still zero.
        XCTAssertEqual(try interpreter.evaluate(source: "(.item (.sum (. other hidden b)))").repr, "0.0")
    }

    func testCorruptWeightsFileIsAnError() throws {
        let (interpreter, _) = try LangTestSupport.interpreter()
        try interpreter.evaluate(source: Self.model + "(mino.save model \"\(directory.path)\")")
        try Data("not a safetensors file".utf8).write(to: directory.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try interpreter.evaluate(source: "(mino.load \"\(directory.path)\")")) { error in
            XCTAssertEqual((error as? LangError)?.pythonType, "OSError")
        }
    }

    /// The Model layer's Checkpoint and optimizers take mu models through ModuleAdapter.
    func testMuModelsWorkWithTheSwiftAPI() throws {
        let (interpreter, _) = try LangTestSupport.interpreter("blas")
        try interpreter.evaluate(source: Self.model)
        guard case .object(let model as ModuleValue)? = interpreter.globals.value("model") else { return XCTFail("no model") }
        let module = ModuleAdapter(model)
        XCTAssertEqual(module.namedParameters.map(\.name), ["hidden.w", "hidden.b", "out.weight", "out.bias"])
        let file = directory.appendingPathComponent("direct.safetensors")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Checkpoint.save(module, to: file)
        try Checkpoint.load(file, into: module)
    }
}
