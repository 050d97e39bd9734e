import Foundation
import XCTest
import Mino
import MinoLang

/// The convolution, pooling, normalisation and embedding layers as `.mu` components:
/// printed as PyTorch prints them, reverted to source that rebuilds them, saved and
/// loaded with their weights, switched between training and evaluation.
final class ModelLayerTests: XCTestCase {
    static let lenet = """
        (require [mino.mu [*]] [mino.thread [*]])
        (import torch [torch.nn :as nn] mino)
        (torch.manual_seed 0)
        (defmu LeNet [x features classifier] (-> x features classifier))
        (setv model (LeNet :features (nn.Sequential (nn.Conv2d 1 6 5) (nn.ReLU) (nn.MaxPool2d 2) (nn.Conv2d 6 16 5)
                                                    (nn.ReLU) (nn.MaxPool2d 2) (nn.Flatten))
                           :classifier (nn.Sequential (nn.Linear 400 120) (nn.ReLU) (nn.Linear 120 10))))
        (setv x (torch.randn 2 1 32 32))
        """

    /// PyTorch 2.13's own `repr` of each layer.
    func testLayersPrintAsPyTorchPrintsThem() throws {
        let cases: [(String, String)] = [
            ("(nn.Conv2d 1 6 5)", "Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))"),
            ("(nn.Conv2d 3 8 (, 3 1) :stride 2 :padding 1 :dilation 2 :groups 1 :bias False)",
             "Conv2d(3, 8, kernel_size=(3, 1), stride=(2, 2), padding=(1, 1), dilation=(2, 2), bias=False)"),
            ("(nn.Conv1d 2 4 3 :padding 1)", "Conv1d(2, 4, kernel_size=(3,), stride=(1,), padding=(1,))"),
            ("(nn.MaxPool2d 2)", "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"),
            ("(nn.AvgPool2d 3 :stride 1 :padding 1)", "AvgPool2d(kernel_size=3, stride=1, padding=1)"),
            ("(nn.AdaptiveAvgPool2d (, 1 1))", "AdaptiveAvgPool2d(output_size=(1, 1))"),
            ("(nn.Flatten)", "Flatten(start_dim=1, end_dim=-1)"),
            ("(nn.BatchNorm2d 6)", "BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"),
            ("(nn.LayerNorm 8)", "LayerNorm((8,), eps=1e-05, elementwise_affine=True)"),
            ("(nn.Embedding 10 3 :padding_idx 0)", "Embedding(10, 3, padding_idx=0)"),
            ("(nn.GELU)", "GELU(approximate='none')"),
            ("(nn.LeakyReLU 0.2)", "LeakyReLU(negative_slope=0.2)"),
        ]
        let (interpreter, _) = try LangTestSupport.interpreter()
        try interpreter.evaluate(source: "(import torch [torch.nn :as nn])")
        for (expression, expected) in cases {
            let layer = try interpreter.evaluate(source: expression)
            XCTAssertEqual(layer.str, expected, expression)
            // The reverted source rebuilds a layer that prints and reverts the same.
            let source = try Reversion.source(of: layer)
            let rebuilt = try interpreter.evaluate(source: source)
            XCTAssertEqual(rebuilt.str, expected, source)
            XCTAssertEqual(try Reversion.source(of: rebuilt), source)
        }
    }

    /// A mu LeNet runs on every backend with the same outputs, and saves and loads with its weights.
    func testLeNetMuModelRunsSavesAndLoadsOnEveryBackend() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mino-lenet-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (source, _) = try LangTestSupport.interpreter("blas")
        try source.evaluate(source: Self.lenet + "(mino.save model \"\(directory.path)\")")
        let expected = try XCTUnwrap(source.evaluate(source: "(model x)").tensor).floats()
        XCTAssertEqual(expected.count, 20)
        XCTAssertEqual(try source.evaluate(source: "(len (.parameters model))").repr, "8")
        let input = try XCTUnwrap(source.globals.value("x")?.tensor).floats()
        for name in LangTestSupport.allBackends {
            let (target, _) = try LangTestSupport.interpreter(name, seed: 5)
            try target.evaluate(source: "(import torch mino) (setv loaded (mino.load \"\(directory.path)\"))")
            target.globals.define("x", .tensor(try Tensor(input, shape: [2, 1, 32, 32], on: target.backend)))
            let output = try XCTUnwrap(target.evaluate(source: "(loaded x)").tensor).floats()
            for (a, b) in zip(output, expected) { XCTAssertEqual(a, b, accuracy: name == "blas" ? 0 : 1e-5, name) }
        }
    }

    /// `.eval` switches batch norm to its running statistics; `.train` back.
    func testBatchNormFollowsTrainAndEval() throws {
        let (interpreter, _) = try LangTestSupport.interpreter()
        try interpreter.evaluate(source: """
            (require [mino.mu [*]])
            (import torch [torch.nn :as nn])
            (setv m (bind (mu [x norm] (norm x)) :norm (nn.BatchNorm1d 2)))
            (setv x (torch.tensor [[1.0 10.0] [3.0 30.0]]))
            """)
        // Training: batch statistics, so each column becomes about [-1, 1].
        let trained = try XCTUnwrap(interpreter.evaluate(source: "(m x)").tensor).floats()
        for (v, e) in zip(trained, [Float(-1), -1, 1, 1]) { XCTAssertEqual(v, e, accuracy: 1e-3) }
        // Eval: the running statistics (moved 10% of the way from 0 and 1) are used instead.
        try interpreter.evaluate(source: "(.eval m)")
        XCTAssertEqual(try interpreter.evaluate(source: "(. m training)").repr, "False")
        let evaluated = try XCTUnwrap(interpreter.evaluate(source: "(m x)").tensor).floats()
        // running mean [0.2 2.0], running var [0.9+0.1·2 1.0+0.1·200]·: x=1 → (1-0.2)/√1.1
        XCTAssertEqual(evaluated[0], Float((1 - 0.2) / (1.1 + 1e-5).squareRoot()), accuracy: 1e-4)
        try interpreter.evaluate(source: "(.train m)")
        XCTAssertEqual(try interpreter.evaluate(source: "(. m training)").repr, "True")
    }

    /// Batch norm's buffers are in `state_dict` and in `mino.save`'s weights (not among
    /// the parameters): a model trained a few batches, saved and loaded elsewhere,
    /// gives the same evaluation outputs, which depend on the running statistics.
    func testBatchNormBuffersAreSavedAndLoaded() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mino-bn-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let (interpreter, _) = try LangTestSupport.interpreter("reference", seed: 3)
        try interpreter.evaluate(source: """
            (require [mino.mu [*]])
            (import torch [torch.nn :as nn] mino)
            (setv m (bind (mu [x conv norm] (norm (conv x))) :conv (nn.Conv2d 2 3 3) :norm (nn.BatchNorm2d 3)))
            (setv x (torch.randn 4 2 5 5))
            (for [i (range 3)] (m (* x (+ i 1))))
            """)
        XCTAssertEqual(try interpreter.evaluate(source: "(lfor [k v] (.items (.state_dict m)) k)").repr,
                       #"["conv.weight" "conv.bias" "norm.weight" "norm.bias" "norm.running_mean" "norm.running_var" "#
                       + #""norm.num_batches_tracked"]"#)
        XCTAssertEqual(try interpreter.evaluate(source: "(len (list (.parameters m)))").repr, "4")
        XCTAssertEqual(try interpreter.evaluate(source: "(.item (get (.state_dict m) \"norm.num_batches_tracked\"))").repr, "3")
        try interpreter.evaluate(source: "(.eval m) (mino.save m \"\(directory.path)\")")
        let expected = try XCTUnwrap(interpreter.evaluate(source: "(m x)").tensor).floats()
        let input = try XCTUnwrap(interpreter.globals.value("x")?.tensor).floats()

        let (target, _) = try LangTestSupport.interpreter("blas", seed: 9)
        try target.evaluate(source: "(import torch mino) (setv loaded (.eval (mino.load \"\(directory.path)\")))")
        target.globals.define("x", .tensor(try Tensor(input, shape: [4, 2, 5, 5], on: target.backend)))
        let output = try XCTUnwrap(target.evaluate(source: "(loaded x)").tensor).floats()
        XCTAssertEqual(output.count, expected.count)
        for (a, b) in zip(output, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// `nn.LSTM`, `nn.GRU`, `nn.RNN` return PyTorch's tuples and take an initial state:
    /// two halves of a sequence, the second from the first's final state, give the whole.
    func testRecurrentLayersReturnTuplesAndTakeAState() throws {
        let (interpreter, _) = try LangTestSupport.interpreter("reference", seed: 4)
        try interpreter.evaluate(source: """
            (import torch [torch.nn :as nn])
            (setv lstm (nn.LSTM 3 4 :num_layers 2) gru (nn.GRU 3 4 :batch_first True) x (torch.randn 5 2 3))
            (setv whole (lstm x) first (lstm (get x (slice 0 2))) second (lstm (get x (slice 2 None)) (get first 1)))
            (setv g (gru (.transpose x 0 1)))
            """)
        XCTAssertEqual(try interpreter.evaluate(source: "(str lstm)").str, "LSTM(3, 4, num_layers=2)")
        XCTAssertEqual(try interpreter.evaluate(source: "(str gru)").str, "GRU(3, 4, batch_first=True)")
        XCTAssertEqual(try interpreter.evaluate(source: "(str (nn.RNN 3 4 :nonlinearity \"relu\" :bias False))").str,
                       "RNN(3, 4, bias=False)")
        XCTAssertEqual(try interpreter.evaluate(source: "(. (get (get whole 1) 1) shape)").str,
                       try interpreter.evaluate(source: "(. (get (get whole 1) 0) shape)").str)
        let expected = try XCTUnwrap(interpreter.evaluate(source: "(get (get whole 0) (slice 2 None))").tensor).floats()
        let continued = try XCTUnwrap(interpreter.evaluate(source: "(get second 0)").tensor).floats()
        for (a, b) in zip(continued, expected) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(try interpreter.evaluate(source: "(len g)").repr, "2", "a GRU gives (, output h)")
        XCTAssertEqual(try XCTUnwrap(interpreter.evaluate(source: "(get g 1)").tensor).shape, [1, 2, 4])
        XCTAssertEqual(try interpreter.evaluate(source: "(len (list (.parameters lstm)))").repr, "8", "4 per layer")
        let bad = LangTestSupport.eval("""
            (import torch [torch.nn :as nn])
            ((nn.LSTM 3 4) (torch.randn 5 2 3) (torch.zeros 1 2 4))
            """)
        XCTAssertTrue(bad.contains("hx must be a pair (, h0 c0) of tensors"), bad)
        let twoWay = LangTestSupport.eval("(import torch [torch.nn :as nn]) (nn.LSTM 3 4 :bidirectional True)")
        XCTAssertTrue(twoWay.contains("bidirectional=True is not supported"), twoWay)
    }
}
