#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Mino

/// The two training shapes of the benchmark, as in `torch_bench.py`.
struct TrainingShape {
    enum Activation: String { case sigmoid, relu }

    let name: String
    let sizes: [Int]
    let activation: Activation
    let batch: Int

    static let all: [TrainingShape] = [
        TrainingShape(name: "digits", sizes: [64, 32, 10], activation: .sigmoid, batch: 64),
        TrainingShape(name: "mnist", sizes: [784, 512, 512, 10], activation: .relu, batch: 128),
    ]

    static func named(_ name: String) -> TrainingShape? { all.first { $0.name == name } }

    /// Learning rates shared with the PyTorch loop.
    static func learningRate(_ optimizer: String) -> Double { optimizer == "adam" ? 1e-3 : 0.05 }
}

/// A multi-layer perceptron as PyTorch's `nn.Sequential(Linear, act, ..., Linear)`:
/// weights `[out, in]` and biases uniform in ±1/√in (PyTorch's default init).
final class BenchMLP {
    let weights: [Tensor]
    let biases: [Tensor]
    let activation: TrainingShape.Activation

    init(_ shape: TrainingShape, on backend: any Backend, generator: RandomGenerator) throws {
        var weights: [Tensor] = [], biases: [Tensor] = []
        for (fanIn, fanOut) in zip(shape.sizes, shape.sizes.dropFirst()) {
            let bound = 1 / Double(fanIn).squareRoot()
            let w = try Tensor.rand([fanOut, fanIn], low: -bound, high: bound, generator: generator, on: backend)
            let b = try Tensor.rand([fanOut], low: -bound, high: bound, generator: generator, on: backend)
            w.requiresGrad = true
            b.requiresGrad = true
            weights.append(w)
            biases.append(b)
        }
        self.weights = weights
        self.biases = biases
        self.activation = shape.activation
    }

    var parameters: [Tensor] { zip(weights, biases).flatMap { [$0, $1] } }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        for i in weights.indices {
            h = try h.linear(weights[i], biases[i])
            if i < weights.count - 1 {
                h = activation == .relu ? try h.relu() : try h.sigmoid()
            }
        }
        return h
    }
}

/// SGD and Adam as PyTorch defines them: the backend's in-place kernel when it
/// has one, else the same update written with ops.
final class BenchOptimizer {
    let parameters: [Tensor]
    let name: String
    let learningRate: Double
    private var state: [[Tensor]]
    private var steps = 0

    init(_ name: String, _ parameters: [Tensor], learningRate: Double) throws {
        self.name = name
        self.parameters = parameters
        self.learningRate = learningRate
        state = try parameters.map { p in
            try (0..<(name == "adam" ? 2 : 0)).map { _ in try Tensor.zeros(p.shape, dtype: p.dtype, on: p.backend) }
        }
    }

    func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }

    func step() throws {
        steps += 1
        let kernel: OptimizerKernel = name == "adam"
            ? .adam(lr: learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0,
                    decoupledWeightDecay: false, step: steps)
            : .sgd(lr: learningRate, momentum: 0, weightDecay: 0, nesterov: false)
        for (i, p) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            if try p.backend.optimizerUpdate(kernel, parameter: p.operand, gradient: g.operand,
                                             state: state[i].map(\.operand)) {
                continue
            }
            try withoutGradients {
                if name == "adam" {
                    let m = try state[i][0] * 0.9 + g * 0.1
                    let v = try state[i][1] * 0.999 + g * g * 0.001
                    let c1 = 1 - pow(0.9, Double(steps)), c2 = 1 - pow(0.999, Double(steps))
                    try p.assign(try p - m * (learningRate / c1) / (try v.sqrt() / c2.squareRoot() + 1e-8))
                    state[i] = [m, v]
                } else {
                    try p.assign(try p - g * learningRate)
                }
            }
        }
    }
}

/// One training loop, measured in this process (the benchmark runs it as a child).
enum TrainingBench {
    static let dataBatches = 8

    struct Result {
        let stepsPerSecond: Double
        let peakRSSMegabytes: Double
        let finalLoss: Double
    }

    static func run(_ shape: TrainingShape, optimizer: String, on backend: any Backend,
                    settings: BenchSettings) throws -> Result {
        let g = RandomGenerator(seed: 0)
        let model = try BenchMLP(shape, on: backend, generator: g)
        let opt = try BenchOptimizer(optimizer, model.parameters, learningRate: TrainingShape.learningRate(optimizer))
        let data = RandomGenerator(seed: 1)
        let classes = shape.sizes[shape.sizes.count - 1]
        let xs = try (0..<dataBatches).map { _ in
            try Tensor.randn([shape.batch, shape.sizes[0]], generator: data, on: backend)
        }
        let ys = try (0..<dataBatches).map { _ in
            try Tensor((0..<shape.batch).map { _ in Int64(data.nextInt(below: classes)) }, shape: [shape.batch], on: backend)
        }
        var i = 0
        var lastLoss: Tensor? = nil
        func step() throws {
            let k = i % dataBatches
            i += 1
            opt.zeroGrad()
            let loss = try Loss.crossEntropy(try model(xs[k]), ys[k])
            try loss.backward()
            try opt.step()
            lastLoss = loss
        }
        // Warm-up: at least 20 steps or a quarter second.
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

    /// This process's peak resident set, in MiB.
    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        #if canImport(Darwin)
        return Double(usage.ru_maxrss) / (1024 * 1024)
        #else
        return Double(usage.ru_maxrss) / 1024
        #endif
    }
}
