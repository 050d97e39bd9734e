import Foundation
import XCTest
import Mino
import MinoLang
import MinoModel
import MinoPython

/// `mino export`: a Mino model as a plain PyTorch file whose state dict takes the
/// weights Mino saved (strict), and gives the same outputs in PyTorch.
final class TorchExportTests: XCTestCase {
    static let mlp = """
        (require [mino.mu [*]])
        (import torch [torch.nn :as nn] [torch.nn.functional :as F])
        (defmu LinearTransformation [x weights bias] (-> x (@ weights) (+ bias)))
        (defn LearnableLinear [f-in f-out]
          (LinearTransformation :weights (nn.Parameter (torch.randn f-in f-out))
                                :bias (nn.Parameter (torch.randn f-out))))
        (defmu FeedForward [x linear-to-hidden linear-to-output]
          (-> x linear-to-hidden torch.sigmoid linear-to-output (F.softmax :dim 1)))
        (setv model (FeedForward :linear-to-hidden (LearnableLinear 6 5) :linear-to-output (LearnableLinear 5 3)))
        (setv x (torch.randn 4 6))
        """

    static let residual = """
        (require [mino.mu [*]])
        (import torch [torch.nn :as nn] [torch.nn.functional :as F])
        (defmu Residual [x block scale] (+ x (* scale (block x))))
        (defmu Net [x stem res head] (-> x stem F.relu res res head))
        (setv model (Net :stem (nn.Linear 6 8)
                         :res (Residual :block (nn.Sequential (nn.Linear 8 8) (nn.Tanh) (nn.Linear 8 8)) :scale 0.5)
                         :head (nn.Linear 8 2)))
        (setv x (torch.randn 4 6))
        """

    func requireTorch() throws -> PythonInterpreter {
        guard LangTestSupport.torchAvailable, let python = PythonInterpreter.current else {
            throw XCTSkip("checking exported files needs Python with torch, not available here")
        }
        return python
    }

    func model(_ source: String, on backend: String = "reference") throws -> (ModuleValue, Tensor) {
        let (interpreter, _) = try LangTestSupport.interpreter(backend)
        try interpreter.evaluate(source: source)
        guard case .object(let model as ModuleValue)? = interpreter.globals.value("model"),
              let x = interpreter.globals.value("x")?.tensor else { throw XCTSkip("no model") }
        return (model, x)
    }

    /// Exports `source`'s model, loads the file and weights in PyTorch; returns Python's globals with `net`.
    func exportAndLoad(_ model: ModuleValue, _ python: PythonInterpreter) throws -> PythonObject {
        let text = try TorchExport.python(model, className: "Net")
        XCTAssertFalse(text.contains("import mino") || text.contains("from mino"), "the file must not import Mino:\n\(text)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mino-export-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let weights = dir.appendingPathComponent("net.safetensors")
        try Checkpoint.save(ModuleAdapter(model), to: weights)
        let g = try python.run(text, filename: "net.py")
        try g.setItem("path", weights.path)
        try python.run("net = load_weights(Net(), path)", globals: g)
        return g
    }

    func compare(_ model: ModuleValue, _ x: Tensor, _ python: PythonInterpreter, _ g: PythonObject, _ what: String) throws {
        try g.setItem("_x", PythonList(try x.doubles().map { $0 }))
        try g.setItem("_shape", PythonList(x.shape.dims.map { $0 }))
        let expected = try python.evaluate("net(torch.tensor(_x, dtype=torch.float32).reshape(_shape)).detach().flatten().tolist()",
                                           globals: g).toArray(of: Double.self)
        let actual = try XCTUnwrap(try model.invoke([.tensor(x)], []).tensor).doubles()
        XCTAssertEqual(actual.count, expected.count, what)
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 1
        XCTAssertLessThan(worst, 1e-5, "\(what): outputs differ by \(worst)")
    }

    func testAnMLPOfMusExportsAndRunsInPyTorch() throws {
        let python = try requireTorch()
        for backend in ["reference", "blas"] {
            let (model, x) = try self.model(TorchExportTests.mlp, on: backend)
            let text = try TorchExport.python(model)
            XCTAssertTrue(text.contains("class LinearTransformation(nn.Module):"), text)
            XCTAssertTrue(text.contains("return (torch.matmul(x, self.weights) + self.bias)") || text.contains("return ((x @ self.weights) + self.bias)"), text)
            XCTAssertTrue(text.contains("self.linear_to_hidden = LinearTransformation()"), text)
            XCTAssertTrue(text.contains("class Net(nn.Module):"), text)
            let g = try exportAndLoad(model, python)
            try compare(model, x, python, g, "mlp on \(backend)")
            let names = try python.evaluate("list(net.state_dict().keys())", globals: g).toArray(of: String.self)
            XCTAssertEqual(names, model.namedParameters.map(\.name))
        }
    }

    func testAResidualModelWithLayersExportsAndRunsInPyTorch() throws {
        let python = try requireTorch()
        let (model, x) = try self.model(TorchExportTests.residual)
        let text = try TorchExport.python(model)
        XCTAssertTrue(text.contains("self.block = nn.Sequential(nn.Linear(8, 8, bias=True), nn.Tanh(), nn.Linear(8, 8, bias=True))"), text)
        XCTAssertTrue(text.contains("self.scale = 0.5"), text)
        let g = try exportAndLoad(model, python)
        try compare(model, x, python, g, "residual")
    }

    func testWhatCannotBeWrittenIsAClearErrorNamingTheForm() throws {
        let (model, _) = try self.model("""
            (require [mino.mu [*]])
            (import torch)
            (defmu Odd [x w] (print (@ x w)))
            (setv model (Odd :w (torch.nn.Parameter (torch.ones 2 2))) x (torch.ones 1 2))
            """)
        XCTAssertThrowsError(try TorchExport.python(model)) { error in
            XCTAssertTrue("\(error)".contains("cannot write (print (@ x w)) in PyTorch: print is not a registered op"), "\(error)")
        }
    }

    /// `mino export`'s path: the program's model, weights loaded strictly; a weights
    /// file that does not fit is one error listing every mismatch.
    func testExportProgramLoadsTheWeightsStrictly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mino-export-program-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let program = dir.appendingPathComponent("net.mu")
        try Data(TorchExportTests.residual.utf8).write(to: program)
        let backend = try LangTestSupport.backend("reference")
        let (model, _) = try self.model(TorchExportTests.residual)
        let weights = dir.appendingPathComponent("net.safetensors")
        try Checkpoint.save(ModuleAdapter(model), to: weights)
        let (python, exported) = try TorchExport.exportProgram(file: program.path, weights: weights.path, backend: backend)
        XCTAssertTrue(python.contains("class Net(nn.Module):"))
        for ((name, a), (_, b)) in zip(model.namedParameters, exported.namedParameters) {
            XCTAssertEqual(try a.floats(), try b.floats(), "\(name) was not loaded")
        }
        var wrong = try Safetensors(contentsOf: weights)
        wrong.tensors["head.weight"] = nil
        try wrong.write(to: weights)
        XCTAssertThrowsError(try TorchExport.exportProgram(file: program.path, weights: weights.path, backend: backend)) { error in
            XCTAssertTrue("\(error)".contains("does not fit the model") && "\(error)".contains("missing head.weight"), "\(error)")
        }
        XCTAssertThrowsError(try TorchExport.exportProgram(file: dir.appendingPathComponent("none.mu").path, weights: nil,
                                                          backend: backend)) { error in
            XCTAssertTrue("\(error)".contains("cannot read"), "\(error)")
        }
    }

    /// A built-in layer at the top becomes a subclass of it, with the same state-dict names.
    func testASequentialAtTheTopExportsAsItsOwnClass() throws {
        let python = try requireTorch()
        let (model, x) = try self.model("""
            (import torch [torch.nn :as nn])
            (setv model (nn.Sequential (nn.Linear 6 4) (nn.ReLU) (nn.Linear 4 2)) x (torch.randn 3 6))
            """)
        let text = try TorchExport.python(model)
        XCTAssertTrue(text.contains("class Net(nn.Sequential):\n    def __init__(self):\n        super().__init__("
                                    + "nn.Linear(6, 4, bias=True), nn.ReLU(), nn.Linear(4, 2, bias=True))"), text)
        let g = try exportAndLoad(model, python)
        try compare(model, x, python, g, "sequential")
    }

    /// A mu model holding LeNet as a torch-module exports with LeNet's class taken from
    /// its file; PyTorch gives Mino's outputs.
    func testATorchModuleChildExportsAsItsOwnClass() throws {
        let python = try requireTorch()
        let (interpreter, _) = try LangTestSupport.interpreter("reference")
        try interpreter.evaluate(source: """
            (require [mino.mu [*]])
            (import torch [torch.nn :as nn])
            (setv model (bind (mu [x net head] (head (torch.relu (net x))))
                              :net (torch-module "lenet.py" "MyModel") :head (nn.Linear 10 3)))
            (setv x (torch.randn 2 1 32 32))
            """, file: LangTestSupport.examplesDirectory.appendingPathComponent("export.mu").path)
        guard case .object(let model as ModuleValue)? = interpreter.globals.value("model"),
              let x = interpreter.globals.value("x")?.tensor else { return XCTFail("no model") }
        let text = try TorchExport.python(model)
        XCTAssertTrue(text.contains("self.net = _class_from_file('"), text)
        XCTAssertTrue(text.contains("lenet.py', 'MyModel')()"), text)
        let g = try exportAndLoad(model, python)
        try g.setItem("_x", PythonList(try x.doubles().map { $0 }))
        let expected = try python.evaluate("net(torch.tensor(_x, dtype=torch.float32).reshape(2, 1, 32, 32)).detach().flatten().tolist()",
                                           globals: g).toArray(of: Double.self)
        let actual = try XCTUnwrap(try model.invoke([.tensor(x)], []).tensor).doubles()
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 1
        XCTAssertLessThan(worst, 1e-5)
    }

    /// A torch-module with batch norm inside a mu model: its buffers are in the model's state
    /// dict (`net.bn.running_mean` …), so the exported file loads Mino's weights strictly and,
    /// after Mino trained a few batches, gives the same eval-mode outputs.
    func testATorchModuleChildWithBuffersExportsAndLoadsStrictly() throws {
        let python = try requireTorch()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mino-export-bn-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("""
            import torch
            class Norm(torch.nn.Module):
                def __init__(self):
                    super().__init__()
                    self.fc = torch.nn.Linear(6, 4)
                    self.bn = torch.nn.BatchNorm1d(4)
                def forward(self, x):
                    return self.bn(self.fc(x))
            """.utf8).write(to: dir.appendingPathComponent("norm.py"))
        let (interpreter, _) = try LangTestSupport.interpreter("reference")
        try interpreter.evaluate(source: """
            (require [mino.mu [*]])
            (import torch [torch.nn :as nn])
            (setv model (bind (mu [x net head] (head (torch.relu (net x)))) :net (torch-module "norm.py" "Norm") :head (nn.Linear 4 2)))
            (for [i (range 3)] (model (* (torch.randn 8 6) (+ i 1))))
            (.eval model)
            (setv x (torch.randn 5 6))
            """, file: dir.appendingPathComponent("model.mu").path)
        guard case .object(let model as ModuleValue)? = interpreter.globals.value("model"),
              let x = interpreter.globals.value("x")?.tensor else { return XCTFail("no model") }
        XCTAssertEqual(model.stateDict.map(\.name), ["net.fc.weight", "net.fc.bias", "net.bn.weight", "net.bn.bias",
                                                     "net.bn.running_mean", "net.bn.running_var", "net.bn.num_batches_tracked",
                                                     "head.weight", "head.bias"])
        let g = try exportAndLoad(model, python)
        try python.run("net.eval()", globals: g)
        XCTAssertEqual(try python.evaluate("int(net.net.bn.num_batches_tracked)", globals: g).toInt(), 3)
        try compare(model, x, python, g, "torch-module with batch norm")
    }
}
