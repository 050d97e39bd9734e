import Foundation
import XCTest
import Mino
import MinoLang
import MinoModel
import MinoPython

/// Import and export of models with state beyond parameters or outputs beyond one
/// tensor: a batch-norm network in evaluation mode (its running statistics are
/// buffers, in the weights file under PyTorch's names) and a 2-layer LSTM classifier
/// (`nn.LSTM` returns `(output, (h, c))`, indexed with `getitem`). Each imported
/// model runs on reference and blas without Python and gives PyTorch's outputs;
/// exported again it loads the same weights strictly in PyTorch; the Mino →
/// PyTorch → Mino round trip gives every tensor back identical.
final class TorchInteropLayerTests: XCTestCase {
    /// `Examples/classifiers.py` (BatchNormNet, LSTMClassifier) and a model Mino cannot import.
    static func models() throws -> String {
        try String(contentsOf: LangTestSupport.examplesDirectory.appendingPathComponent("classifiers.py"), encoding: .utf8) + """


            class TwoWay(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.lstm = nn.LSTM(5, 8, num_layers=2, bidirectional=True, dropout=0.1)

                def forward(self, x):
                    return self.lstm(x)[0]


            class Plain(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.norm = nn.BatchNorm1d(4, affine=False, momentum=None)
                    self.register_buffer("offset", torch.ones(4))

                def forward(self, x):
                    return self.norm(x) + self.offset
            """
    }

    static let inputs: [String: [Int]] = ["BatchNormNet": [5, 2, 6, 6], "LSTMClassifier": [4, 7, 5]]

    var directory: URL!
    var python: PythonInterpreter!

    override func setUpWithError() throws {
        guard LangTestSupport.torchAvailable, let python = PythonInterpreter.current else {
            throw XCTSkip("import and export against PyTorch need Python with torch, not available here")
        }
        self.python = python
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mino-interop-layers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(try TorchInteropLayerTests.models().utf8).write(to: directory.appendingPathComponent("models.py"))
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    /// Runs the imported `.mu` file on `backend`; the model in evaluation mode.
    func load(_ muFile: String, on backend: String) throws -> ModuleValue {
        let (interpreter, _) = try LangTestSupport.interpreter(backend)
        let value = try interpreter.evaluate(source: try String(contentsOfFile: path(muFile), encoding: .utf8), file: path(muFile))
        guard case .object(let model as ModuleValue) = value else { throw XCTSkip("no model from \(muFile)") }
        model.setTraining(false)
        return model
    }

    /// PyTorch's output of `expression` (a module in the globals `g`) on a seeded input of `shape`, and the input.
    func pytorch(_ expression: String, _ g: PythonObject, shape: [Int]) throws -> (output: [Double], input: [Double]) {
        try g.setItem("_shape", PythonList(shape))
        try python.run("""
            torch.manual_seed(3)
            _x = torch.randn(*_shape)
            _y = (\(expression))(_x).detach().flatten().tolist()
            _values = _x.flatten().tolist()
            """, globals: g)
        return (try g.item("_y").toArray(of: Double.self), try g.item("_values").toArray(of: Double.self))
    }

    func assertClose(_ actual: [Double], _ expected: [Double], _ what: String) {
        XCTAssertEqual(actual.count, expected.count, what)
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 1
        XCTAssertLessThan(worst, 1e-5, "\(what): outputs differ by \(worst) (relative)")
    }

    /// Import → run without Python → print and revert → export → load strictly in PyTorch → import again.
    func checkInterop(_ className: String, layerLine: String) throws {
        let muFile = className.lowercased() + ".mu", weights = path(className.lowercased() + ".safetensors")
        try TorchImport.write(file: path("models.py"), className: className, out: path(muFile))
        let shape = try XCTUnwrap(TorchInteropLayerTests.inputs[className])
        let g = try python.run("import runpy, torch\n" + TorchExport.loader)
        try g.setItem("models", path("models.py"))
        try g.setItem("weights", weights)
        try python.run("original = load_weights(runpy.run_path(models)[\"\(className)\"](), weights).eval()", globals: g)
        let (expected, input) = try pytorch("original", g, shape: shape)

        // Imported: the weights file is PyTorch's state dict, buffers included; runs with no Python.
        let names = try python.evaluate("list(original.state_dict().keys())", globals: g).toArray(of: String.self)
        var model: ModuleValue?
        for backend in ["reference", "blas"] {
            let imported = try load(muFile, on: backend)
            XCTAssertEqual(imported.stateDict.map(\.name), names, "\(className)'s state dict on \(backend)")
            let x = try Tensor(input.map(Float.init), shape: Shape(shape), on: try LangTestSupport.backend(backend))
            let y = try XCTUnwrap(try imported.invoke([.tensor(x)], []).tensor).doubles()
            assertClose(y, expected, "imported \(className) on \(backend)")
            model = imported
        }
        let imported = try XCTUnwrap(model)

        // It prints as a mu tree and reverts to source that rebuilds the same model.
        XCTAssertTrue(imported.torchRepr.contains(layerLine), imported.torchRepr)
        let source = try imported.source()
        let (interpreter, _) = try LangTestSupport.interpreter("reference")
        let rebuilt = try interpreter.evaluate(source: "(require [mino.mu [*]]) (import torch [torch.nn.functional :as F]) " + source)
        guard case .object(let again as ModuleValue) = rebuilt else { return XCTFail("the source built no model") }
        XCTAssertEqual(try again.source(), source)
        XCTAssertEqual(again.stateDict.map(\.name), names)

        // Exported: a plain PyTorch file whose state dict takes the weights strictly, with the same outputs.
        let text = try TorchExport.python(imported, className: "Net")
        XCTAssertFalse(text.contains("import mino") || text.contains("from mino"), text)
        try Data(text.utf8).write(to: directory.appendingPathComponent("net_\(className).py"))
        try g.setItem("exported", path("net_\(className).py"))
        try python.run("net = load_weights(runpy.run_path(exported)[\"Net\"](), weights).eval()", globals: g)
        XCTAssertEqual(try python.evaluate("list(net.state_dict().keys())", globals: g).toArray(of: String.self), names)
        assertClose(try pytorch("net", g, shape: shape).output, expected, "exported \(className) in PyTorch")

        // Mino → PyTorch → Mino: the exported class, given Mino's weights, imports back to identical tensors.
        try Checkpoint.save(ModuleAdapter(imported), to: directory.appendingPathComponent("mino_\(className).safetensors"))
        try Data("""
            import os, runpy
            _here = os.path.dirname(__file__)
            _net = runpy.run_path(os.path.join(_here, "net_\(className).py"))
            class Trained(_net["Net"]):
                def __init__(self):
                    super().__init__()
                    _net["load_weights"](self, os.path.join(_here, "mino_\(className).safetensors"))
            """.utf8).write(to: directory.appendingPathComponent("trained_\(className).py"))
        try TorchImport.write(file: path("trained_\(className).py"), className: "Trained", out: path("back.mu"))
        let back = try load("back.mu", on: "reference")
        XCTAssertEqual(back.stateDict.map(\.name), imported.stateDict.map(\.name))
        for ((name, a), (_, b)) in zip(imported.stateDict, back.stateDict) {
            XCTAssertEqual(try a.toHost(), try b.toHost(), "\(name) changed on the round trip")
        }
    }

    func testABatchNormModelInEvalModeImportsAndExports() throws {
        try checkInterop("BatchNormNet", layerLine: "(norm1d): BatchNorm1d(8, eps=0.001, momentum=0.2, affine=True, track_running_stats=True)")
        let text = try String(contentsOfFile: path("batchnormnet.mu"), encoding: .utf8)
        XCTAssertTrue(text.contains(":norm2d (torch.nn.BatchNorm2d :num_features 4 :eps 1e-05 :momentum 0.1)"), text)
        // The buffers are PyTorch's, after its three training batches.
        let file = try Safetensors(contentsOf: directory.appendingPathComponent("batchnormnet.safetensors"))
        XCTAssertEqual(file.tensors["norm2d.num_batches_tracked"]?.int64s, [3])
        XCTAssertNotEqual(file.tensors["norm2d.running_var"]?.floats, [1, 1, 1, 1])
    }

    func testATwoLayerLSTMClassifierImportsAndExports() throws {
        try checkInterop("LSTMClassifier", layerLine: "(lstm): LSTM(5, 8, num_layers=2, batch_first=True)")
        let text = try String(contentsOfFile: path("lstmclassifier.mu"), encoding: .utf8)
        XCTAssertTrue(text.contains("(setv v-lstm (lstm x))"), text)
        XCTAssertTrue(text.contains("(setv v-getitem-1 (get v-lstm 1))"), text)
        XCTAssertTrue(text.contains("(fc (get (get v-getitem-1 0) -1))"), "h[-1] as tuple access then an index: \(text)")
        XCTAssertTrue(text.contains("(get (get v-lstm 0) (, (slice None None None) -1 (slice None None None)))"), text)
    }

    /// New ways to fail: a weights file missing a buffer, LSTM weights of the wrong shape,
    /// an input of the wrong size, and LSTM options Mino does not have — each a clear error.
    func testBadInputIsAClearError() throws {
        try TorchImport.write(file: path("models.py"), className: "BatchNormNet", out: path("bn.mu"))
        var file = try Safetensors(contentsOf: directory.appendingPathComponent("bn.safetensors"))
        file.tensors["norm2d.running_var"] = nil
        try file.write(to: directory.appendingPathComponent("bn.safetensors"))
        let missing = message { _ = try self.load("bn.mu", on: "reference") }
        XCTAssertTrue(missing.contains("does not fit the model") && missing.contains("missing norm2d.running_var (float32 [4])"), missing)

        try TorchImport.write(file: path("models.py"), className: "LSTMClassifier", out: path("lstm.mu"))
        file = try Safetensors(contentsOf: directory.appendingPathComponent("lstm.safetensors"))
        file.tensors["lstm.weight_ih_l1"] = try HostArray([Float](repeating: 0, count: 32 * 5), shape: [32, 5])
        try file.write(to: directory.appendingPathComponent("lstm.safetensors"))
        let shapes = message { _ = try self.load("lstm.mu", on: "reference") }
        XCTAssertTrue(shapes.contains("lstm.weight_ih_l1: the file has float32 [32 5], the model expects float32 [32 8]"), shapes)

        try TorchImport.write(file: path("models.py"), className: "LSTMClassifier", out: path("lstm.mu"))
        let model = try load("lstm.mu", on: "reference")
        let wrong = message { _ = try model.invoke([.tensor(try Tensor([Float](repeating: 0, count: 24), shape: [2, 3, 4]))], []) }
        XCTAssertTrue(wrong.contains("in LSTMClassifier: LSTM: shapes [2 3 4]: expected an input [N T 5]"), wrong)

        let twoWay = message { try TorchImport.write(file: self.path("models.py"), className: "TwoWay", out: self.path("b.mu")) }
        XCTAssertTrue(twoWay.contains("models.py:TwoWay.lstm (LSTM): bidirectional=True, dropout=0.1 between layers has no Mino layer"),
                      twoWay)
        let plain = message { try TorchImport.write(file: self.path("models.py"), className: "Plain", out: self.path("b.mu")) }
        XCTAssertTrue(plain.contains("2 nodes cannot be written"), plain)
        XCTAssertTrue(plain.contains("models.py:Plain.norm (BatchNorm1d): affine=False, momentum=None has no Mino layer"), plain)
        XCTAssertTrue(plain.contains("reads the buffer offset"), plain)
    }
}
