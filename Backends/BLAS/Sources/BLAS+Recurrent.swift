import MinoCore
import MinoCPU

/// The LSTM cell and its gradient as single passes over a row of gates, with
/// the blas sigmoid and a vectorisable tanh (they agree with the composite
/// defaults within the conformance tolerances).
enum BLASRecurrent {
    /// tanh x = 1 − 2/(e^(2x) + 1) with the vectorisable exponential: within a few float32 ulps
    /// absolutely of the C library's tanh (libm's scalar tanhf took a fifth of an LSTM step).
    @inline(__always)
    static func tanh<T: BLASFloat>(_ x: T) -> T { 1 - 2 / (T.vectorExp(2 * x) + 1) }

    /// `[h' c']` `[N 2H]` from pre-activations `[N 4H]` (i f g o) and `c` `[N H]`.
    static func cell<T: BLASFloat>(_ inputs: [Operand], _: T.Type) throws -> CPUStorage? {
        guard inputs.count == 2 else { return nil }
        let a = CPUTransfer.contiguous(try inputs[0].cpu()), c = CPUTransfer.contiguous(try inputs[1].cpu())
        let (n, h) = (c.shape[0], c.shape[1])
        let out = CPUStorage(uninitialized: [n, 2 * h], dtype: a.dtype)
        let pa = a.pointer(T.self), pc = c.pointer(T.self), po = out.pointer(T.self)
        for r in 0..<n {
            let g = pa + r * 4 * h, cr = pc + r * h, hr = po + r * 2 * h, cn = hr + h
            for j in 0..<h {
                let i = BLASMath.sigmoid(g[j]), f = BLASMath.sigmoid(g[h + j])
                let gg = tanh(g[2 * h + j]), o = BLASMath.sigmoid(g[3 * h + j])
                let cell = f * cr[j] + i * gg
                cn[j] = cell
                hr[j] = o * tanh(cell)
            }
        }
        return out
    }

    /// `[∂gates ∂c]` `[N 5H]` from pre-activations `[N 4H]`, `c` `[N H]` and `∂[h' c']` `[N 2H]`.
    static func cellBackward<T: BLASFloat>(_ inputs: [Operand], _: T.Type) throws -> CPUStorage? {
        guard inputs.count == 3 else { return nil }
        let a = CPUTransfer.contiguous(try inputs[0].cpu()), c = CPUTransfer.contiguous(try inputs[1].cpu())
        let up = CPUTransfer.contiguous(try inputs[2].cpu())
        let (n, h) = (c.shape[0], c.shape[1])
        let out = CPUStorage(uninitialized: [n, 5 * h], dtype: a.dtype)
        let pa = a.pointer(T.self), pc = c.pointer(T.self), pu = up.pointer(T.self), po = out.pointer(T.self)
        for r in 0..<n {
            let g = pa + r * 4 * h, cr = pc + r * h, dh = pu + r * 2 * h, dc = dh + h, d = po + r * 5 * h
            for j in 0..<h {
                let i = BLASMath.sigmoid(g[j]), f = BLASMath.sigmoid(g[h + j])
                let gg = tanh(g[2 * h + j]), o = BLASMath.sigmoid(g[3 * h + j])
                let tc = tanh(f * cr[j] + i * gg)
                // dc' = dc + dh·o·(1 − tanh²c')
                let total = dc[j] + dh[j] * o * (1 - tc * tc)
                d[j] = total * gg * i * (1 - i)
                d[h + j] = total * cr[j] * f * (1 - f)
                d[2 * h + j] = total * i * (1 - gg * gg)
                d[3 * h + j] = dh[j] * tc * o * (1 - o)
                d[4 * h + j] = total * f
            }
        }
        return out
    }
}
