import Foundation
import XCTest
import Mino
import MinoLang
import MinoPython

/// `(torch-module "lenet.py" "MyModel")` as a component of a mu model, trained
/// from `.mu`, checked against the same model in plain PyTorch.
final class TorchModuleLangTests: XCTestCase {
    /// The model and data of Examples/torch-lenet.mu, and one step's loss and backward.
    static let setup = """
        (require [mino.mu [*]])
        (import torch [torch.nn.functional :as F] [torch.nn :as nn] [torch.optim [Adam]])
        (setv model (bind (mu [x net head] (head (torch.relu (net x))))
                          :net (torch-module "lenet.py" "MyModel")
                          :head (nn.Linear 10 10)))
        (setv x (torch.randn 8 1 32 32)
              y (torch.tensor [3 1 4 1 5 9 2 6])
              optimizer (Adam (.parameters model) :lr 0.001))
        (defn step []
          (setv loss (F.cross_entropy (model x) y))
          (.zero_grad optimizer)
          (.backward loss)
          (.step optimizer)
          (.item loss))
        """

    func requireTorch() throws -> PythonInterpreter {
        guard LangTestSupport.torchAvailable, let python = PythonInterpreter.current else {
            throw XCTSkip("torch-module needs Python with torch, not available here")
        }
        return python
    }

    /// A Mino tensor as a torch tensor in `g` under `name` (test data: through a list).
    func send(_ t: Tensor, as name: String, _ python: PythonInterpreter, _ g: PythonObject) throws {
        try g.setItem("_values", PythonList(try t.doubles().map { $0 }))
        try g.setItem("_shape", PythonList(t.shape.dims.map { $0 }))
        try python.run("\(name) = torch.tensor(_values, dtype=torch.float32).reshape(_shape)", globals: g)
    }

    func testLeNetInsideAMuModelTrainsAndItsFirstGradientsEqualPyTorchs() throws {
        let file = LangTestSupport.examplesDirectory.appendingPathComponent("torch-lenet-test.mu").path
        let python = try requireTorch()
        for backend in LangTestSupport.allBackends {
            let (interpreter, _) = try LangTestSupport.interpreter(backend)
            try interpreter.evaluate(source: TorchModuleLangTests.setup, file: file)
            guard case .object(let model as ModuleValue)? = interpreter.globals.value("model"),
                  let x = interpreter.globals.value("x")?.tensor, let y = interpreter.globals.value("y")?.tensor else {
                return XCTFail("no model")
            }
            let names = model.namedParameters.map(\.name)
            XCTAssertEqual(names.first, "net.conv1.weight")
            XCTAssertEqual(names.last, "head.bias")
            XCTAssertEqual(names.count, 12)

            // The oracle: the same weights in plain PyTorch (LeNet from the file, head an nn.Linear).
            let g = try python.run("""
                import runpy, torch, torch.nn as nn, torch.nn.functional as F
                lenet = runpy.run_path(\(Value.string(LangTestSupport.examplesDirectory.appendingPathComponent("lenet.py").path).pyRepr))
                net = lenet["MyModel"]()
                head = nn.Linear(10, 10)
                """)
            for (name, p) in model.namedParameters { try send(p, as: "p_" + name.replacingOccurrences(of: ".", with: "_"), python, g) }
            try send(x, as: "x", python, g)
            try g.setItem("y", PythonList(try y.int64s().map { Int($0) }))
            try python.run("""
                with torch.no_grad():
                    for n, p in net.named_parameters(): p.copy_(globals()["p_net_" + n.replace(".", "_")])
                    head.weight.copy_(p_head_weight); head.bias.copy_(p_head_bias)
                loss = F.cross_entropy(head(torch.relu(net(x))), torch.tensor(y))
                loss.backward()
                grads = {"net." + n: p.grad for n, p in net.named_parameters()}
                grads["head.weight"] = head.weight.grad; grads["head.bias"] = head.bias.grad
                """, globals: g)

            let before = try model.namedParameters.map { try $0.tensor.doubles() }
            guard let step = interpreter.globals.value("step") else { return XCTFail("no step") }
            var losses: [Double] = []
            losses.append(try XCTUnwrap(try interpreter.evaluate(source: "(step)").number))
            XCTAssertEqual(losses[0], try g.item("loss").callMethod("item").toDouble(), accuracy: 1e-5, backend)
            for (name, p) in model.namedParameters {
                let expected = try g.item("grads").item(name).callMethod("flatten").callMethod("tolist").toArray(of: Double.self)
                let actual = try XCTUnwrap(p.grad, "\(name) has no gradient").doubles()
                let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 1
                XCTAssertLessThan(worst, 1e-5, "\(backend) \(name): gradient differs from PyTorch's by \(worst)")
            }
            for _ in 0..<4 { losses.append(try XCTUnwrap(try interpreter.evaluate(source: "(step)").number)) }
            _ = step
            XCTAssertLessThan(losses.last!, losses.first!, "\(backend): the loss must fall: \(losses)")
            let after = try model.namedParameters.map { try $0.tensor.doubles() }
            for (i, name) in names.enumerated() { XCTAssertNotEqual(before[i], after[i], "\(backend) \(name) did not change") }
        }
    }

    func testTorchModuleErrorsInMu() throws {
        _ = try requireTorch()
        let file = LangTestSupport.examplesDirectory.appendingPathComponent("errors.mu").path
        let (interpreter, _) = try LangTestSupport.interpreter("reference")
        func message(_ source: String) -> String {
            do { _ = try interpreter.evaluate(source: source, file: file); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message("(torch-module \"lenet.py\" \"LeNet\")").contains("defines no class 'LeNet'; its torch.nn.Module classes: MyModel"))
        let missing = message("(torch-module \"missing.py\" \"Net\")")
        XCTAssertTrue(missing.contains("torch module: cannot read /") && missing.contains("/missing.py"), missing)
        XCTAssertTrue(message("(torch-module \"lenet.py\")").contains("takes a .py file name and a class name"))
        XCTAssertTrue(message("(import torch) ((torch-module \"lenet.py\" \"MyModel\") (torch.zeros 1 3 32 32))").contains("RuntimeError"))
        // Printing, source and the parameters' names.
        let printed = try interpreter.evaluate(source: "(str (torch-module \"lenet.py\" \"MyModel\"))", file: file).str
        XCTAssertTrue(printed.contains("(fc3): Linear(in_features=84, out_features=10, bias=True)"), printed)
        XCTAssertEqual(try interpreter.evaluate(source: "(hy-repr (torch-module \"lenet.py\" \"MyModel\"))", file: file).str,
                       "(torch-module \"\(LangTestSupport.examplesDirectory.appendingPathComponent("lenet.py").path)\" \"MyModel\")")
    }

    /// mino.save writes the module's parameters (under net.fc1.weight…) and its
    /// (torch-module …) source; mino.load rebuilds it and gives the same outputs.
    func testAModelWithATorchModuleSavesAndLoads() throws {
        _ = try requireTorch()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mino-torch-save-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = LangTestSupport.examplesDirectory.appendingPathComponent("saving.mu").path
        let (interpreter, _) = try LangTestSupport.interpreter("reference")
        let value = try interpreter.evaluate(source: """
            (require [mino.mu [*]])
            (import torch [torch.nn :as nn] mino)
            (setv model (bind (mu [x net head] (head (torch.relu (net x))))
                              :net (torch-module "lenet.py" "MyModel") :head (nn.Linear 10 3)))
            (mino.save model "\(dir.path)")
            (setv back (mino.load "\(dir.path)"))
            (setv x (torch.randn 2 1 32 32))
            (.item (torch.amax (torch.abs (- (model x) (back x)))))
            """, file: file)
        XCTAssertEqual(value.number, 0)
        let weights = try Safetensors(contentsOf: dir.appendingPathComponent("model.safetensors"))
        XCTAssertTrue(weights.orderedNames.contains("net.conv1.weight"), "\(weights.orderedNames)")
        XCTAssertEqual(weights.orderedNames.count, 12)
    }
}
