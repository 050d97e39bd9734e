import Foundation
import XCTest
import Mino

/// The README's "Swift API in five minutes", as written there (fewer epochs,
/// the checkpoint in a temporary directory).
final class ReadmeTourTests: XCTestCase {
    func testTheTourRuns() throws {
        // reference, blas or torch; or selectBackend(_:), MINO_BACKEND, mino --backend
        let cpu = try Mino.backend(named: "blas")

        let x = try Tensor([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3], on: cpu)
        let w = try Tensor.randn([3, 1], generator: RandomGenerator(seed: 0), on: cpu)
        w.requiresGrad = true

        let loss = try (x.matmul(w) + 1).sigmoid().sum()
        try loss.backward()
        XCTAssertEqual(try w.grad?.floats().count, 3)

        let generator = RandomGenerator(seed: 0)
        let (train, test) = try Digits.load().split(trainCount: 1347, generator: generator)
        let model = try MLP(sizes: [64, 30, 10], activation: .sigmoid, generator: generator, on: cpu)
        let sgd = try SGD(model.parameters, learningRate: 0.2, momentum: 0.9)
        let trainer = ClassifierTrainer(model: model, optimizer: sgd, on: cpu)
        _ = try trainer.fit(train: train, test: test, epochs: 3, batchSize: 16, generator: generator)
        XCTAssertGreaterThan(try trainer.accuracy(on: test), 0.8)

        let url = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint.save(model, to: url)
        XCTAssertTrue(FileManager.default.fileExists(atPath: url.path))
    }

    func testEveryBuiltinBackendIsRegistered() {
        XCTAssertEqual(Set(availableBackends), ["reference", "blas", "torch"])
    }
}
