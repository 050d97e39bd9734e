import Foundation
import MinoCore
import MinoModel

extension ModelCase {
    /// The whole-model cases every backend runs.
    public static var standard: [ModelCase] { [xorExact(.float32), xorExact(.float64), digitsTrajectory, checkpoint] }

    /// The XOR network of the Hasktorch seed with its exact-solution weights:
    /// Linear 2→2 (weight all ones, bias [0, −1]), ReLU, Linear 2→1 (weight
    /// [1 −2], bias 0) must give exactly 0, 1, 1, 0 and a mean-squared error of exactly 0.
    static func xorExact(_ dtype: DType) -> ModelCase {
        ModelCase(name: "model:xor-exact", dtype: dtype,
                  summary: "Hasktorch's exact XOR weights give exactly 0 1 1 0 and MSE 0") { backend, _ in
            func tensor(_ values: [Double], _ shape: Shape) throws -> Tensor {
                try Tensor(doubles: values, shape: shape, dtype: dtype, on: backend)
            }
            let net = Sequential([
                try Linear(weight: try tensor([1, 1, 1, 1], [2, 2]), bias: try tensor([0, -1], [2])),
                ActivationLayer(.relu),
                // Hasktorch's w₂ is [[1], [−2]] as [in, out]; Mino's Linear keeps PyTorch's [out, in].
                try Linear(weight: try tensor([1, -2], [1, 2]), bias: try tensor([0], [1])),
            ])
            let inputs = try tensor([0, 0, 0, 1, 1, 0, 1, 1], [4, 2])
            let targets = try tensor([0, 1, 1, 0], [4, 1])
            let predicted = try net(inputs)
            let values = try predicted.doubles()
            let mse = try Loss.mse(predicted, targets).item()
            let largest = zip(values, [0.0, 1, 1, 0]).map { Swift.abs($0 - $1) }.max() ?? .infinity
            if predicted.shape != [4, 1] { return (nil, "output shape \(predicted.shape), expected [4 1]") }
            if values != [0, 1, 1, 0] { return (largest, "predicted \(values), expected exactly [0, 1, 1, 0]") }
            if mse != 0 { return (largest, "mean-squared error \(mse), expected exactly 0") }
            return (largest, nil)
        }
    }

    /// The digits MLP (64-30-10, sigmoid, SGD lr 0.2 momentum 0.9, batches of
    /// 16, seed 2024) trained 50 steps: the loss after every step matches the
    /// reference backend's within the `model` row of ``Tolerances``.
    static let digitsTrajectory = ModelCase(
        name: "model:digits-sgd", dtype: .float32,
        summary: "digits MLP, 50 SGD steps from seed 2024: the same loss trajectory as the reference"
    ) { backend, reference in
        let expected = try DigitsRun.trajectory(on: reference)
        guard let first = expected.first, let last = expected.last, last < first else {
            return (nil, "the reference trajectory does not decrease: \(expected)")
        }
        let actual = try DigitsRun.trajectory(on: backend)
        let tolerance = Tolerances.tolerance(.model, .float32)
        var largest = 0.0
        for (step, (a, e)) in zip(actual, expected).enumerated() {
            largest = Swift.max(largest, Swift.abs(a - e))
            if !tolerance.accepts(a, e) {
                return (largest, "step \(step + 1): loss \(a), the reference has \(e) (\(tolerance))")
            }
        }
        return (largest, actual.count == expected.count ? nil : "\(actual.count) losses, expected \(expected.count)")
    }

    /// A trained model saved (safetensors) on one backend and loaded on the
    /// other gives the same outputs, both ways between this backend and the reference.
    static let checkpoint = ModelCase(
        name: "model:checkpoint", dtype: .float32,
        summary: "saved on one backend, loaded on the other: the same outputs, both ways"
    ) { backend, reference in
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("mino-conformance-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let tolerance = Tolerances.tolerance(.model, .float32)
        var largest = 0.0
        for (from, to) in [(backend, reference), (reference, backend)] {
            let saved = try DigitsRun.trainedModel(on: from, steps: 5)
            let url = folder.appendingPathComponent("\(from.name)-to-\(to.name).safetensors")
            try Checkpoint.save(saved, to: url)
            let loaded = try MLP(sizes: DigitsRun.sizes, activation: .sigmoid, generator: RandomGenerator(seed: 1), on: to)
            try Checkpoint.load(url, into: loaded)
            let batch = try DigitsRun.dataset().subset(Array(0..<32)).features
            let a = try GradMode.withoutGradients { try saved(try Tensor(batch, on: from)).toHost() }
            let b = try GradMode.withoutGradients { try loaded(try Tensor(batch, on: to)).toHost() }
            let c = Compare.arrays(b, a, tolerance)
            largest = Swift.max(largest, c.largestError)
            if !c.passed { return (largest, "saved on \(from.name), loaded on \(to.name): \(c.message)") }
        }
        return (largest, nil)
    }
}

/// The digits network the model cases train.
enum DigitsRun {
    static let sizes = [64, 30, 10]
    /// Loaded once (a static `let` is initialized once, thread-safely).
    private static let loaded = Result { try Digits.load() }

    static func dataset() throws -> Dataset { try loaded.get() }

    /// A model trained `steps` SGD steps from seed 2024 on `backend`, and the loss after each step.
    static func train(on backend: any Backend, steps: Int) throws -> (Sequential, [Double]) {
        let generator = RandomGenerator(seed: 2024)
        let model = try MLP(sizes: sizes, activation: .sigmoid, generator: generator, on: backend)
        let trainer = ClassifierTrainer(model: model, optimizer: try SGD(model.parameters, learningRate: 0.2, momentum: 0.9),
                                        on: backend)
        var losses: [Double] = []
        for (x, y) in try dataset().batches(size: 16, shuffle: generator, on: backend).prefix(steps) {
            losses.append(try trainer.step(x, y).loss)
        }
        return (model, losses)
    }

    static func trajectory(on backend: any Backend) throws -> [Double] { try train(on: backend, steps: 50).1 }
    static func trainedModel(on backend: any Backend, steps: Int) throws -> Sequential { try train(on: backend, steps: steps).0 }
}
