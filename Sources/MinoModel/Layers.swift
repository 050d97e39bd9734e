import Foundation
import MinoCore

// Layers for real models, with PyTorch's class names, parameter names,
// parameter layouts and default initialisation, so a state dict lines up
// with PyTorch's.

/// Modules whose output depends on training or evaluation mode (dropout,
/// batch norm) and containers of them.
public protocol TrainingModal: AnyObject {
    var training: Bool { get set }
}

extension Module {
    /// Puts this module and every module inside it in training mode (PyTorch's `train()`).
    public func train() { setTraining(self, true) }
    /// Puts this module and every module inside it in evaluation mode (PyTorch's `eval()`).
    public func eval() { setTraining(self, false) }
}

/// Sets `training` on `module` and, through ``Sequential``, on its layers.
private func setTraining(_ module: any Module, _ on: Bool) {
    if let m = module as? TrainingModal { m.training = on }
    if let s = module as? Sequential { for layer in s.layers { setTraining(layer, on) } }
}

/// PyTorch's default for convolution weights and biases: U(±1/√fanIn),
/// fanIn = in/groups · kernel elements (kaiming uniform with a = √5 gives the same bound).
private func convParameters(weightShape: Shape, fanIn: Int, bias: Int?, dtype: DType,
                            generator: RandomGenerator?, on backend: (any Backend)?) throws -> (Tensor, Tensor?) {
    let g = generator ?? RandomGenerator.default
    let standard = Initializer.linearDefault(fanIn: fanIn)
    let w = try standard.makeParameter(weightShape, dtype: dtype, generator: g, on: backend, name: "weight")
    let b = try bias.map { try standard.makeParameter([$0], dtype: dtype, generator: g, on: backend, name: "bias") }
    return (w, b)
}

private func positive(_ op: String, _ values: [String: Int]) throws {
    for (name, v) in values.sorted(by: { $0.key < $1.key }) where v <= 0 {
        throw MinoError.argument(op, "\(name) must be positive, got \(v)")
    }
}

/// `nn.Conv2d`: weight `[out, in/groups, kh, kw]`, bias `[out]`.
public final class Conv2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: [Int], padding: [Int], dilation: [Int], groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1], padding: [Int] = [0],
                dilation: [Int] = [1], groups: Int = 1, bias: Bool = true, dtype: DType = .float32,
                generator: RandomGenerator? = nil, on backend: (any Backend)? = nil) throws {
        let k = kernelSize.count == 1 ? [kernelSize[0], kernelSize[0]] : kernelSize
        guard k.count == 2 else { throw MinoError.argument("Conv2d", "kernel_size must have 1 or 2 values, got \(kernelSize)") }
        try positive("Conv2d", ["in_channels": inChannels, "out_channels": outChannels, "groups": groups,
                                "kernel height": k[0], "kernel width": k[1]])
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw MinoError.argument("Conv2d", "in_channels \(inChannels) and out_channels \(outChannels) must divide by groups \(groups)")
        }
        (weight, self.bias) = try convParameters(weightShape: [outChannels, inChannels / groups, k[0], k[1]],
                                                 fanIn: inChannels / groups * k[0] * k[1], bias: bias ? outChannels : nil,
                                                 dtype: dtype, generator: generator, on: backend)
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.conv2d(weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// `nn.Conv1d`: weight `[out, in/groups, k]`, bias `[out]`.
public final class Conv1d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int, padding: Int, dilation: Int, groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true, dtype: DType = .float32,
                generator: RandomGenerator? = nil, on backend: (any Backend)? = nil) throws {
        try positive("Conv1d", ["in_channels": inChannels, "out_channels": outChannels, "groups": groups,
                                "kernel_size": kernelSize])
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw MinoError.argument("Conv1d", "in_channels \(inChannels) and out_channels \(outChannels) must divide by groups \(groups)")
        }
        (weight, self.bias) = try convParameters(weightShape: [outChannels, inChannels / groups, kernelSize],
                                                 fanIn: inChannels / groups * kernelSize, bias: bias ? outChannels : nil,
                                                 dtype: dtype, generator: generator, on: backend)
        self.stride = stride; self.padding = padding; self.dilation = dilation; self.groups = groups
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.conv1d(weight, bias, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// `nn.ConvTranspose2d`: weight `[in, out/groups, kh, kw]`, bias `[out]`; PyTorch's
/// fan-in for its initialisation is the weight's second axis times the kernel.
public final class ConvTranspose2d: Module {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: [Int], padding: [Int], outputPadding: [Int], dilation: [Int], groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: [Int], stride: [Int] = [1], padding: [Int] = [0],
                outputPadding: [Int] = [0], groups: Int = 1, bias: Bool = true, dilation: [Int] = [1],
                dtype: DType = .float32, generator: RandomGenerator? = nil, on backend: (any Backend)? = nil) throws {
        let k = kernelSize.count == 1 ? [kernelSize[0], kernelSize[0]] : kernelSize
        guard k.count == 2 else {
            throw MinoError.argument("ConvTranspose2d", "kernel_size must have 1 or 2 values, got \(kernelSize)")
        }
        try positive("ConvTranspose2d", ["in_channels": inChannels, "out_channels": outChannels, "groups": groups,
                                         "kernel height": k[0], "kernel width": k[1]])
        guard inChannels % groups == 0, outChannels % groups == 0 else {
            throw MinoError.argument("ConvTranspose2d", "in_channels \(inChannels) and out_channels \(outChannels) must divide by groups \(groups)")
        }
        (weight, self.bias) = try convParameters(weightShape: [inChannels, outChannels / groups, k[0], k[1]],
                                                 fanIn: outChannels / groups * k[0] * k[1],
                                                 bias: bias ? outChannels : nil, dtype: dtype, generator: generator,
                                                 on: backend)
        self.stride = stride; self.padding = padding; self.outputPadding = outputPadding
        self.dilation = dilation; self.groups = groups
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.convTranspose2d(weight, bias, stride: stride, padding: padding, outputPadding: outputPadding,
                                  groups: groups, dilation: dilation)
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }
}

/// A layer without parameters: a function of its input.
public class StatelessLayer: Module {
    /// PyTorch's class name (`MaxPool2d`, `Flatten`, `GELU`).
    public let name: String
    private let body: (Tensor) throws -> Tensor

    public init(_ name: String, _ body: @escaping (Tensor) throws -> Tensor) {
        self.name = name
        self.body = body
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor { try body(input) }
    public var namedParameters: [(name: String, tensor: Tensor)] { [] }
}

/// `nn.MaxPool2d(kernel_size, stride = kernel_size, padding)`.
public func MaxPool2d(_ kernelSize: [Int], stride: [Int] = [], padding: [Int] = [0]) -> StatelessLayer {
    StatelessLayer("MaxPool2d") { try $0.maxPool2d(kernelSize: kernelSize, stride: stride, padding: padding) }
}

/// `nn.AvgPool2d(kernel_size, stride = kernel_size, padding)`.
public func AvgPool2d(_ kernelSize: [Int], stride: [Int] = [], padding: [Int] = [0]) -> StatelessLayer {
    StatelessLayer("AvgPool2d") { try $0.avgPool2d(kernelSize: kernelSize, stride: stride, padding: padding) }
}

/// `nn.AdaptiveAvgPool2d(output_size)`.
public func AdaptiveAvgPool2d(_ outputSize: [Int]) -> StatelessLayer {
    StatelessLayer("AdaptiveAvgPool2d") { try $0.adaptiveAvgPool2d(outputSize) }
}

/// `nn.Flatten(start_dim = 1, end_dim = -1)`.
public func Flatten(startDim: Int = 1, endDim: Int = -1) -> StatelessLayer {
    StatelessLayer("Flatten") { try $0.flatten(startDim: startDim, endDim: endDim) }
}

/// `nn.Unflatten(dim, sizes)`: axis `dim` split into `sizes`.
public func Unflatten(_ dim: Int, _ sizes: [Int]) -> StatelessLayer {
    StatelessLayer("Unflatten") { x in
        let axis = try x.shape.normalizedAxis(dim, op: "Unflatten")
        let dims = Array(x.shape.dims[..<axis]) + sizes + Array(x.shape.dims[(axis + 1)...])
        return try x.reshape(Shape(dims))
    }
}

public func LeakyReLU(negativeSlope: Double = 0.01) -> StatelessLayer {
    StatelessLayer("LeakyReLU") { try $0.leakyRelu(negativeSlope: negativeSlope) }
}
public func ELU(alpha: Double = 1) -> StatelessLayer { StatelessLayer("ELU") { try $0.elu(alpha: alpha) } }
public func Softplus(beta: Double = 1) -> StatelessLayer { StatelessLayer("Softplus") { try $0.softplus(beta: beta) } }
public func SiLU() -> StatelessLayer { StatelessLayer("SiLU") { try $0.silu() } }
public func GELU() -> StatelessLayer { StatelessLayer("GELU") { try $0.gelu() } }
public func ReLU() -> StatelessLayer { StatelessLayer("ReLU") { try $0.relu() } }
public func Tanh() -> StatelessLayer { StatelessLayer("Tanh") { try $0.tanh() } }
public func Sigmoid() -> StatelessLayer { StatelessLayer("Sigmoid") { try $0.sigmoid() } }
public func LogSoftmax(dim: Int) -> StatelessLayer { StatelessLayer("LogSoftmax") { try $0.logSoftmax(axis: dim) } }

/// `nn.Dropout(p)`: active in training mode only.
public final class Dropout: Module, TrainingModal {
    public let p: Double
    public var training = true
    public let generator: RandomGenerator?

    public init(_ p: Double = 0.5, generator: RandomGenerator? = nil) throws {
        guard p >= 0, p <= 1 else { throw MinoError.argument("Dropout", "probability \(p) is outside [0, 1]") }
        self.p = p
        self.generator = generator
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.dropout(p, training: training, generator: generator)
    }
    public var namedParameters: [(name: String, tensor: Tensor)] { [] }
}

/// `nn.Embedding(num_embeddings, embedding_dim, padding_idx)`: weight drawn
/// from N(0, 1), the padding row zeroed (PyTorch's default).
public final class Embedding: Module {
    public let weight: Tensor
    public let paddingIndex: Int?

    public init(_ count: Int, _ dimension: Int, paddingIndex: Int? = nil, dtype: DType = .float32,
                generator: RandomGenerator? = nil, on backend: (any Backend)? = nil) throws {
        try positive("Embedding", ["num_embeddings": count, "embedding_dim": dimension])
        var values = (generator ?? RandomGenerator.default).normal(count: count * dimension, mean: 0, std: 1)
        if let p = paddingIndex {
            guard p >= -count, p < count else {
                throw MinoError.argument("Embedding", "padding_idx \(p) is outside the \(count) rows")
            }
            let row = p < 0 ? p + count : p
            for j in 0..<dimension { values[row * dimension + j] = 0 }
        }
        weight = try Tensor(doubles: values, shape: [count, dimension], dtype: dtype, on: backend, requiresGrad: true)
        weight.name = "weight"
        self.paddingIndex = paddingIndex
    }

    /// Rows of the weight at the int64 ids in `input`.
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.embedding(weight, paddingIndex: paddingIndex)
    }
    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight)] }
}

/// `nn.LayerNorm(normalized_shape, eps, elementwise_affine)`: weight ones, bias zeros.
public final class LayerNorm: Module {
    public let weight: Tensor
    public let bias: Tensor
    public let epsilon: Double
    public let affine: Bool

    public init(_ normalizedShape: [Int], epsilon: Double = 1e-5, elementwiseAffine: Bool = true,
                dtype: DType = .float32, on backend: (any Backend)? = nil) throws {
        guard !normalizedShape.isEmpty, normalizedShape.allSatisfy({ $0 > 0 }) else {
            throw MinoError.argument("LayerNorm", "normalized_shape \(normalizedShape) must be positive sizes")
        }
        weight = try Tensor.ones(Shape(normalizedShape), dtype: dtype, on: backend)
        bias = try Tensor.zeros(Shape(normalizedShape), dtype: dtype, on: backend)
        weight.requiresGrad = elementwiseAffine
        bias.requiresGrad = elementwiseAffine
        weight.name = "weight"
        bias.name = "bias"
        self.epsilon = epsilon
        affine = elementwiseAffine
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        try input.layerNorm(weight, bias, epsilon: epsilon)
    }
    public var namedParameters: [(name: String, tensor: Tensor)] { affine ? [("weight", weight), ("bias", bias)] : [] }
}

/// `nn.BatchNorm1d` / `nn.BatchNorm2d`: the `batchNorm` op over the channel axis 1
/// of `[N C]`, `[N C L]` or `[N C H W]`: batch statistics in training mode (the
/// running ones updated as PyTorch does), running statistics in evaluation mode.
public final class BatchNorm: Module, TrainingModal {
    public let weight: Tensor
    public let bias: Tensor
    /// Buffers (PyTorch's): saved and loaded with the parameters, never trained.
    public let runningMean: Tensor
    public let runningVar: Tensor
    /// `num_batches_tracked`: an int64 scalar, counted up by each training call.
    public let numBatchesTracked: Tensor
    public let epsilon: Double
    public let momentum: Double
    public var training = true
    /// 2 for `BatchNorm1d` (input rank 2 or 3), 4 for `BatchNorm2d`.
    let ranks: Set<Int>
    let name: String

    init(_ name: String, ranks: Set<Int>, _ features: Int, epsilon: Double, momentum: Double, dtype: DType,
         on backend: (any Backend)?) throws {
        try positive(name, ["num_features": features])
        weight = try Tensor.ones([features], dtype: dtype, on: backend)
        bias = try Tensor.zeros([features], dtype: dtype, on: backend)
        weight.requiresGrad = true
        bias.requiresGrad = true
        weight.name = "weight"
        bias.name = "bias"
        runningMean = try Tensor.zeros([features], dtype: dtype, on: backend)
        runningVar = try Tensor.ones([features], dtype: dtype, on: backend)
        numBatchesTracked = try Tensor([Int64(0)], shape: [], on: backend)
        self.epsilon = epsilon
        self.momentum = momentum
        self.ranks = ranks
        self.name = name
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        let c = weight.shape[0]
        guard ranks.contains(input.rank), input.shape[1] == c else {
            throw MinoError.shape(name, [input.shape, weight.shape],
                                  "expected an input of rank \(ranks.sorted()) with \(c) channels on axis 1")
        }
        let y = try input.batchNorm(runningMean: runningMean, runningVar: runningVar, weight: weight, bias: bias,
                                    training: training, momentum: momentum, epsilon: epsilon)
        if training {
            try numBatchesTracked.assign(try Tensor([Int64(try batchesTracked() + 1)], shape: [], on: numBatchesTracked.backend))
        }
        return y
    }

    /// The number of training calls so far (`num_batches_tracked`; loaded with the buffers).
    public func batchesTracked() throws -> Int { Int(try numBatchesTracked.item()) }

    public var namedParameters: [(name: String, tensor: Tensor)] { [("weight", weight), ("bias", bias)] }
    /// PyTorch's buffers, by their state-dict names.
    public var namedBuffers: [(name: String, tensor: Tensor)] {
        [("running_mean", runningMean), ("running_var", runningVar), ("num_batches_tracked", numBatchesTracked)]
    }
}

/// `nn.BatchNorm1d(num_features, eps, momentum)`: inputs `[N C]` or `[N C L]`.
public func BatchNorm1d(_ features: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, dtype: DType = .float32,
                        on backend: (any Backend)? = nil) throws -> BatchNorm {
    try BatchNorm("BatchNorm1d", ranks: [2, 3], features, epsilon: epsilon, momentum: momentum, dtype: dtype, on: backend)
}

/// `nn.BatchNorm2d(num_features, eps, momentum)`: inputs `[N C H W]`.
public func BatchNorm2d(_ features: Int, epsilon: Double = 1e-5, momentum: Double = 0.1, dtype: DType = .float32,
                        on backend: (any Backend)? = nil) throws -> BatchNorm {
    try BatchNorm("BatchNorm2d", ranks: [4], features, epsilon: epsilon, momentum: momentum, dtype: dtype, on: backend)
}

/// A small CNN for the 8×8 digits: `[N 64]` pixels → `[N 1 8 8]` → conv 3×3 (32) →
/// ReLU → max-pool 2 → conv 3×3 (64) → ReLU → max-pool 2 → flatten (256) → dropout 0.25 →
/// linear 10. Dropout is active in training mode only (``Module/train()``, ``Module/eval()``).
public func DigitsCNN(dtype: DType = .float32, generator: RandomGenerator? = nil,
                      on backend: (any Backend)? = nil) throws -> Sequential {
    Sequential([
        Unflatten(1, [1, 8, 8]),
        try Conv2d(1, 32, kernelSize: [3], padding: [1], dtype: dtype, generator: generator, on: backend),
        ReLU(),
        MaxPool2d([2]),
        try Conv2d(32, 64, kernelSize: [3], padding: [1], dtype: dtype, generator: generator, on: backend),
        ReLU(),
        MaxPool2d([2]),
        Flatten(),
        try Dropout(0.25, generator: generator),
        try Linear(64 * 2 * 2, 10, dtype: dtype, generator: generator, on: backend),
    ])
}

/// GenPyTorch's LeNet (`seeds/003_*`) for `[N 1 32 32]` inputs: conv 3×3 (6) → ReLU →
/// max-pool 2 → conv 3×3 (16) → ReLU → max-pool 2 → flatten (16·6·6) → 120 → ReLU → 84 → ReLU → 10.
public func LeNet(dtype: DType = .float32, generator: RandomGenerator? = nil,
                  on backend: (any Backend)? = nil) throws -> Sequential {
    Sequential([
        try Conv2d(1, 6, kernelSize: [3], dtype: dtype, generator: generator, on: backend),
        ReLU(),
        MaxPool2d([2]),
        try Conv2d(6, 16, kernelSize: [3], dtype: dtype, generator: generator, on: backend),
        ReLU(),
        MaxPool2d([2]),
        Flatten(),
        try Linear(16 * 6 * 6, 120, dtype: dtype, generator: generator, on: backend),
        ReLU(),
        try Linear(120, 84, dtype: dtype, generator: generator, on: backend),
        ReLU(),
        try Linear(84, 10, dtype: dtype, generator: generator, on: backend),
    ])
}
