import Mino
import MinoCore
import MinoModel
import MinoPython
import MinoReference
@testable import MinoTorch
import XCTest

/// Models of every layer built with the same weights in Mino (on the reference
/// backend) and in real PyTorch (`torch.nn`, run through the embedded
/// interpreter): the same outputs, parameter and input gradients, running
/// statistics and eval-mode outputs, in float64. The PyTorch model's state
/// dict is loaded from Mino's parameter names, so this also checks that the
/// names and layouts line up.
final class TorchLayerModelTests: XCTestCase {
    /// One backend object per test: tensors must share it.
    let reference = ReferenceBackend()

    static let harness = """
    import torch, torch.nn as nn, torch.nn.functional as F
    torch.manual_seed(0)

    def compare(model, params, x, xshape, index, w):
        model = model.double()
        named = dict(model.named_parameters())
        with torch.no_grad():
            for name, values in params.items():
                named[name].copy_(torch.tensor(values, dtype=torch.float64).reshape(named[name].shape))
        model.train()
        xt = torch.tensor(x, dtype=torch.int64 if index else torch.float64).reshape(xshape)
        if not index:
            xt.requires_grad_(True)
        out = model(xt)
        if isinstance(out, tuple):
            out = out[0]
        (out * torch.tensor(w, dtype=torch.float64).reshape(out.shape)).sum().backward()
        grads = {n: p.grad.reshape(-1).tolist() for n, p in model.named_parameters()}
        if not index:
            grads["input"] = xt.grad.reshape(-1).tolist()
        buffers = {n: b.reshape(-1).tolist() for n, b in model.named_buffers() if b.dtype == torch.float64}
        counts = {n: int(b) for n, b in model.named_buffers() if b.dtype == torch.int64}
        keys = list(model.state_dict().keys())
        model.eval()
        with torch.no_grad():
            evaluated = model(xt)
            if isinstance(evaluated, tuple):
                evaluated = evaluated[0]
        return out.reshape(-1).tolist(), grads, buffers, evaluated.reshape(-1).tolist(), keys, counts
    """

    /// Runs `model` (Mino) and `pytorch` (a Python expression building the same `nn.Module`)
    /// on `input`, and compares everything.
    func check(_ name: String, _ model: any Module, _ pytorch: String, input: Tensor,
               buffers: [(String, Tensor)] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let torch = try requireTorchBackend()
        let python = torch.python
        let globals = try python.run(Self.harness)
        let pyModel = try python.evaluate(pytorch, globals: globals)

        // Mino, in training mode, then eval mode.
        model.train()
        let isIndex = input.dtype == .int64
        if !isIndex { input.requiresGrad = true }
        let out = try model(input)
        let weight = try Tensor(doubles: (0..<out.elementCount).map { sin(Double($0) * 0.7) + 0.3 }, shape: out.shape,
                                dtype: .float64, on: input.backend)
        try out.backward(weight)
        model.eval()
        let evaluated = try withoutGradients { try model(input) }
        model.train()

        var params: [String: [Double]] = [:]
        for (n, t) in model.namedParameters { params[n] = try t.doubles() }
        let x: [Double] = isIndex ? try input.int64s().map(Double.init) : try input.doubles()
        let result = try globals.item("compare").call([pyModel, params, x, input.shape.dims, isIndex, try weight.doubles()])
        let parts = try result.toArray()
        let expectedOut = try parts[0].toArray(of: Double.self)
        let tolerance = (absolute: 1e-10, relative: 1e-8)
        func close(_ a: [Double], _ e: [Double], _ what: String) {
            XCTAssertEqual(a.count, e.count, "\(name) \(what): sizes", file: file, line: line)
            for (i, (u, v)) in zip(a, e).enumerated() where Swift.abs(u - v) > tolerance.absolute + tolerance.relative * Swift.abs(v) {
                XCTFail("\(name) \(what): element \(i) is \(u), PyTorch's \(v)", file: file, line: line)
                return
            }
        }
        close(try out.doubles(), expectedOut, "output")
        for (n, t) in model.namedParameters {
            guard let g = t.grad else { XCTFail("\(name): no gradient for \(n)", file: file, line: line); continue }
            close(try g.doubles(), try parts[1].item(n).toArray(of: Double.self), "gradient of \(n)")
        }
        if !isIndex, let g = input.grad {
            close(try g.doubles(), try parts[1].item("input").toArray(of: Double.self), "gradient of the input")
        }
        for (n, t) in buffers {
            close(try t.doubles(), try parts[2].item(n).toArray(of: Double.self), "buffer \(n)")
        }
        close(try evaluated.doubles(), try parts[3].toArray(of: Double.self), "eval-mode output")
        // The state dict has PyTorch's keys (buffers included), and the batch counts agree.
        XCTAssertEqual(Set(model.stateDict.map(\.name)), Set(try parts[4].toArray(of: String.self)),
                       "\(name): state dict keys", file: file, line: line)
        for (n, t) in model.namedBuffers where t.dtype == .int64 {
            XCTAssertEqual(try t.int64s(), [Int64(try parts[5].item(n).toInt())], "\(name) buffer \(n)", file: file, line: line)
        }
    }

    func input(_ shape: Shape, seed: UInt64) throws -> Tensor {
        try Tensor.randn(shape, dtype: .float64, generator: RandomGenerator(seed: seed), on: reference)
    }

    /// GenPyTorch's LeNet (seeds/003) on 32×32 inputs.
    func testLeNetMatchesPyTorch() throws {
        let g = RandomGenerator(seed: 5)
        let model = try LeNet(dtype: .float64, generator: g, on: reference)
        try check("LeNet", model, """
            nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(16 * 6 * 6, 120), nn.ReLU(), nn.Linear(120, 84),
                          nn.ReLU(), nn.Linear(84, 10))
            """, input: try input([2, 1, 32, 32], seed: 1))
    }

    /// Convolutions, batch norm (training then eval), every pooling and the activations.
    func testConvNetWithBatchNormMatchesPyTorchInTrainAndEval() throws {
        let g = RandomGenerator(seed: 6)
        let r = reference
        let bn = try BatchNorm2d(4, dtype: .float64, on: r)
        let model = Sequential([
            try Conv2d(3, 4, kernelSize: [3], padding: [1], dtype: .float64, generator: g, on: r),
            bn,
            LeakyReLU(negativeSlope: 0.1),
            AvgPool2d([2]),
            try ConvTranspose2d(4, 2, kernelSize: [3], stride: [2], padding: [1], outputPadding: [1],
                                dtype: .float64, generator: g, on: r),
            GELU(),
            MaxPool2d([3], stride: [1], padding: [1]),
            try Conv2d(2, 4, kernelSize: [3, 2], stride: [2], dilation: [1, 2], groups: 2, dtype: .float64,
                       generator: g, on: r),
            ELU(),
            AdaptiveAvgPool2d([2, 2]),
            Flatten(),
            try Linear(16, 3, dtype: .float64, generator: g, on: r),
            SiLU(),
            Softplus(beta: 2),
        ])
        try check("conv net", model, """
            nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.LeakyReLU(0.1), nn.AvgPool2d(2),
                          nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1), nn.GELU(),
                          nn.MaxPool2d(3, stride=1, padding=1),
                          nn.Conv2d(2, 4, (3, 2), stride=2, dilation=(1, 2), groups=2), nn.ELU(),
                          nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten(), nn.Linear(16, 3), nn.SiLU(), nn.Softplus(beta=2))
            """, input: try input([4, 3, 6, 6], seed: 2),
            buffers: [("1.running_mean", bn.runningMean), ("1.running_var", bn.runningVar)])
    }

    func testTwoLayerLSTMMatchesPyTorch() throws {
        let model = try LSTM(inputSize: 5, hiddenSize: 7, numLayers: 2, batchFirst: true, dtype: .float64,
                             generator: RandomGenerator(seed: 7), on: reference)
        XCTAssertEqual(model.namedParameters.map(\.name),
                       ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                        "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"])
        try check("LSTM", model, "nn.LSTM(5, 7, num_layers=2, batch_first=True)", input: try input([3, 4, 5], seed: 3))
    }

    /// The same on blas, where each layer is one fused kernel (`lstm`, `gru`) and so is its backward pass.
    func testTwoLayerLSTMAndGRUOnBLASMatchPyTorch() throws {
        let blas = BLASBackend()
        let model = try LSTM(inputSize: 5, hiddenSize: 7, numLayers: 2, dtype: .float64,
                             generator: RandomGenerator(seed: 7), on: blas)
        let x = try Tensor.randn([6, 3, 5], dtype: .float64, generator: RandomGenerator(seed: 3), on: blas)
        try check("LSTM on blas", model, "nn.LSTM(5, 7, num_layers=2)", input: x)
        let gru = try GRU(inputSize: 5, hiddenSize: 6, numLayers: 2, dtype: .float64, generator: RandomGenerator(seed: 8),
                          on: blas)
        let x2 = try Tensor.randn([6, 3, 5], dtype: .float64, generator: RandomGenerator(seed: 4), on: blas)
        try check("GRU on blas", gru, "nn.GRU(5, 6, num_layers=2)", input: x2)
    }

    /// On the torch backend the layers run as torch.lstm / torch.gru (plus the gates the backward
    /// pass reads), with gradients from Mino's tape: the same numbers as nn.LSTM / nn.GRU.
    func testLSTMAndGRUOnTheTorchBackendMatchPyTorch() throws {
        let torch = try requireTorchBackend()
        let lstm = try LSTM(inputSize: 5, hiddenSize: 7, numLayers: 2, dtype: .float64,
                            generator: RandomGenerator(seed: 7), on: torch)
        try check("LSTM on torch", lstm, "nn.LSTM(5, 7, num_layers=2)",
                  input: try Tensor.randn([6, 3, 5], dtype: .float64, generator: RandomGenerator(seed: 3), on: torch))
        let gru = try GRU(inputSize: 5, hiddenSize: 6, numLayers: 2, dtype: .float64, generator: RandomGenerator(seed: 8),
                          on: torch)
        try check("GRU on torch", gru, "nn.GRU(5, 6, num_layers=2)",
                  input: try Tensor.randn([6, 3, 5], dtype: .float64, generator: RandomGenerator(seed: 4), on: torch))
    }

    func testGRUAndRNNMatchPyTorch() throws {
        let gru = try GRU(inputSize: 5, hiddenSize: 6, dtype: .float64, generator: RandomGenerator(seed: 8),
                          on: reference)
        try check("GRU", gru, "nn.GRU(5, 6)", input: try input([4, 2, 5], seed: 4))
        let rnn = try RNN(inputSize: 5, hiddenSize: 3, numLayers: 2, nonlinearity: "relu", dtype: .float64,
                          generator: RandomGenerator(seed: 9), on: reference)
        try check("RNN", rnn, "nn.RNN(5, 3, num_layers=2, nonlinearity='relu')", input: try input([4, 2, 5], seed: 5))
    }

    func testEmbeddingAndLayerNormMatchPyTorch() throws {
        let r = reference
        let model = Sequential([
            try Embedding(10, 6, paddingIndex: 0, dtype: .float64, generator: RandomGenerator(seed: 10), on: r),
            try LayerNorm([6], dtype: .float64, on: r),
        ])
        let ids = try Tensor([0, 3, 9, 0, 4, 3] as [Int64], shape: [2, 3], on: r)
        try check("embedding", model, "nn.Sequential(nn.Embedding(10, 6, padding_idx=0), nn.LayerNorm([6]))", input: ids)
    }
}
