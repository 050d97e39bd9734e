import MinoCore

/// Updates parameters from their gradients.
public protocol Optimizer: AnyObject {
    var parameters: [Tensor] { get }
    /// The step size; schedules may change it between steps.
    var learningRate: Double { get set }
    /// One update of every parameter that has a gradient.
    func step() throws
}

extension Optimizer {
    /// Forgets every parameter's gradient.
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}

/// The optimizers `mino train --optimizer` knows.
public enum OptimizerKind: String, CaseIterable, Sendable {
    case sgd, adam, adamw

    /// Parses a name, case-insensitively.
    ///
    /// - Throws: ``MinoError`` `.unknownName` listing the choices.
    public init(parsing name: String) throws {
        guard let kind = OptimizerKind(rawValue: name.lowercased()) else {
            throw MinoError(.unknownName, "unknown optimizer '\(name)'; choose one of "
                            + OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = kind
    }
}

/// Checks that `gradient` can update `parameter`: on its backend, of its shape
/// and dtype. Checked before any backend's in-place update, so every backend
/// refuses the same gradients (a CPU backend could otherwise read another
/// CPU backend's storage).
func checkGradient(_ name: String, _ parameter: Tensor, _ gradient: Tensor) throws {
    guard gradient.backend === parameter.backend else {
        throw MinoError(.backend, "\(name): the gradient of \(parameter.name ?? "a parameter") is on "
                        + "\(gradient.backend.name), the parameter on \(parameter.backend.name); move one with `to(_:)`")
    }
    guard gradient.shape == parameter.shape, gradient.dtype == parameter.dtype else {
        throw MinoError(.argument, "\(name): the gradient of \(parameter.name ?? "a parameter") is \(gradient.dtype) "
                        + "\(gradient.shape), the parameter \(parameter.dtype) \(parameter.shape)")
    }
}

/// Checks hyperparameters shared by the optimizers.
func checkOptimizer(_ name: String, learningRate: Double, weightDecay: Double) throws {
    guard learningRate.isFinite, learningRate >= 0 else {
        throw MinoError.argument(name, "learning rate \(learningRate) must be a finite number ≥ 0")
    }
    guard weightDecay.isFinite, weightDecay >= 0 else {
        throw MinoError.argument(name, "weight decay \(weightDecay) must be a finite number ≥ 0")
    }
}
