import MinoCore

/// Labelled examples in host memory: `features` of shape `[N, D]` and one
/// int64 class label per example.
public struct Dataset: Sendable {
    public let features: HostArray
    public let labels: [Int64]

    /// - Throws: ``MinoError`` `.shape` when the features are not `[N, D]` with one label per row.
    public init(features: HostArray, labels: [Int64]) throws {
        guard features.shape.rank == 2, features.shape[0] == labels.count else {
            throw MinoError(.shape, "Dataset: features \(features.shape) need shape [N D] with N = \(labels.count) labels")
        }
        self.features = features
        self.labels = labels
    }

    public var count: Int { labels.count }
    public var featureCount: Int { features.shape[1] }
    /// One more than the largest label.
    public var classCount: Int { Int((labels.max() ?? -1) + 1) }

    /// The examples at `indices`, in that order.
    public func subset(_ indices: [Int]) throws -> Dataset {
        let d = featureCount
        for i in indices where !(0..<count).contains(i) {
            throw MinoError.argument("Dataset.subset", "index \(i) is outside 0..<\(count)")
        }
        let rows: HostArray.Elements
        switch features.elements {
        case .float32(let v): rows = .float32(indices.flatMap { v[($0 * d)..<(($0 + 1) * d)] })
        case .float64(let v): rows = .float64(indices.flatMap { v[($0 * d)..<(($0 + 1) * d)] })
        case .int64(let v): rows = .int64(indices.flatMap { v[($0 * d)..<(($0 + 1) * d)] })
        }
        return try Dataset(features: HostArray(shape: [indices.count, d], elements: rows),
                           labels: indices.map { labels[$0] })
    }

    /// A seeded random split: `trainCount` examples for training, the rest for testing.
    public func split(trainCount: Int, generator: RandomGenerator) throws -> (train: Dataset, test: Dataset) {
        guard (0...count).contains(trainCount) else {
            throw MinoError.argument("Dataset.split", "cannot take \(trainCount) of \(count) examples for training")
        }
        let order = generator.permutation(count)
        return (try subset(Array(order[..<trainCount])), try subset(Array(order[trainCount...])))
    }

    /// Mini-batches of at most `batchSize` examples, shuffled by `generator`
    /// when given, else in order. Each batch is uploaded to `backend`:
    /// features as `dtype`, labels as int64.
    public func batches(size batchSize: Int, shuffle generator: RandomGenerator?, dtype: DType = .float32,
                        on backend: (any Backend)? = nil) throws -> [(features: Tensor, labels: Tensor)] {
        guard batchSize > 0 else { throw MinoError.argument("batches", "batch size \(batchSize) must be positive") }
        let order = generator?.permutation(count) ?? Array(0..<count)
        return try stride(from: 0, to: count, by: batchSize).map { start in
            let part = try subset(Array(order[start..<Swift.min(start + batchSize, count)]))
            return (try Tensor(part.features.converted(to: dtype), on: backend),
                    try Tensor(part.labels, shape: [part.count], on: backend))
        }
    }
}
