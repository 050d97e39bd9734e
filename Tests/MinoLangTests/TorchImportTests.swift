import Foundation
import XCTest
import Mino
import MinoLang
import MinoModel
import MinoPython

/// `mino import`: PyTorch modules traced by torch.fx into mu expressions and
/// weights that run on reference and blas, checked against PyTorch's own outputs.
final class TorchImportTests: XCTestCase {
    static let models = """
        import torch
        import torch.nn as nn
        import torch.nn.functional as F


        class MLP(nn.Module):
            def __init__(self, n_in=6, hidden=16, n_out=3):
                super().__init__()
                self.fc1 = nn.Linear(n_in, hidden)
                self.fc2 = nn.Linear(hidden, n_out)

            def forward(self, x):
                return F.softmax(self.fc2(torch.tanh(self.fc1(x))), dim=1)


        class Block(nn.Module):
            def __init__(self, n):
                super().__init__()
                self.body = nn.Sequential(nn.Linear(n, n), nn.ReLU(), nn.Linear(n, n))
                self.scale = nn.Parameter(torch.full((n,), 0.5))

            def forward(self, x):
                return F.relu(x + self.scale * self.body(x))


        class ResNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.flat = nn.Flatten()
                self.stem = nn.Linear(6, 8)
                self.block1 = Block(8)
                self.block2 = Block(8)
                self.head = nn.Linear(8, 2)

            def forward(self, x):
                h = self.stem(self.flat(x))
                return self.head(self.block2(self.block1(h))) - h.sum(1, keepdim=True)


        class Branchy(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(6, 6)

            def forward(self, x):
                if x.sum() > 0:
                    return self.fc(x)
                return x


        class Odd(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(6, 6)

            def forward(self, x):
                return torch.cumsum(self.fc(x), 1).sort(1)[0] + x.flatten(0, 1).sum()
        """

    var directory: URL!

    override func setUpWithError() throws {
        guard LangTestSupport.torchAvailable, PythonInterpreter.current != nil else {
            throw XCTSkip("mino import needs Python with torch, not available here")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mino-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(TorchImportTests.models.utf8).write(to: directory.appendingPathComponent("models.py"))
    }

    override func tearDownWithError() throws {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Imports `className`, runs the .mu file on `backend` (no Python in the computation).
    func importAndRun(_ className: String, file: String = "models.py", on backend: String) throws -> ModuleValue {
        let out = path(className.lowercased() + ".mu")
        try TorchImport.write(file: path(file), className: className, out: out)
        let (interpreter, _) = try LangTestSupport.interpreter(backend)
        let value = try interpreter.evaluate(source: try String(contentsOfFile: out, encoding: .utf8), file: out)
        guard case .object(let model as ModuleValue) = value else { throw XCTSkip("no model from \(out)") }
        return model
    }

    /// A conv net (conv, pooling, GELU, flatten, layer norm): imported, it runs without
    /// Python on reference and blas with PyTorch's outputs.
    func testConvNetImportsAndMatchesPyTorch() throws {
        try Data("""
            import torch, torch.nn as nn, torch.nn.functional as F
            class ConvNet(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv1 = nn.Conv2d(1, 6, 5)
                    self.pool = nn.MaxPool2d(2)
                    self.conv2 = nn.Conv2d(6, 16, 3, padding=1)
                    self.norm = nn.LayerNorm(16 * 7 * 7)
                    self.fc = nn.Linear(16 * 7 * 7, 10)
                def forward(self, x):
                    x = self.pool(F.relu(self.conv1(x)))
                    x = F.avg_pool2d(F.gelu(self.conv2(x)), 2)
                    x = torch.flatten(x, 1)
                    return self.fc(self.norm(x))
            """.utf8).write(to: directory.appendingPathComponent("conv.py"))
        guard let python = PythonInterpreter.current else { return }
        let g = try python.run("import runpy, torch\n" + TorchExport.loader)
        try g.setItem("models", path("conv.py"))
        try g.setItem("weights", path("convnet.safetensors"))
        for backend in ["reference", "blas"] {
            let model = try importAndRun("ConvNet", file: "conv.py", on: backend)
            try python.run("""
                torch.manual_seed(2)
                net = load_weights(runpy.run_path(models)["ConvNet"](), weights)
                x = torch.randn(3, 1, 32, 32)
                expected = net(x).detach().flatten().tolist()
                values = x.flatten().tolist()
                """, globals: g)
            let x = try Tensor(try g.item("values").toArray(of: Double.self).map(Float.init), shape: [3, 1, 32, 32],
                               on: try LangTestSupport.backend(backend))
            let actual = try XCTUnwrap(try model.invoke([.tensor(x)], []).tensor).doubles()
            let expected = try g.item("expected").toArray(of: Double.self)
            XCTAssertEqual(actual.count, 30)
            let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 1
            XCTAssertLessThan(worst, 1e-5, "ConvNet on \(backend): outputs differ by \(worst)")
        }
    }

    /// PyTorch's output of `className` with the imported weights (loaded strictly), and Mino's, on one input.
    func assertSameOutputs(_ className: String, _ model: ModuleValue, _ backend: String) throws {
        guard let python = PythonInterpreter.current else { return }
        let g = try python.run("import runpy, torch\n" + TorchExport.loader)
        try g.setItem("models", path("models.py"))
        try g.setItem("weights", path(className.lowercased() + ".safetensors"))
        try python.run("""
            torch.manual_seed(1)
            net = load_weights(runpy.run_path(models)["\(className)"](), weights)
            x = torch.randn(5, 6)
            expected = net(x).detach().flatten().tolist()
            values = x.flatten().tolist()
            """, globals: g)
        let x = try Tensor(try g.item("values").toArray(of: Double.self).map(Float.init), shape: [5, 6],
                           on: try LangTestSupport.backend(backend))
        let actual = try XCTUnwrap(try model.invoke([.tensor(x)], []).tensor).doubles()
        let expected = try g.item("expected").toArray(of: Double.self)
        XCTAssertEqual(actual.count, expected.count)
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 1
        XCTAssertLessThan(worst, 1e-5, "\(className) on \(backend): outputs differ by \(worst)")
    }

    func testAnMLPImportsAndRunsWithoutPython() throws {
        for backend in ["reference", "blas"] {
            let model = try importAndRun("MLP", on: backend)
            XCTAssertEqual(model.namedParameters.map(\.name), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"])
            try assertSameOutputs("MLP", model, backend)
            // It prints as a mu tree and reverts to source that builds the same model.
            XCTAssertTrue(model.torchRepr.contains("(fc1): Linear(in_features=6, out_features=16, bias=True)"), model.torchRepr)
            let source = try model.source()
            XCTAssertEqual(source, "(bind (mu [x fc1 fc2] (F.softmax (fc2 (torch.tanh (fc1 x))) :dim 1)) "
                           + ":fc1 (torch.nn.Linear :in_features 6 :out_features 16 :bias True) "
                           + ":fc2 (torch.nn.Linear :in_features 16 :out_features 3 :bias True))")
            let (interpreter, _) = try LangTestSupport.interpreter(backend)
            let rebuilt = try interpreter.evaluate(source: "(require [mino.mu [*]]) (import torch [torch.nn.functional :as F]) " + source)
            guard case .object(let again as ModuleValue) = rebuilt else { return XCTFail("the source built no model") }
            XCTAssertEqual(try again.source(), source)
        }
        let text = try String(contentsOfFile: path("mlp.mu"), encoding: .utf8)
        XCTAssertTrue(text.contains("(defmu MLP [x fc1 fc2]\n  (F.softmax (fc2 (torch.tanh (fc1 x))) :dim 1))"), text)
    }

    /// The class's constructor arguments, written as in Python (`mino import --args`).
    func testConstructorArgumentsReachTheClass() throws {
        try TorchImport.write(file: path("models.py"), className: "MLP", arguments: "4, hidden=8, n_out=2", out: path("small.mu"))
        let (interpreter, _) = try LangTestSupport.interpreter("reference")
        let value = try interpreter.evaluate(source: try String(contentsOfFile: path("small.mu"), encoding: .utf8), file: path("small.mu"))
        guard case .object(let model as ModuleValue) = value else { return XCTFail("no model") }
        XCTAssertEqual(model.namedParameters.map(\.tensor.shape), [[8, 4], [8], [2, 8], [2]])
        let bad = message { try TorchImport.write(file: self.path("models.py"), className: "MLP", arguments: "4, nope=1",
                                                  out: self.path("small.mu")) }
        XCTAssertTrue(bad.contains("TypeError") && bad.contains("nope"), bad)
    }

    func testAResidualModelImportsAsOneMuPerModuleClass() throws {
        for backend in ["reference", "blas"] {
            let model = try importAndRun("ResNet", on: backend)
            XCTAssertEqual(model.namedParameters.count, 2 + 2 * 5 + 2)
            XCTAssertEqual(model.namedParameters[2].name, "block1.scale")
            try assertSameOutputs("ResNet", model, backend)
        }
        let text = try String(contentsOfFile: path("resnet.mu"), encoding: .utf8)
        XCTAssertTrue(text.contains("(defmu Block [x scale body]\n  (F.relu (+ x (* scale (body x)))))"), text)
        XCTAssertEqual(text.components(separatedBy: "(defmu Block").count, 2, "one defmu for both blocks")
    }

    /// PyTorch → Mino → PyTorch: the imported residual model, exported again, loads the
    /// imported weights strictly and gives the original module's outputs.
    func testPyTorchToMinoToPyTorchGivesTheSameOutputs() throws {
        let model = try importAndRun("ResNet", on: "reference")
        let text = try TorchExport.python(model, className: "Again")
        guard let python = PythonInterpreter.current else { return }
        let g = try python.run(text, filename: "again.py")
        try g.setItem("models", path("models.py"))
        try g.setItem("weights", path("resnet.safetensors"))
        try python.run("""
            import runpy
            original = load_weights(runpy.run_path(models)["ResNet"](), weights)
            again = load_weights(Again(), weights)
            x = torch.randn(5, 6)
            worst = (original(x) - again(x)).abs().max().item()
            """, globals: g)
        XCTAssertLessThan(try g.item("worst").toDouble(), 1e-6)
    }

    /// Mino → PyTorch → Mino: a mu model exported, then the exported class imported:
    /// every weight comes back identical, and the outputs agree.
    func testMinoToPyTorchToMinoGivesIdenticalWeights() throws {
        let (interpreter, _) = try LangTestSupport.interpreter("reference")
        try interpreter.evaluate(source: TorchExportTests.residual)
        guard case .object(let original as ModuleValue)? = interpreter.globals.value("model"),
              let x = interpreter.globals.value("x")?.tensor else { return XCTFail("no model") }
        try Data(try TorchExport.python(original).utf8).write(to: directory.appendingPathComponent("net.py"))
        try Checkpoint.save(ModuleAdapter(original), to: directory.appendingPathComponent("original.safetensors"))
        // The exported class's own initial weights are random: load Mino's, then import.
        try Data("""
            import os, runpy
            _net = runpy.run_path(os.path.join(os.path.dirname(__file__), "net.py"))
            Net, load_weights = _net["Net"], _net["load_weights"]
            class Trained(Net):
                def __init__(self):
                    super().__init__()
                    load_weights(self, os.path.join(os.path.dirname(__file__), "original.safetensors"))
            """.utf8).write(to: directory.appendingPathComponent("trained.py"))
        let back = try importAndRun("Trained", file: "trained.py", on: "reference")
        XCTAssertEqual(back.namedParameters.map(\.name), original.namedParameters.map(\.name))
        for ((name, a), (_, b)) in zip(original.namedParameters, back.namedParameters) {
            XCTAssertEqual(try a.floats(), try b.floats(), "\(name) changed on the round trip")
        }
        let y0 = try XCTUnwrap(try original.invoke([.tensor(x)], []).tensor).floats()
        let y1 = try XCTUnwrap(try back.invoke([.tensor(x)], []).tensor).floats()
        XCTAssertEqual(y0, y1)
    }

    func message(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    func testBadInputIsAClearError() throws {
        try Data("import torch\nraise RuntimeError('cannot build this')\n".utf8).write(to: directory.appendingPathComponent("broken.py"))
        let broken = message { try TorchImport.write(file: self.path("broken.py"), className: "Net", out: self.path("b.mu")) }
        XCTAssertTrue(broken.contains("Python RuntimeError: cannot build this"), broken)
        XCTAssertTrue(broken.contains("broken.py\", line 2"), "the traceback: \(broken)")

        let missing = message { try TorchImport.write(file: self.path("models.py"), className: "Nope", out: self.path("b.mu")) }
        XCTAssertTrue(missing.contains("defines no class 'Nope'; its torch.nn.Module classes: Block, Branchy, MLP, Odd, ResNet"), missing)

        let untraceable = message { try TorchImport.write(file: self.path("models.py"), className: "Branchy", out: self.path("b.mu")) }
        XCTAssertTrue(untraceable.contains("torch.fx cannot trace models.py:Branchy (Branchy): TraceError"), untraceable)
        XCTAssertTrue(untraceable.contains("Hint:"), untraceable)
        XCTAssertTrue(untraceable.contains("if x.sum() > 0"), "fx's failing line: \(untraceable)")

        let odd = message { try TorchImport.write(file: self.path("models.py"), className: "Odd", out: self.path("b.mu")) }
        XCTAssertTrue(odd.contains("3 nodes cannot be written in Mino"), odd)
        XCTAssertTrue(odd.contains("flatten with end_dim=1 has no Mino op"), odd)
        XCTAssertTrue(odd.contains("node cumsum (call_function cumsum): torch.cumsum has no Mino op"), odd)
        XCTAssertTrue(odd.contains("node sort (call_method sort): the tensor method sort has no Mino op"), odd)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("b.mu")), "nothing is written on error")

        // GenPyTorch's LeNet: its num_flat_features loops over x.size(), which fx cannot trace.
        try Data(String(contentsOf: LangTestSupport.examplesDirectory.appendingPathComponent("lenet.py"), encoding: .utf8).utf8)
            .write(to: directory.appendingPathComponent("lenet.py"))
        let lenet = message { try TorchImport.write(file: self.path("lenet.py"), className: "MyModel", out: self.path("b.mu")) }
        XCTAssertTrue(lenet.contains("torch.fx cannot trace lenet.py:MyModel (MyModel): TraceError: Proxy object cannot be iterated"), lenet)
        XCTAssertTrue(lenet.contains("in num_flat_features"), lenet)

        // Layers the .mu language has no component for yet: every one listed, with its node.
        try Data("""
            import torch, torch.nn as nn, torch.nn.functional as F
            class LeNet(nn.Module):
                def __init__(self):
                    super().__init__()
                    self.conv1 = nn.Sequential(nn.Conv2d(1, 6, 3), nn.GroupNorm(2, 6))
                    self.conv2 = nn.Sequential(nn.Conv2d(6, 16, 3), nn.GroupNorm(4, 16))
                    self.fc1 = nn.Linear(576, 10)
                def forward(self, x):
                    x = F.max_pool2d(F.relu(self.conv1(x)), 2)
                    x = F.max_pool2d(F.relu(self.conv2(x)), 2)
                    return self.fc1(torch.flatten(x, 1))
            """.utf8).write(to: directory.appendingPathComponent("flat.py"))
        let conv = message { try TorchImport.write(file: self.path("flat.py"), className: "LeNet", out: self.path("b.mu")) }
        XCTAssertTrue(conv.contains("2 nodes cannot be written"), conv)
        XCTAssertTrue(conv.contains("flat.py:LeNet.conv1.1 (GroupNorm): not supported yet"), conv)
        XCTAssertTrue(conv.contains("flat.py:LeNet.conv2.1 (GroupNorm): not supported yet"), conv)
        // F.max_pool2d maps through the op registry since the layers landed.
        XCTAssertFalse(conv.contains("max_pool2d"), conv)

        // Weights that do not fit the model: every mismatch at once, nothing loaded.
        _ = try importAndRun("MLP", on: "reference")
        var wrong = try Safetensors(contentsOf: directory.appendingPathComponent("mlp.safetensors"))
        wrong.tensors["fc1.bias"] = try HostArray([Float](repeating: 0, count: 4), shape: [4])
        wrong.tensors["extra"] = try HostArray([Float(1)], shape: [1])
        try wrong.write(to: directory.appendingPathComponent("mlp.safetensors"))
        let (interpreter, _) = try LangTestSupport.interpreter("reference")
        let mismatch = message { _ = try interpreter.evaluate(source: try String(contentsOfFile: self.path("mlp.mu"), encoding: .utf8),
                                                              file: self.path("mlp.mu")) }
        XCTAssertTrue(mismatch.contains("does not fit the model"), mismatch)
        XCTAssertTrue(mismatch.contains("fc1.bias: the file has float32 [4], the model expects float32 [16]"), mismatch)
        XCTAssertTrue(mismatch.contains("unexpected extra"), mismatch)
    }
}
