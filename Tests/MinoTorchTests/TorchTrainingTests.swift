import MinoCore
import MinoModel
import MinoReference
import MinoTorch
import XCTest

/// Training through the torch backend: the same numbers as the reference.
final class TorchTrainingTests: XCTestCase {
    /// What `mino train` does (digits, MLP 64-30-10 sigmoid, SGD lr 0.2 momentum 0.9,
    /// batches of 16, seed 0), for fewer epochs: the same accuracy within 0.01.
    func train(on backend: any Backend, epochs: Int, dtype: DType) throws -> [EpochReport] {
        let generator = RandomGenerator(seed: 0)
        let all = try Digits.load()
        let (train, test) = try all.split(trainCount: Digits.trainCount, generator: generator)
        let model = try MLP(sizes: [64, 30, 10], activation: .sigmoid, dtype: dtype, generator: generator, on: backend)
        let sgd = try SGD(model.parameters, learningRate: 0.2, momentum: 0.9)
        let trainer = ClassifierTrainer(model: model, optimizer: sgd, dtype: dtype, on: backend)
        return try trainer.fit(train: train, test: test, epochs: epochs, batchSize: 16, generator: generator)
    }

    func testMinoTrainReachesTheReferenceAccuracy() throws {
        let torch = try requireTorchBackend()
        for dtype in [DType.float32, .float64] {
            let expected = try train(on: ReferenceBackend(), epochs: 8, dtype: dtype)
            let actual = try train(on: torch, epochs: 8, dtype: dtype)
            guard let e = expected.last, let a = actual.last else { return XCTFail("no epochs") }
            XCTAssertEqual(a.testAccuracy, e.testAccuracy, accuracy: 0.01, "\(dtype)")
            XCTAssertGreaterThan(a.testAccuracy, 0.9, "\(dtype)")
            XCTAssertEqual(a.trainLoss, e.trainLoss, accuracy: dtype == .float32 ? 1e-3 : 1e-9, "\(dtype)")
        }
    }

    /// The in-place updates (SGD with momentum, Nesterov and weight decay;
    /// Adam; AdamW) run in torch and agree with Mino's op-based updates.
    func testInPlaceOptimizerUpdatesMatchTheDefaultUpdates() throws {
        let torch = try requireTorchBackend()
        let reference = ReferenceBackend()
        let makers: [(String, ([Tensor]) throws -> any Optimizer)] = [
            ("sgd", { try SGD($0, learningRate: 0.1) }),
            ("sgd momentum", { try SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01) }),
            ("sgd nesterov", { try SGD($0, learningRate: 0.1, momentum: 0.8, nesterov: true) }),
            ("adam", { try Adam($0, learningRate: 0.01, weightDecay: 0.01) }),
            ("adamw", { try Adam($0, learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: true) }),
        ]
        for (name, make) in makers {
            var results: [[Double]] = []
            for backend in [torch, reference] as [any Backend] {
                let g = RandomGenerator(seed: 5)
                let model = try MLP(sizes: [6, 5, 3], activation: .relu, dtype: .float64, generator: g, on: backend)
                let optimizer = try make(model.parameters)
                let x = try Tensor.randn([10, 6], dtype: .float64, generator: g, on: backend)
                let y = try Tensor((0..<10).map { _ in Int64(g.nextInt(below: 3)) }, shape: [10], on: backend)
                for _ in 0..<5 {
                    optimizer.zeroGrad()
                    try Loss.crossEntropy(try model(x), y).backward()
                    try optimizer.step()
                }
                results.append(try model.parameters.flatMap { try $0.doubles() })
            }
            let worst = zip(results[0], results[1]).map { Swift.abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThan(worst, 1e-12, name)
        }

        // The backend really updates in place (it does not decline).
        let p = try Tensor([1, 2] as [Double], shape: [2], on: torch)
        let g = try Tensor([0.5, -1] as [Double], shape: [2], on: torch)
        let v = try Tensor.zeros([2], dtype: .float64, on: torch)
        let kernel = OptimizerKernel.sgd(lr: 0.1, momentum: 0.9, weightDecay: 0, nesterov: false)
        XCTAssertTrue(try torch.optimizerUpdate(kernel, parameter: p.operand, gradient: g.operand, state: [v.operand]))
        XCTAssertEqual(try p.doubles(), [1 - 0.1 * 0.5, 2 + 0.1])
        XCTAssertEqual(try v.doubles(), [0.5, -1])
        // A broadcast view is never written in place: declined, Mino's default runs instead.
        let view = try Tensor([1] as [Double], shape: [1], on: torch).expand([2])
        XCTAssertFalse(try torch.optimizerUpdate(kernel, parameter: view.operand, gradient: g.operand, state: [v.operand]))
    }
}
