#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Mino

/// The two training shapes of the benchmark, as in `torch_bench.py`.
struct TrainingShape {
    let name: String
    let sizes: [Int]
    let activation: Activation
    let batch: Int

    static let all: [TrainingShape] = [
        TrainingShape(name: "digits", sizes: [64, 32, 10], activation: .sigmoid, batch: 64),
        TrainingShape(name: "mnist", sizes: [784, 512, 512, 10], activation: .relu, batch: 128),
        // GenPyTorch's LeNet on [64 1 32 32], and the LSTM language model (vocabulary 64,
        // embedding 64, hidden 256, sequence 35, batch 32): Adam only, no reference run.
        TrainingShape(name: "lenet", sizes: [], activation: .relu, batch: 64),
        TrainingShape(name: "lstm", sizes: [], activation: .tanh, batch: 32),
    ]

    /// The layer models (LeNet, the LSTM language model) rather than an MLP.
    var isLayerModel: Bool { sizes.isEmpty }
    var optimizers: [String] { isLayerModel ? ["adam"] : ["adam", "sgd"] }

    static func named(_ name: String) -> TrainingShape? { all.first { $0.name == name } }

    /// Learning rates shared with the PyTorch loop.
    static func learningRate(_ optimizer: String) -> Double { optimizer == "adam" ? 1e-3 : 0.05 }
}

/// One training loop, measured in this process (the benchmark runs it as a child).
enum TrainingBench {
    static let dataBatches = 8

    struct Result {
        let stepsPerSecond: Double
        let peakRSSMegabytes: Double
        let finalLoss: Double
    }

    /// The loop users write with the Model layer: `MLP`, `SGD`/`Adam`, cross-entropy.
    static func run(_ shape: TrainingShape, optimizer: String, on backend: any Backend,
                    settings: BenchSettings) throws -> Result {
        let g = RandomGenerator(seed: 0)
        if shape.isLayerModel { return try runLayerModel(shape, on: backend, settings: settings) }
        let model = try MLP(sizes: shape.sizes, activation: shape.activation, generator: g, on: backend)
        let lr = TrainingShape.learningRate(optimizer)
        let opt: any Optimizer = optimizer == "adam" ? try Adam(model.parameters, learningRate: lr)
                                                     : try SGD(model.parameters, learningRate: lr)
        let data = RandomGenerator(seed: 1)
        let classes = shape.sizes[shape.sizes.count - 1]
        let xs = try (0..<dataBatches).map { _ in
            try Tensor.randn([shape.batch, shape.sizes[0]], generator: data, on: backend)
        }
        let ys = try (0..<dataBatches).map { _ in
            try Tensor((0..<shape.batch).map { _ in Int64(data.nextInt(below: classes)) }, shape: [shape.batch], on: backend)
        }
        return try timedTraining(model, opt, xs, ys, settings: settings)
    }

    /// Trains `model` with cross-entropy over the batches `xs`/`ys` in turn: a warm-up of at
    /// least 3 steps (up to 20 or a quarter second), then the median of timed blocks.
    static func timedTraining(_ model: any Module, _ opt: any Optimizer, _ xs: [Tensor], _ ys: [Tensor],
                              settings: BenchSettings) throws -> Result {
        var i = 0
        var lastLoss: Tensor? = nil
        func step() throws {
            let k = i % xs.count
            i += 1
            opt.zeroGrad()
            let loss = try Loss.crossEntropy(try model(xs[k]), ys[k])
            try loss.backward()
            try opt.step()
            lastLoss = loss.detached()  // the value only: holding the graph would keep the step's activations alive into the next
        }
        let warm = ContinuousClock().now
        var warmed = 0
        while warmed < 20 && (warmed < 3 || Timing.seconds(ContinuousClock().now - warm) < 0.25) {
            try step()
            warmed += 1
        }
        let seconds = try Timing.medianSecondsPerCall(blockSeconds: settings.trainSeconds / Double(settings.trainRepeats),
                                                      repeats: settings.trainRepeats, step)
        return Result(stepsPerSecond: 1 / seconds, peakRSSMegabytes: peakRSSMegabytes(),
                      finalLoss: try lastLoss?.item() ?? .nan)
    }

    /// The LSTM language model: embedding → LSTM → linear to the vocabulary, over ids `[T N]`.
    final class LanguageModel: Module {
        let embedding: Embedding, lstm: Recurrent, decoder: Linear
        init(vocabulary: Int, embedding size: Int, hidden: Int, generator: RandomGenerator, on backend: any Backend) throws {
            embedding = try Embedding(vocabulary, size, generator: generator, on: backend)
            lstm = try LSTM(inputSize: size, hiddenSize: hidden, generator: generator, on: backend)
            decoder = try Linear(hidden, vocabulary, generator: generator, on: backend)
        }
        /// Logits `[T·N vocabulary]`.
        func callAsFunction(_ ids: Tensor) throws -> Tensor {
            let h = try lstm(embedding(ids))
            return try decoder(h.reshape([-1, lstm.hiddenSize]))
        }
        var namedParameters: [(name: String, tensor: Tensor)] {
            embedding.namedParameters.map { ("embedding.\($0.name)", $0.tensor) }
                + lstm.namedParameters.map { ("lstm.\($0.name)", $0.tensor) }
                + decoder.namedParameters.map { ("decoder.\($0.name)", $0.tensor) }
        }
    }

    static let sequenceLength = 35, vocabulary = 64

    /// LeNet or the LSTM language model with Adam (lr 1e-3), as `torch_bench.py` runs them.
    static func runLayerModel(_ shape: TrainingShape, on backend: any Backend, settings: BenchSettings) throws -> Result {
        let g = RandomGenerator(seed: 0)
        let data = RandomGenerator(seed: 1)
        let model: any Module
        var xs: [Tensor] = [], ys: [Tensor] = []
        if shape.name == "lenet" {
            model = try LeNet(generator: g, on: backend)
            for _ in 0..<dataBatches {
                xs.append(try Tensor.randn([shape.batch, 1, 32, 32], generator: data, on: backend))
                ys.append(try Tensor((0..<shape.batch).map { _ in Int64(data.nextInt(below: 10)) }, shape: [shape.batch],
                                     on: backend))
            }
        } else {
            model = try LanguageModel(vocabulary: vocabulary, embedding: 64, hidden: 256, generator: g, on: backend)
            let count = sequenceLength * shape.batch
            for _ in 0..<dataBatches {
                xs.append(try Tensor((0..<count).map { _ in Int64(data.nextInt(below: vocabulary)) },
                                     shape: [sequenceLength, shape.batch], on: backend))
                ys.append(try Tensor((0..<count).map { _ in Int64(data.nextInt(below: vocabulary)) }, shape: [count],
                                     on: backend))
            }
        }
        let opt = try Adam(model.parameters, learningRate: 1e-3)
        return try timedTraining(model, opt, xs, ys, settings: settings)
    }

    /// This process's peak resident set, in MiB: VmHWM on Linux (`ru_maxrss` is carried
    /// across execve, so a child would report its parent's peak), `ru_maxrss` elsewhere.
    static func peakRSSMegabytes() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") {
            return kilobytes / 1024
        }
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / (1024 * 1024)
        #endif
    }
}
