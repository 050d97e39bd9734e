import XCTest
import MinoCore
import MinoModel
import MinoReference

/// The README's "Swift API in five minutes", as written there (fewer epochs).
final class ReadmeTourTests: XCTestCase {
    func testTheTourRuns() throws {
        let backend = ReferenceBackend()

        let x = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3], on: backend)
        let w = try Tensor.randn([3, 1], generator: RandomGenerator(seed: 0), on: backend)
        w.requiresGrad = true

        let loss = try (x.matmul(w) + 1).sigmoid().sum()
        try loss.backward()
        XCTAssertEqual(try XCTUnwrap(w.grad).shape, [3, 1])

        let generator = RandomGenerator(seed: 0)
        let (train, test) = try Digits.load().split(trainCount: 1347, generator: generator)
        let model = try MLP(sizes: [64, 30, 10], activation: .sigmoid, generator: generator, on: backend)
        let sgd = try SGD(model.parameters, learningRate: 0.2, momentum: 0.9)
        let trainer = ClassifierTrainer(model: model, optimizer: sgd, on: backend)
        _ = try trainer.fit(train: train, test: test, epochs: 3, batchSize: 16, generator: generator)
        XCTAssertGreaterThan(try trainer.accuracy(on: test), 0.8)
    }
}
