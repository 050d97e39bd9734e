import XCTest
import MinoCore
import MinoModel

/// The main job end to end: the digits MLP as `mino train` runs it.
final class TrainingTests: XCTestCase {
    func testDigitsMLPReachesTheSeedsAccuracy() throws {
        let generator = RandomGenerator(seed: 0)
        let (train, test) = try Digits.load().split(trainCount: Digits.trainCount, generator: generator)
        let model = try MLP(sizes: [64, 30, 10], activation: .sigmoid, generator: generator, on: backend)
        let sgd = try SGD(model.parameters, learningRate: 0.2, momentum: 0.9)
        let trainer = ClassifierTrainer(model: model, optimizer: sgd, on: backend)
        let reports = try trainer.fit(train: train, test: test, epochs: 40, batchSize: 16, generator: generator)
        XCTAssertEqual(reports.count, 40)
        XCTAssertLessThan(reports[39].trainLoss, reports[0].trainLoss / 10)
        // The pure-numpy framework of the seeds reaches 0.960–0.984 on this task.
        XCTAssertGreaterThanOrEqual(reports[39].testAccuracy, 0.96)
    }

    func testADivergingRunIsAnError() throws {
        let generator = RandomGenerator(seed: 0)
        let data = try Digits.load().subset(Array(0..<64))
        let model = try MLP(sizes: [64, 8, 10], activation: .relu, generator: generator, on: backend)
        let trainer = ClassifierTrainer(model: model, optimizer: try SGD(model.parameters, learningRate: .greatestFiniteMagnitude),
                                        on: backend)
        XCTAssertThrowsError(try trainer.fit(train: data, test: data, epochs: 5, batchSize: 8, generator: generator)) {
            XCTAssertTrue("\($0)".contains("lower the learning rate"), "\($0)")
        }
    }
}
