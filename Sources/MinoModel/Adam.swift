import Foundation
import MinoCore

/// Adam (Kingma & Ba), as PyTorch's `torch.optim.Adam`, or AdamW with
/// `decoupledWeightDecay` (Loshchilov & Hutter):
/// `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
/// `p ← p − η · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε)`.
public final class Adam: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Double
    public let beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    public let decoupledWeightDecay: Bool
    /// Steps taken so far.
    public private(set) var stepCount = 0
    private var moments: [ObjectIdentifier: (m: Tensor, v: Tensor)] = [:]

    public init(_ parameters: [Tensor], learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999,
                epsilon: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false) throws {
        try checkOptimizer("Adam", learningRate: learningRate, weightDecay: weightDecay)
        guard (0..<1).contains(beta1), (0..<1).contains(beta2) else {
            throw MinoError.argument("Adam", "betas (\(beta1), \(beta2)) must lie in [0, 1)")
        }
        guard epsilon.isFinite, epsilon >= 0 else {
            throw MinoError.argument("Adam", "epsilon \(epsilon) must be a finite number ≥ 0")
        }
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public func step() throws {
        stepCount += 1
        let t = Double(stepCount)
        try GradMode.withoutGradients {
            for p in parameters {
                guard let grad = p.grad else { continue }
                try checkGradient("Adam", p, grad)
                let key = ObjectIdentifier(p)
                let state = try moments[key] ?? (Tensor.zeros(p.shape, dtype: p.dtype, on: p.backend),
                                                 Tensor.zeros(p.shape, dtype: p.dtype, on: p.backend))
                moments[key] = state
                let kernel = OptimizerKernel.adam(lr: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                                                  weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay,
                                                  step: stepCount)
                if try p.backend.optimizerUpdate(kernel, parameter: p.operand, gradient: grad.operand,
                                                 state: [state.m.operand, state.v.operand]) {
                    continue
                }
                // The default update, from registered ops.
                var g = grad
                var current = p as Tensor
                if weightDecay != 0 {
                    if decoupledWeightDecay {
                        current = try current * (1 - learningRate * weightDecay)
                    } else {
                        g = try g + p * weightDecay
                    }
                }
                let m = try state.m * beta1 + g * (1 - beta1)
                let v = try state.v * beta2 + g * g * (1 - beta2)
                try state.m.assign(m)
                try state.v.assign(v)
                let correction1 = 1 - Foundation.pow(beta1, t)
                let correction2 = 1 - Foundation.pow(beta2, t)
                let denominator = try (v * (1 / correction2)).sqrt() + epsilon
                try p.assign(try current - m * (learningRate / correction1) / denominator)
            }
        }
    }
}
