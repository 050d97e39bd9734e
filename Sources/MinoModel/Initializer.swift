import Foundation
import MinoCore

/// How a parameter's first values are drawn (by Mino's generator, so the
/// same seed gives the same weights on every backend).
public enum Initializer: Sendable, Equatable {
    case zeros
    case constant(Double)
    case normal(mean: Double, std: Double)
    case uniform(low: Double, high: Double)
    /// Glorot & Bengio: U(±√(6 / (fanIn + fanOut))) · gain.
    case xavierUniform(gain: Double)
    /// Glorot & Bengio: N(0, gain · √(2 / (fanIn + fanOut))).
    case xavierNormal(gain: Double)
    /// He et al.: U(±gain · √(3 / fanIn)), gain √2 for ReLU.
    case kaimingUniform(gain: Double)
    /// He et al.: N(0, gain / √fanIn).
    case kaimingNormal(gain: Double)

    /// PyTorch's `nn.Linear` default: U(±1/√fanIn) for weight and bias
    /// (kaiming uniform with a = √5 gives the same bound).
    public static func linearDefault(fanIn: Int) -> Initializer {
        let bound = 1 / Foundation.sqrt(Double(Swift.max(fanIn, 1)))
        return .uniform(low: -bound, high: bound)
    }

    /// The gain PyTorch recommends for a nonlinearity.
    public static func gain(for activation: Activation) -> Double {
        switch activation {
        case .relu: return Foundation.sqrt(2)
        case .tanh: return 5.0 / 3.0
        case .sigmoid, .identity: return 1
        }
    }

    /// Values for a parameter of `shape`; fan-in and fan-out as PyTorch computes them
    /// (`[out, in, …]`: fanIn = in·receptive field, fanOut = out·receptive field).
    public func values(_ shape: Shape, generator: RandomGenerator) -> [Double] {
        let n = shape.elementCount
        let receptive = shape.rank > 2 ? shape.dims[2...].reduce(1, *) : 1
        let fanIn = shape.rank >= 2 ? shape[1] * receptive : Swift.max(shape.dims.first ?? 1, 1)
        let fanOut = shape.rank >= 2 ? shape[0] * receptive : Swift.max(shape.dims.first ?? 1, 1)
        switch self {
        case .zeros: return [Double](repeating: 0, count: n)
        case .constant(let v): return [Double](repeating: v, count: n)
        case .normal(let mean, let std): return generator.normal(count: n, mean: mean, std: std)
        case .uniform(let low, let high): return generator.uniform(count: n, low: low, high: high)
        case .xavierUniform(let gain):
            let bound = gain * Foundation.sqrt(6 / Double(Swift.max(fanIn + fanOut, 1)))
            return generator.uniform(count: n, low: -bound, high: bound)
        case .xavierNormal(let gain):
            return generator.normal(count: n, mean: 0, std: gain * Foundation.sqrt(2 / Double(Swift.max(fanIn + fanOut, 1))))
        case .kaimingUniform(let gain):
            let bound = gain * Foundation.sqrt(3 / Double(Swift.max(fanIn, 1)))
            return generator.uniform(count: n, low: -bound, high: bound)
        case .kaimingNormal(let gain):
            return generator.normal(count: n, mean: 0, std: gain / Foundation.sqrt(Double(Swift.max(fanIn, 1))))
        }
    }

    /// A new parameter tensor (a leaf that requires gradients).
    public func makeParameter(_ shape: Shape, dtype: DType, generator: RandomGenerator,
                              on backend: (any Backend)?, name: String) throws -> Tensor {
        guard dtype.isFloatingPoint else {
            throw MinoError.dtype("parameter \(name)", "parameters must be floating point, got \(dtype)")
        }
        let t = try Tensor(doubles: values(try shape.allocatable(.float64, for: name), generator: generator), shape: shape,
                           dtype: dtype, on: backend, requiresGrad: true)
        t.name = name
        return t
    }
}
