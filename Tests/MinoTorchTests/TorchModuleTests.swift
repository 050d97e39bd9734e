import Foundation
import Mino
import MinoCore
import MinoModel
import MinoPython
import MinoReference
import MinoTorch
import XCTest

/// PyTorch modules as Mino components: forward in torch, gradients through
/// torch.autograd joined to Mino's tape, checked against plain PyTorch run in
/// the same interpreter.
final class TorchModuleTests: XCTestCase {
    static let lenetPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Examples/lenet.py").standardized.path

    /// Python globals with torch, for the oracle computations.
    func python() throws -> (PythonInterpreter, PythonObject) {
        _ = try requireTorchBackend()
        guard let python = PythonInterpreter.current else { throw XCTSkip("no Python running") }
        let g = try python.run("import copy, torch\ntorch.manual_seed(0)")
        return (python, g)
    }

    func floats(_ t: PythonObject) throws -> [Double] {
        try t.callMethod("detach").callMethod("double").callMethod("flatten").callMethod("tolist").toArray(of: Double.self)
    }

    func assertClose(_ a: [Double], _ b: [Double], _ tolerance: Double, _ what: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        let worst = zip(a, b).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): worst relative difference \(worst)", file: file, line: line)
    }

    /// GenPyTorch's test: nn.Linear(3, 2); y = Wx + b and ∂/∂x = Wᵀ·ȳ.
    func testALinearModuleGivesWxPlusBAndItsTransposeBack() throws {
        _ = try python()
        for backend: any Backend in [ReferenceBackend(), try requireTorchBackend()] {
            let net = try TorchModule(python: "import torch\nclass Net(torch.nn.Module):\n"
                                      + "    def __init__(self, n, m):\n        super().__init__()\n"
                                      + "        self.fc = torch.nn.Linear(n, m)\n"
                                      + "    def forward(self, x):\n        return self.fc(x)\n",
                                      className: "Net", arguments: [3, 2], on: backend)
            XCTAssertEqual(net.namedParameters.map(\.name), ["fc.weight", "fc.bias"])
            XCTAssertTrue(net.parameters.allSatisfy(\.requiresGrad))
            let w = try net.parameters[0].doubles(), b = try net.parameters[1].doubles()
            let x = try Tensor([1, 2, 3] as [Float], shape: [1, 3], on: backend, requiresGrad: true)
            let y = try net(x)
            XCTAssertEqual(y.shape, [1, 2])
            var expected: [Double] = b
            for i in 0..<2 { for j in 0..<3 { expected[i] += w[i * 3 + j] * Double(j + 1) } }
            assertClose(try y.doubles(), expected, 1e-6, "\(backend.name) forward")
            let upstream = try Tensor([1, -2] as [Float], shape: [1, 2], on: backend)
            try y.backward(upstream)
            var gx: [Double] = []
            for j in 0..<3 { gx.append(w[j] - 2 * w[3 + j]) }
            assertClose(try x.grad!.doubles(), gx, 1e-6, "\(backend.name) input gradient")
            assertClose(try net.parameters[1].grad!.doubles(), [1, -2], 1e-6, "\(backend.name) bias gradient")
            assertClose(try net.parameters[0].grad!.doubles(), [1, 2, 3, -2, -4, -6], 1e-6, "\(backend.name) weight gradient")
        }
    }

    /// LeNet on 32×32 inputs: every gradient (input and parameters) equals plain
    /// PyTorch's on a copy of the same module, within 1e-5, on every backend.
    func testLeNetGradientsEqualPlainPyTorch() throws {
        let (python, g) = try python()
        for backend: any Backend in [ReferenceBackend(), try requireTorchBackend()] {
            let net = try TorchModule(file: TorchModuleTests.lenetPath, className: "MyModel", on: backend)
            XCTAssertEqual(net.namedParameters.map(\.name), ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                                              "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias",
                                                              "fc3.weight", "fc3.bias"])
            try g.setItem("net", try net.torchModule)
            try python.run("""
                oracle = copy.deepcopy(net)
                x = torch.randn(4, 1, 32, 32)
                c = torch.randn(4, 10)
                xo = x.clone().requires_grad_(True)
                (oracle(xo) * c).sum().backward()
                """, globals: g)
            let x = try TorchModuleTests.tensor(try g.item("x"), on: backend, requiresGrad: true)
            let c = try TorchModuleTests.tensor(try g.item("c"), on: backend, requiresGrad: false)
            let y = try net(x)
            assertClose(try y.doubles(), try floats(try python.evaluate("oracle(x)", globals: g)), 1e-5, "forward")
            try (y * c).sum().backward()
            assertClose(try x.grad!.doubles(), try floats(try python.evaluate("xo.grad", globals: g)), 1e-5,
                        "\(backend.name) input gradient")
            for (name, p) in net.namedParameters {
                let expected = try floats(try python.evaluate("oracle.get_parameter('\(name)').grad", globals: g))
                assertClose(try p.grad!.doubles(), expected, 1e-5, "\(backend.name) \(name)")
            }
        }
    }

    /// A backward pass that keeps Mino's graph keeps torch's too: a second pass through the
    /// module adds the same gradients again. One that does not keep it lets torch free the
    /// module's saved activations as it goes (as `loss.backward()` does); a second pass
    /// through it is then Mino's clear error, never a Python crash.
    func testRetainGraphReachesTorch() throws {
        _ = try python()
        for backend: any Backend in [ReferenceBackend(), try requireTorchBackend()] {
            let net = try TorchModule(file: TorchModuleTests.lenetPath, className: "MyModel", on: backend)
            let x = try Tensor.randn([2, 1, 32, 32], generator: RandomGenerator(seed: 3), on: backend)
            let loss = try net(x).sum()
            try loss.backward(retainGraph: true)
            let once = try net.parameters.map { try $0.grad!.doubles() }
            try loss.backward()
            for (a, b) in zip(try net.parameters.map { try $0.grad!.doubles() }, once) {
                assertClose(a, b.map { 2 * $0 }, 1e-6, "\(backend.name): the retained pass adds the gradient again")
            }
            XCTAssertThrowsError(try loss.backward()) { error in
                XCTAssertEqual((error as? MinoError)?.kind, .autodiff, "\(error)")
            }
        }
    }

    /// Mino's optimizers update the parameters in place; the module sees the new
    /// values (its own memory on the torch backend, after syncToTorch elsewhere).
    func testMinoOptimizersUpdateTheModule() throws {
        let (python, g) = try python()
        for backend: any Backend in [ReferenceBackend(), try requireTorchBackend()] {
            let net = try TorchModule(python: "import torch\nclass Net(torch.nn.Linear):\n    pass\n",
                                      className: "Net", arguments: [2, 1], on: backend)
            let before = try net.parameters[0].doubles()
            let x = try Tensor([1, 1] as [Float], shape: [1, 2], on: backend)
            try net(x).sum().backward()
            try SGD(net.parameters, learningRate: 0.5).step()
            let after = try net.parameters[0].doubles()
            assertClose(after, before.map { $0 - 0.5 }, 1e-6, "\(backend.name) step")
            if backend is TorchBackend {
                // Zero copy: Mino's parameter is the module's own memory, updated in place (no sync).
                try g.setItem("m", net.module)
                assertClose(try floats(try python.evaluate("m.weight", globals: g)), after, 1e-6, "torch backend, in place")
            }
            try g.setItem("m", try net.torchModule)
            assertClose(try floats(try python.evaluate("m.weight", globals: g)), after, 1e-6, "\(backend.name) module")
        }
    }

    /// A TorchModule is a Model-layer Module: Checkpoint saves its parameters under
    /// PyTorch's names and loads them into another instance.
    func testCheckpointsSaveAndLoadTheParameters() throws {
        _ = try python()
        let backend = ReferenceBackend()
        let a = try TorchModule(file: TorchModuleTests.lenetPath, className: "MyModel", seed: 1, on: backend)
        let b = try TorchModule(file: TorchModuleTests.lenetPath, className: "MyModel", seed: 2, on: backend)
        XCTAssertNotEqual(try a.parameters[0].floats(), try b.parameters[0].floats())
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lenet-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint.save(a, to: url)
        XCTAssertNotNil(try Safetensors(contentsOf: url).tensors["fc1.weight"])
        try Checkpoint.load(url, into: b)
        for ((name, p), (_, q)) in zip(a.namedParameters, b.namedParameters) {
            XCTAssertEqual(try p.floats(), try q.floats(), name)
        }
        let x = try Tensor.zeros([1, 1, 32, 32], on: backend)
        XCTAssertEqual(try a(x).floats(), try b(x).floats())
    }

    /// A module with batch norm: its buffers are Mino tensors under PyTorch's names, updated
    /// by training forwards as plain PyTorch updates its own (on every backend), used in eval
    /// mode, and saved and loaded by checkpoints with the parameters.
    func testBatchNormBuffersFollowPlainPyTorch() throws {
        let (python, g) = try python()
        let source = "import torch\nclass Net(torch.nn.Module):\n    def __init__(self):\n        super().__init__()\n"
            + "        self.conv = torch.nn.Conv2d(2, 3, 3)\n        self.bn = torch.nn.BatchNorm2d(3, momentum=0.3)\n"
            + "    def forward(self, x):\n        return self.bn(self.conv(x))\n"
        for backend: any Backend in [ReferenceBackend(), try requireTorchBackend()] {
            let net = try TorchModule(python: source, className: "Net", seed: 4, on: backend)
            XCTAssertEqual(net.namedBuffers.map(\.name), ["bn.running_mean", "bn.running_var", "bn.num_batches_tracked"])
            XCTAssertEqual(net.stateDict.count, 7)
            try g.setItem("net", try net.torchModule)
            try python.run("oracle = copy.deepcopy(net)\nxs = [torch.randn(4, 2, 5, 5) * (i + 1) for i in range(2)]", globals: g)
            for i in 0..<2 {
                try python.run("oracle(xs[\(i)]).sum().backward()", globals: g)
                let x = try TorchModuleTests.tensor(try python.evaluate("xs[\(i)]", globals: g), on: backend, requiresGrad: false)
                try net(x).sum().backward()
            }
            for (name, buffer) in net.namedBuffers {
                let expected = try python.evaluate("oracle.get_buffer('\(name)').double().flatten().tolist()", globals: g)
                assertClose(try buffer.doubles(), try expected.toArray(of: Double.self), 1e-6, "\(backend.name) \(name)")
            }
            try net.setTraining(false)
            try python.run("oracle.eval()", globals: g)
            let x = try TorchModuleTests.tensor(try python.evaluate("xs[0]", globals: g), on: backend, requiresGrad: false)
            assertClose(try net(x).doubles(), try floats(try python.evaluate("oracle(xs[0])", globals: g)), 1e-5,
                        "\(backend.name) eval output, from the running statistics")

            // A checkpoint carries the buffers: a fresh module given it computes the same eval output.
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("bn-\(UUID().uuidString).safetensors")
            defer { try? FileManager.default.removeItem(at: url) }
            try Checkpoint.save(net, to: url)
            XCTAssertEqual(try Safetensors(contentsOf: url).tensors["bn.num_batches_tracked"]?.int64s, [2])
            let fresh = try TorchModule(python: source, className: "Net", seed: 5, on: backend)
            try Checkpoint.load(url, into: fresh)
            try fresh.setTraining(false)
            assertClose(try fresh(x).doubles(), try net(x).doubles(), 1e-6, "\(backend.name) loaded module")
        }
    }

    /// A live torch.nn.Module made in Python; a forward that returns a tuple is a clear error.
    func testALiveModuleAndAForwardThatReturnsNoTensor() throws {
        let (python, g) = try python()
        try python.run("""
            lin = torch.nn.Linear(3, 2)
            class Pair(torch.nn.Module):
                def forward(self, x):
                    return x, x
            pair = Pair()
            """, globals: g)
        let backend = ReferenceBackend()
        let net = try TorchModule(module: try g.item("lin"), on: backend)
        XCTAssertEqual(net.className, "Linear")
        XCTAssertEqual(net.namedParameters.map(\.name), ["weight", "bias"])
        XCTAssertEqual(try net(try Tensor.zeros([4, 3], on: backend)).shape, [4, 2])
        let pair = try TorchModule(module: try g.item("pair"), on: backend)
        let error = assertMinoError(.argument) { try pair(try Tensor.zeros([1], on: backend)) }
        XCTAssertTrue(error?.message.contains("Pair.forward returned tuple; a TorchModule's forward must return one tensor") ?? false,
                      error?.message ?? "")
        assertMinoError(.argument) { try TorchModule(module: try python.evaluate("3"), on: backend) }
    }

    func testTheModulePrintsAsPyTorchDoes() throws {
        let (python, g) = try python()
        let net = try TorchModule(file: TorchModuleTests.lenetPath, className: "MyModel", on: ReferenceBackend())
        try g.setItem("net", try net.torchModule)
        XCTAssertEqual(try net.torchRepr(), try python.evaluate("repr(net)", globals: g).toString())
        XCTAssertTrue(try net.torchRepr().contains("(fc1): Linear(in_features=576, out_features=120, bias=True)"))
    }

    func testBadPythonIsAClearErrorWithItsTraceback() throws {
        _ = try python()
        let reference = ReferenceBackend()
        let failing = assertMinoError(.backend) {
            try TorchModule(python: "import torch\nraise ValueError('no weights here')\n", className: "Net",
                            filename: "broken.py", on: reference)
        }
        XCTAssertTrue(failing?.message.contains("importing broken.py: Python ValueError: no weights here") ?? false,
                      failing?.message ?? "")
        XCTAssertTrue(failing?.message.contains("File \"broken.py\", line 2") ?? false, failing?.message ?? "")

        let syntax = assertMinoError(.backend) {
            try TorchModule(python: "class Net(:\n", className: "Net", filename: "syntax.py", on: reference)
        }
        XCTAssertTrue(syntax?.message.contains("SyntaxError") ?? false, syntax?.message ?? "")

        let missing = assertMinoError(.argument) {
            try TorchModule(file: TorchModuleTests.lenetPath, className: "LeNet", on: reference)
        }
        XCTAssertTrue(missing?.message.contains("defines no class 'LeNet'; its torch.nn.Module classes: MyModel") ?? false,
                      missing?.message ?? "")

        let notModule = assertMinoError(.argument) {
            try TorchModule(python: "Net = 3\n", className: "Net", on: reference)
        }
        XCTAssertTrue(notModule?.message.contains("not a torch.nn.Module subclass") ?? false, notModule?.message ?? "")

        assertMinoError(.argument) { try TorchModule(file: "/nonexistent/model.py", className: "Net", on: reference) }

        let net = try TorchModule(file: TorchModuleTests.lenetPath, className: "MyModel", on: reference)
        let wrong = try Tensor.zeros([2, 3, 32, 32], on: reference)
        let forward = assertMinoError(.backend) { try net(wrong) }
        XCTAssertTrue(forward?.message.contains("RuntimeError") ?? false, forward?.message ?? "")
        XCTAssertTrue(forward?.message.contains("lenet.py") ?? false, "the traceback names the user's file: \(forward?.message ?? "")")
    }

    /// A torch tensor as a Mino tensor on `backend` (through the host: test data only).
    static func tensor(_ t: PythonObject, on backend: any Backend, requiresGrad: Bool) throws -> Tensor {
        let shape = Shape(try t.attribute("shape").toArray().map { try $0.toInt() })
        let values = try t.callMethod("flatten").callMethod("tolist").toArray(of: Double.self).map(Float.init)
        return try Tensor(values, shape: shape, on: backend, requiresGrad: requiresGrad)
    }
}
