import Foundation
import MinoCore

/// What one epoch of training gave.
public struct EpochReport: Sendable {
    public let epoch: Int
    /// Mean cross-entropy over the epoch's batches.
    public let trainLoss: Double
    public let trainAccuracy: Double
    public let testAccuracy: Double
    public let seconds: Double
}

/// Trains a classifier with softmax cross-entropy and mini-batches.
public final class ClassifierTrainer {
    public let model: any Module
    public let optimizer: any Optimizer
    public let dtype: DType
    public let backend: any Backend

    public init(model: any Module, optimizer: any Optimizer, dtype: DType = .float32, on backend: any Backend) {
        self.model = model
        self.optimizer = optimizer
        self.dtype = dtype
        self.backend = backend
    }

    /// One optimizer step on one batch; returns the loss and the number of correct predictions.
    public func step(_ features: Tensor, _ labels: Tensor) throws -> (loss: Double, correct: Int) {
        optimizer.zeroGrad()
        let logits = try model(features)
        let loss = try Loss.crossEntropy(logits, labels)
        try loss.backward()
        try optimizer.step()
        let predicted = try logits.argmax(axis: 1).int64s()
        let truth = try labels.int64s()
        return (try loss.item(), zip(predicted, truth).filter { $0 == $1 }.count)
    }

    /// The fraction of `data` classified correctly (no gradients recorded).
    public func accuracy(on data: Dataset, batchSize: Int = 512) throws -> Double {
        guard data.count > 0 else { return 0 }
        // Evaluation mode (dropout off, batch norm on running statistics), then back to training.
        model.eval()
        defer { model.train() }
        var correct = 0
        try GradMode.withoutGradients {
            for (x, y) in try data.batches(size: batchSize, shuffle: nil, dtype: dtype, on: backend) {
                let predicted = try model(x).argmax(axis: 1).int64s()
                correct += zip(predicted, try y.int64s()).filter { $0 == $1 }.count
            }
        }
        return Double(correct) / Double(data.count)
    }

    /// Trains for `epochs`, shuffling with `generator`; `progress(done, total)`
    /// is called after each batch, `report` after each epoch.
    public func fit(train: Dataset, test: Dataset, epochs: Int, batchSize: Int, generator: RandomGenerator,
                    progress: (Int, Int) -> Void = { _, _ in },
                    report: (EpochReport) -> Void = { _ in }) throws -> [EpochReport] {
        guard epochs >= 0 else { throw MinoError.argument("train", "epochs \(epochs) must be ≥ 0") }
        var reports: [EpochReport] = []
        for epoch in 1...Swift.max(epochs, 1) where epochs > 0 {
            let start = Date()
            let batches = try train.batches(size: batchSize, shuffle: generator, dtype: dtype, on: backend)
            var lossSum = 0.0, correct = 0
            for (i, (x, y)) in batches.enumerated() {
                let (loss, right) = try step(x, y)
                guard loss.isFinite else {
                    throw MinoError(.autodiff, "train: the loss became \(loss) in epoch \(epoch), batch \(i + 1); "
                                    + "lower the learning rate")
                }
                lossSum += loss
                correct += right
                progress(i + 1, batches.count)
            }
            let r = EpochReport(epoch: epoch, trainLoss: lossSum / Double(Swift.max(batches.count, 1)),
                                trainAccuracy: Double(correct) / Double(Swift.max(train.count, 1)),
                                testAccuracy: try accuracy(on: test), seconds: Date().timeIntervalSince(start))
            reports.append(r)
            report(r)
        }
        return reports
    }
}
