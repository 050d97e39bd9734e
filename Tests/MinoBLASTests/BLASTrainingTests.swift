import XCTest
import Mino
import MinoConformance

/// Whole-model checks on the blas backend: finite-difference gradients of
/// every op (float64), and training the digits MLP to the reference backend's
/// accuracy from the same seed.
final class BLASTrainingTests: XCTestCase {
    func testEveryDifferentiableOpMatchesFiniteDifferences() throws {
        let blas = BLASBackend()
        var failures: [String] = []
        var checked = 0
        for op in OpRegistry.shared.all where op.isDifferentiable {
            for sample in SampleInputs.samples(for: op, dtype: .float64) {
                do {
                    for result in try GradientCheck.check(sample, on: blas) {
                        checked += 1
                        if !result.passed { failures.append(result.description) }
                    }
                } catch {
                    failures.append("\(sample): threw \(error)")
                }
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertGreaterThan(checked, 100)
    }

    /// `mino train`'s recipe, shortened: the same seed gives the same accuracy on both backends.
    func testDigitsTrainingMatchesTheReference() throws {
        var accuracies: [String: Double] = [:]
        var losses: [String: [Double]] = [:]
        for name in ["reference", "blas"] {
            let backend = try backend(named: name)
            let generator = RandomGenerator(seed: 0)
            let (train, test) = try Digits.load().split(trainCount: Digits.trainCount, generator: generator)
            let model = try MLP(sizes: [64, 30, 10], activation: .sigmoid, generator: generator, on: backend)
            let opt = try SGD(model.parameters, learningRate: 0.2, momentum: 0.9)
            let trainer = ClassifierTrainer(model: model, optimizer: opt, on: backend)
            let reports = try trainer.fit(train: train, test: test, epochs: 5, batchSize: 16, generator: generator)
            accuracies[name] = try trainer.accuracy(on: test)
            losses[name] = reports.map(\.trainLoss)
        }
        let (r, b) = (try XCTUnwrap(accuracies["reference"]), try XCTUnwrap(accuracies["blas"]))
        XCTAssertGreaterThan(r, 0.9)
        XCTAssertEqual(b, r, accuracy: 0.01)
        for (lr, lb) in zip(try XCTUnwrap(losses["reference"]), try XCTUnwrap(losses["blas"])) {
            XCTAssertEqual(lb, lr, accuracy: 1e-3)
        }
    }
}
