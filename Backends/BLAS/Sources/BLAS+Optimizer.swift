import MinoCore
import MinoCPU
import RealModule
import MinoKernels

extension BLASBackend {
    /// SGD and Adam as one pass over each parameter, in place: no temporaries.
    /// Returns false (the caller runs its op-based update) unless the parameter,
    /// gradient and state are contiguous float tensors of one size.
    public func optimizerUpdate(_ kernel: OptimizerKernel, parameter: Operand, gradient: Operand,
                                state: [Operand]) throws -> Bool {
        let p = try parameter.cpu(), g = try gradient.cpu()
        let states = try state.map { try $0.cpu() }
        let n = p.shape.elementCount
        guard p.dtype.isFloatingPoint, p.isContiguous, g.isContiguous, g.dtype == p.dtype, g.shape.elementCount == n,
              states.allSatisfy({ $0.isContiguous && $0.dtype == p.dtype && $0.shape.elementCount == n }) else {
            return false
        }
        switch p.dtype {
        case .float32: return BLASOptimizer.update(kernel, p, g, states, Float.self)
        case .float64: return BLASOptimizer.update(kernel, p, g, states, Double.self)
        case .int64: return false
        }
    }
}

/// The in-place update loops, with PyTorch's formulas (`torch.optim.SGD`, `Adam`, `AdamW`).
enum BLASOptimizer {
    static func update<T: BLASFloat>(_ kernel: OptimizerKernel, _ param: CPUStorage, _ grad: CPUStorage,
                                     _ state: [CPUStorage], _: T.Type) -> Bool {
        let n = param.shape.elementCount
        let p = param.pointer(T.self), g = grad.pointer(T.self)
        switch kernel {
        case let .sgd(lr, momentum, weightDecay, nesterov):
            let (rate, mu, decay) = (T(lr), T(momentum), T(weightDecay))
            if momentum == 0 {
                for i in 0..<n { p[i] -= rate * (g[i] + decay * p[i]) }
                return true
            }
            guard state.count == 1 else { return false }
            let v = state[0].pointer(T.self)
            if nesterov {
                for i in 0..<n {
                    let gi = g[i] + decay * p[i]
                    let vi = mu * v[i] + gi
                    v[i] = vi
                    p[i] -= rate * (gi + mu * vi)
                }
            } else {
                for i in 0..<n {
                    let vi = mu * v[i] + (g[i] + decay * p[i])
                    v[i] = vi
                    p[i] -= rate * vi
                }
            }
            return true

        case let .adam(lr, beta1, beta2, epsilon, weightDecay, decoupled, step):
            guard state.count == 2, step >= 1 else { return false }
            let correction1 = 1 - Double.pow(beta1, Double(step))
            let correction2 = 1 - Double.pow(beta2, Double(step))
            // AdamW shrinks the weights first (`shrink`); Adam adds the decay to the gradient (`coupled`).
            if T.self == Float.self, NativeKernels.isEnabled {
                let constants = MinoAdamStep(
                    beta1: Float(beta1), beta2: Float(beta2), oneMinusBeta1: Float(1 - beta1),
                    oneMinusBeta2: Float(1 - beta2), stepSize: Float(lr / correction1),
                    rootCorrection2: Float(correction2.squareRoot()), epsilon: Float(epsilon),
                    shrink: decoupled ? Float(1 - lr * weightDecay) : 1, coupled: decoupled ? 0 : Float(weightDecay))
                let (pf, gf, mf, vf) = (param.pointer(Float.self), grad.pointer(Float.self),
                                        state[0].pointer(Float.self), state[1].pointer(Float.self))
                ParallelLoop.forEachChunk(count: n, minimumChunk: 1 << 15) { r in
                    let o = r.lowerBound
                    mino_adam_f32(r.count, pf + o, gf + o, mf + o, vf + o, constants)
                }
                return true
            }
            let m = state[0].pointer(T.self), v = state[1].pointer(T.self)
            let stepSize = T(lr / correction1)
            let rootCorrection2 = T(correction2.squareRoot())
            let (b1, b2, eps) = (T(beta1), T(beta2), T(epsilon))
            let (oneMinusB1, oneMinusB2) = (T(1 - beta1), T(1 - beta2))
            let shrink = decoupled ? T(1 - lr * weightDecay) : 1
            let coupled = decoupled ? 0 : T(weightDecay)
            // Eight lanes at a time with SIMD types: a scalar `squareRoot()` compiles to
            // sqrtss plus a branch to the C library for negative inputs, which keeps the
            // compiler from vectorising the loop (it was 3 ns per element).
            typealias V = SIMD8<T>
            var i = 0
            while i + 8 <= n {
                let pv = load(p + i, V.self), gv = load(g + i, V.self)
                let mv = b1 * load(m + i, V.self) + oneMinusB1 * (gv + coupled * pv)
                let gd = gv + coupled * pv
                let vv = b2 * load(v + i, V.self) + oneMinusB2 * gd * gd
                store(mv, m + i)
                store(vv, v + i)
                store(pv * shrink - stepSize * mv / (vv.squareRoot() / rootCorrection2 + eps), p + i)
                i += 8
            }
            while i < n {
                let pi = p[i] * shrink
                let gi = g[i] + coupled * p[i]
                let mi = b1 * m[i] + oneMinusB1 * gi
                let vi = b2 * v[i] + oneMinusB2 * gi * gi
                m[i] = mi
                v[i] = vi
                p[i] = pi - stepSize * mi / (vi.squareRoot() / rootCorrection2 + eps)
                i += 1
            }
            return true
        }
    }

    @inline(__always)
    static func load<T: BLASFloat>(_ p: UnsafeMutablePointer<T>, _: SIMD8<T>.Type) -> SIMD8<T> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
    }

    @inline(__always)
    static func store<T: BLASFloat>(_ value: SIMD8<T>, _ p: UnsafeMutablePointer<T>) {
        UnsafeMutableRawPointer(p).storeBytes(of: value, as: SIMD8<T>.self)
    }
}
