import MinoCore
import MinoModel
import MinoReference
import XCTest

/// The layers of real models without PyTorch at hand: names, layouts, default
/// initialisation, train/eval behaviour and errors. (Outputs and gradients against
/// torch.nn are in MinoTorchTests/TorchLayerModelTests.)
final class ConvolutionLayerTests: XCTestCase {
    let reference = ReferenceBackend()

    func input(_ shape: Shape, seed: UInt64) throws -> Tensor {
        try Tensor.randn(shape, dtype: .float64, generator: RandomGenerator(seed: seed), on: reference)
    }

    func testConvolutionLayersHavePyTorchsLayoutsAndInitialisation() throws {
        let conv = try Conv2d(4, 6, kernelSize: [3, 2], groups: 2, dtype: .float64, generator: RandomGenerator(seed: 1),
                              on: reference)
        XCTAssertEqual(conv.namedParameters.map(\.name), ["weight", "bias"])
        XCTAssertEqual(conv.weight.shape, [6, 2, 3, 2])
        // U(±1/√fanIn), fanIn = in/groups · kh · kw = 12.
        let bound = 1 / 12.0.squareRoot()
        XCTAssertTrue(try conv.weight.doubles().allSatisfy { Swift.abs($0) <= bound })
        XCTAssertGreaterThan(try conv.weight.doubles().map(Swift.abs).max() ?? 0, bound * 0.8)
        let transposed = try ConvTranspose2d(4, 6, kernelSize: [3], groups: 2, on: reference)
        XCTAssertEqual(transposed.weight.shape, [4, 3, 3, 3])
        XCTAssertEqual(try Conv1d(3, 5, kernelSize: 4, bias: false, on: reference).namedParameters.map(\.name), ["weight"])
        XCTAssertThrowsError(try Conv2d(3, 4, kernelSize: [3], groups: 2, on: reference))
        let y = try conv(try input([2, 4, 7, 5], seed: 2))
        XCTAssertEqual(y.shape, [2, 6, 5, 4])
    }

    func testBadChannelCountsAndKernelsNameTheOpAndShapes() throws {
        let conv = try Conv2d(3, 4, kernelSize: [5], dtype: .float64, on: reference)
        XCTAssertThrowsError(try conv(try input([1, 2, 8, 8], seed: 3))) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .shape)
            XCTAssertTrue("\(error)".contains("conv2d") && "\(error)".contains("[1 2 8 8]"), "\(error)")
        }
        XCTAssertThrowsError(try conv(try input([1, 3, 3, 3], seed: 3))) { error in
            XCTAssertTrue("\(error)".contains("larger than the padded input"), "\(error)")
        }
        XCTAssertThrowsError(try input([1, 3, 8, 8], seed: 3).maxPool2d(kernelSize: [2], padding: [-1])) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .argument)
            XCTAssertTrue("\(error)".contains("maxPool2d"), "\(error)")
        }
        // Sizes from the user are checked arithmetic: an error, never a trap.
        let x = try input([1, 3, 8, 8], seed: 3)
        let w = try input([4, 3, 3, 3], seed: 4)
        XCTAssertThrowsError(try x.conv2d(w, padding: [Int.max]))
        XCTAssertThrowsError(try x.conv2d(w, dilation: [Int.max / 2]))
        XCTAssertThrowsError(try x.convTranspose2d(try input([3, 2, 3, 3], seed: 5), stride: [Int.max]))
        XCTAssertThrowsError(try x.maxPool2d(kernelSize: [3], padding: [Int.max]))
        XCTAssertThrowsError(try x.adaptiveAvgPool2d([Int.max, 2]))
        let table = try Embedding(5, 2, on: reference)
        XCTAssertThrowsError(try table(Tensor([0, 5] as [Int64], shape: [2], on: reference))) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .argument)
        }
    }

    func testDropoutAndBatchNormFollowTrainAndEvalMode() throws {
        let x = try input([8, 3, 2, 2], seed: 4)
        let bn = try BatchNorm2d(3, dtype: .float64, on: reference)
        let model = Sequential([bn, try Dropout(0.5, generator: RandomGenerator(seed: 5))])
        model.train()
        let trained = try model(x)
        XCTAssertTrue(try trained.doubles().contains(0), "dropout is active in training mode")
        // Running statistics: 0.9·(0, 1) + 0.1·(batch mean, unbiased batch variance).
        let values = try x.doubles()
        for c in 0..<3 {
            var channel: [Double] = []
            for n in 0..<8 { channel += values[(n * 3 + c) * 4..<(n * 3 + c) * 4 + 4] }
            let mean = channel.reduce(0, +) / 32
            let unbiased = channel.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 31
            XCTAssertEqual(try bn.runningMean.doubles()[c], 0.1 * mean, accuracy: 1e-12)
            XCTAssertEqual(try bn.runningVar.doubles()[c], 0.9 + 0.1 * unbiased, accuracy: 1e-12)
        }
        model.eval()
        let evaluated = try model(x)
        // Eval: (x − running mean) / √(running var + ε), no dropout.
        let mean = try bn.runningMean.doubles(), variance = try bn.runningVar.doubles()
        for (i, (a, v)) in zip(try evaluated.doubles(), values).enumerated() {
            let c = (i / 4) % 3
            XCTAssertEqual(a, (v - mean[c]) / (variance[c] + 1e-5).squareRoot(), accuracy: 1e-12)
        }
        XCTAssertThrowsError(try bn(try input([8, 4, 2, 2], seed: 6)))
    }

    func testEmbeddingPaddingRowStartsAtZeroAndGetsNoGradient() throws {
        let table = try Embedding(6, 3, paddingIndex: 2, dtype: .float64, generator: RandomGenerator(seed: 7), on: reference)
        XCTAssertEqual(Array(try table.weight.doubles()[6..<9]), [0, 0, 0])
        let ids = try Tensor([2, 1, 2, 5] as [Int64], shape: [2, 2], on: reference)
        let y = try table(ids)
        XCTAssertEqual(y.shape, [2, 2, 3])
        try y.sum().backward()
        let g = try XCTUnwrap(table.weight.grad).doubles()
        XCTAssertEqual(Array(g[6..<9]), [0, 0, 0])
        XCTAssertEqual(Array(g[3..<6]), [1, 1, 1])
    }

    /// Initial state in, final state out, and the errors for mismatched states.
    func testRecurrentStateInAndOut() throws {
        let r = reference
        let lstm = try LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, dtype: .float64, generator: RandomGenerator(seed: 11),
                            on: r)
        let x = try input([5, 2, 3], seed: 6)
        let whole = try lstm.forward(x)
        // Two halves, the second starting from the first's final state, give the whole.
        let first = try lstm.forward(x.narrow(axis: 0, start: 0, length: 2))
        let second = try lstm.forward(x.narrow(axis: 0, start: 2, length: 3), first.state)
        let last = try whole.output.narrow(axis: 0, start: 2, length: 3).doubles()
        for (a, b) in zip(try second.output.doubles(), last) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        for (a, b) in zip(try second.state.h.doubles(), try whole.state.h.doubles()) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertEqual(whole.state.h.shape, [2, 2, 4])
        XCTAssertEqual(whole.state.c?.shape, [2, 2, 4])
        let wrong = try Tensor.zeros([1, 2, 4], dtype: .float64, on: r)
        XCTAssertThrowsError(try lstm.forward(x, RecurrentState(h: wrong, c: wrong))) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .shape)
            XCTAssertTrue("\(error)".contains("LSTM"), "\(error)")
        }
        XCTAssertThrowsError(try lstm.forward(try input([5, 2, 4], seed: 7)))
    }

}
