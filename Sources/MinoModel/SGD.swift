import MinoCore

/// Stochastic gradient descent with momentum, Nesterov momentum and weight
/// decay, as PyTorch's `torch.optim.SGD` (dampening 0):
/// `g ← ∇ + λp`, `v ← μv + g`, `p ← p − η·(nesterov ? g + μv : v)`.
public final class SGD: Optimizer {
    public let parameters: [Tensor]
    public var learningRate: Double
    public let momentum: Double
    public let weightDecay: Double
    public let nesterov: Bool
    private var velocity: [ObjectIdentifier: Tensor] = [:]

    public init(_ parameters: [Tensor], learningRate: Double, momentum: Double = 0, weightDecay: Double = 0,
                nesterov: Bool = false) throws {
        try checkOptimizer("SGD", learningRate: learningRate, weightDecay: weightDecay)
        guard momentum.isFinite, momentum >= 0 else {
            throw MinoError.argument("SGD", "momentum \(momentum) must be a finite number ≥ 0")
        }
        guard !nesterov || momentum > 0 else {
            throw MinoError.argument("SGD", "Nesterov momentum needs a momentum > 0")
        }
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func step() throws {
        try GradMode.withoutGradients {
            for p in parameters {
                guard let grad = p.grad else { continue }
                try checkGradient("SGD", p, grad)
                let key = ObjectIdentifier(p)
                var state: [Tensor] = []
                if momentum != 0 {
                    let v = try velocity[key] ?? Tensor.zeros(p.shape, dtype: p.dtype, on: p.backend)
                    velocity[key] = v
                    state = [v]
                }
                let kernel = OptimizerKernel.sgd(lr: learningRate, momentum: momentum, weightDecay: weightDecay,
                                                 nesterov: nesterov)
                if try p.backend.optimizerUpdate(kernel, parameter: p.operand, gradient: grad.operand,
                                                 state: state.map(\.operand)) {
                    continue
                }
                // The default update, from registered ops.
                var g = grad
                if weightDecay != 0 { g = try g + p * weightDecay }
                if let v = state.first {
                    let updated = try v * momentum + g
                    try v.assign(updated)
                    g = nesterov ? try g + updated * momentum : updated
                }
                try p.assign(try p - g * learningRate)
            }
        }
    }
}
