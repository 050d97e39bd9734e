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

// MARK: - A whole LSTM layer over a sequence

extension BLASRecurrent {
    static func sequence<T: BLASFloat>(_ kernel: FusedKernel, _ inputs: [Operand], _: T.Type) throws -> CPUStorage? {
        let stores = try inputs.map { CPUTransfer.contiguous(try $0.cpu()) }
        switch (kernel, stores.count) {
        case (.lstm, 7): return try lstm(stores, T.self)
        case (.lstmBackward, 4): return try lstmBackward(stores, T.self)
        case (.gru, 6): return try gru(stores, T.self)
        case (.gruBackward, 4): return try gruBackward(stores, T.self)
        default: return nil
        }
    }

    /// Pre-activations `i f g o` (`[4H]`) to activations in place: σ, σ, tanh, σ.
    @inline(__always)
    static func activateGates<T: BLASFloat>(_ g: UnsafeMutablePointer<T>, _ hidden: Int) {
        let (count, o) = (2 * hidden, g + 3 * hidden)
        for j in 0..<count { g[j] = BLASMath.sigmoid(g[j]) }
        tanhInPlace(g + 2 * hidden, hidden)
        for j in 0..<hidden { o[j] = BLASMath.sigmoid(o[j]) }
    }

    @inline(__always)
    static func tanhInPlace<T: BLASFloat>(_ p: UnsafeMutablePointer<T>, _ count: Int) {
        for j in 0..<count { p[j] = tanh(p[j]) }
    }

    /// `[T N 6H]`, every step's `[h c i f g o]`. The gate columns are the workspace: the bias
    /// `b_ih + b_hh` is written there, one gemm adds `X W_ihᵀ` for every step at once, then
    /// each step one gemm adds `h W_hhᵀ` (h read in place from the previous step's row) and
    /// one pass activates the gates and writes `c` and `h`. Nothing else is allocated.
    static func lstm<T: BLASFloat>(_ s: [CPUStorage], _: T.Type) throws -> CPUStorage {
        let (x, wih, whh, bih, bhh, h0, c0) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6])
        let (steps, n, features, hidden) = (x.shape[0], x.shape[1], x.shape[2], whh.shape[1])
        let width = 6 * hidden, gates = 4 * hidden
        let out = CPUStorage(uninitialized: [steps, n, width], dtype: x.dtype)
        if n == 0 || hidden == 0 { return out }
        let po = out.pointer(T.self), pbi = bih.pointer(T.self), pbh = bhh.pointer(T.self)
        let bias = po + 2 * hidden
        for j in 0..<gates { bias[j] = pbi[j] + pbh[j] }
        for r in 1..<Swift.max(steps * n, 1) { (bias + r * width).update(from: bias, count: gates) }
        try BLASLibrary.ensureActive()
        let int32 = BLASMatMul.int32
        let (m4, mh, mw) = (try int32(gates, "dimension"), try int32(hidden, "dimension"), try int32(width, "dimension"))
        if features > 0 {
            let mi = try int32(features, "dimension")
            T.gemm(transA: false, transB: true, m: try int32(steps * n, "dimension"), n: m4, k: mi, alpha: 1,
                   a: x.pointer(T.self), lda: mi, b: wih.pointer(T.self), ldb: mi, beta: 1, c: po + 2 * hidden, ldc: mw)
        }
        let mn = try int32(n, "dimension")
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: hidden)
        defer { scratch.deallocate() }
        for t in 0..<steps {
            let slab = po + t * n * width
            // The state this step reads: h0 and c0, or the previous step's h and c in place.
            let (hPrev, cPrev, stride) = t == 0 ? (h0.pointer(T.self), c0.pointer(T.self), hidden)
                : (slab - n * width, slab - n * width + hidden, width)
            T.gemm(transA: false, transB: true, m: mn, n: m4, k: mh, alpha: 1, a: hPrev,
                   lda: try int32(stride, "leading dimension"), b: whh.pointer(T.self), ldb: mh,
                   beta: 1, c: slab + 2 * hidden, ldc: mw)
            for r in 0..<n {
                let row = slab + r * width, g = row + 2 * hidden, c = cPrev + r * stride
                // Loops over one pointer each where the exponentials are, so they vectorise.
                activateGates(g, hidden)
                let (i, f, gg, o, cell) = (g, g + hidden, g + 2 * hidden, g + 3 * hidden, row + hidden)
                for j in 0..<hidden { cell[j] = f[j] * c[j] + i[j] * gg[j] }
                scratch.update(from: cell, count: hidden)
                tanhInPlace(scratch, hidden)
                for j in 0..<hidden { row[j] = o[j] * scratch[j] }
            }
        }
        return out
    }

    /// `[T+1 N 4H]`: each step's ∂gates, then `[∂h0 ∂c0 0 0]`, from `weight_hh`, `c0`, lstm's output
    /// `[T N 6H]` and its gradient. Backward through time, one gemm per step carries ∂h to the
    /// step before (`∂gates W_hh`); ∂c is carried in a row buffer; the gates are read, not recomputed.
    static func lstmBackward<T: BLASFloat>(_ s: [CPUStorage], _: T.Type) throws -> CPUStorage {
        let (whh, c0, out, up) = (s[0], s[1], s[2], s[3])
        let (steps, n, hidden) = (out.shape[0], out.shape[1], whh.shape[1])
        let width = 6 * hidden, gates = 4 * hidden
        let result = CPUStorage(uninitialized: [steps + 1, n, gates], dtype: out.dtype)
        if n == 0 || hidden == 0 { return result }
        let pr = result.pointer(T.self), po = out.pointer(T.self), pu = up.pointer(T.self)
        let pw = whh.pointer(T.self), pc0 = c0.pointer(T.self)
        try BLASLibrary.ensureActive()
        let int32 = BLASMatMul.int32
        let (mn, m4, mh) = (try int32(n, "dimension"), try int32(gates, "dimension"), try int32(hidden, "dimension"))
        let dh = UnsafeMutablePointer<T>.allocate(capacity: n * hidden)
        let dc = UnsafeMutablePointer<T>.allocate(capacity: n * hidden)
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: hidden)
        defer {
            dh.deallocate()
            dc.deallocate()
            scratch.deallocate()
        }
        dc.initialize(repeating: 0, count: n * hidden)
        dh.initialize(repeating: 0, count: n * hidden)
        for t in (0..<steps).reversed() {
            // ∂h of this step: its own gradient plus what the next step's gates send back.
            for r in 0..<n { (dh + r * hidden).update(from: pu + (t * n + r) * width, count: hidden) }
            if t + 1 < steps {
                T.gemm(transA: false, transB: false, m: mn, n: mh, k: m4, alpha: 1, a: pr + (t + 1) * n * gates,
                       lda: m4, b: pw, ldb: mh, beta: 1, c: dh, ldc: mh)
            }
            for r in 0..<n {
                let row = po + (t * n + r) * width, u = pu + (t * n + r) * width, d = pr + (t * n + r) * gates
                let g = row + 2 * hidden, previousC = t == 0 ? pc0 + r * hidden : row - n * width + hidden
                let dhr = dh + r * hidden, dcr = dc + r * hidden
                scratch.update(from: row + hidden, count: hidden)
                tanhInPlace(scratch, hidden)
                // One store target per loop, every access `p[j]` (index arithmetic inside a loop
                // is overflow-checked and stops the vectoriser).
                let (i, f, gg, o, tc) = (g, g + hidden, g + 2 * hidden, g + 3 * hidden, scratch)
                let (uc, ui, uf, ug, uo) = (u + hidden, u + 2 * hidden, u + 3 * hidden, u + 4 * hidden, u + 5 * hidden)
                let (di, df, dg, dO) = (d, d + hidden, d + 2 * hidden, d + 3 * hidden)
                // ∂c' in full, kept in the carry: from c' itself and through h' = o·tanh c'.
                for j in 0..<hidden { dcr[j] = uc[j] + dcr[j] + dhr[j] * o[j] * (1 - tc[j] * tc[j]) }
                for j in 0..<hidden { di[j] = (dcr[j] * gg[j] + ui[j]) * i[j] * (1 - i[j]) }
                for j in 0..<hidden { df[j] = (dcr[j] * previousC[j] + uf[j]) * f[j] * (1 - f[j]) }
                for j in 0..<hidden { dg[j] = (dcr[j] * i[j] + ug[j]) * (1 - gg[j] * gg[j]) }
                for j in 0..<hidden { dO[j] = (dhr[j] * tc[j] + uo[j]) * o[j] * (1 - o[j]) }
                // The carry to the step before: ∂c = ∂c'·f.
                for j in 0..<hidden { dcr[j] *= f[j] }
            }
        }
        // The last row: ∂h0 = ∂gates₀ W_hh, ∂c0 as carried, zeros.
        let last = pr + steps * n * gates
        last.update(repeating: 0, count: n * gates)
        T.gemm(transA: false, transB: false, m: mn, n: mh, k: m4, alpha: 1, a: pr, lda: m4, b: pw, ldb: mh,
               beta: 0, c: last, ldc: m4)
        for r in 0..<n { (last + r * gates + hidden).update(from: dc + r * hidden, count: hidden) }
        return result
    }
}

// MARK: - A whole GRU layer over a sequence

extension BLASRecurrent {
    /// `[T N 5H]`, every step's `[h r z n hn]`: one gemm projects every step's input
    /// (`X W_ihᵀ + b_ih`, `[T·N 3H]`), then each step one gemm gives `h W_hhᵀ + b_hh` (h read in
    /// place from the previous step's row) and one pass the gates and h.
    static func gru<T: BLASFloat>(_ s: [CPUStorage], _: T.Type) throws -> CPUStorage {
        let (x, wih, whh, bih, bhh, h0) = (s[0], s[1], s[2], s[3], s[4], s[5])
        let (steps, n, features, hidden) = (x.shape[0], x.shape[1], x.shape[2], whh.shape[1])
        let width = 5 * hidden, gates = 3 * hidden
        let out = CPUStorage(uninitialized: [steps, n, width], dtype: x.dtype)
        if n == 0 || hidden == 0 { return out }
        let projected = CPUStorage(uninitialized: [steps * n, gates], dtype: x.dtype)
        let po = out.pointer(T.self), pg = projected.pointer(T.self)
        let pbi = bih.pointer(T.self), pbh = bhh.pointer(T.self)
        for r in 0..<steps * n { (pg + r * gates).update(from: pbi, count: gates) }
        try BLASLibrary.ensureActive()
        let int32 = BLASMatMul.int32
        let (m3, mh, mn) = (try int32(gates, "dimension"), try int32(hidden, "dimension"), try int32(n, "dimension"))
        if features > 0 {
            let mi = try int32(features, "dimension")
            T.gemm(transA: false, transB: true, m: try int32(steps * n, "dimension"), n: m3, k: mi, alpha: 1,
                   a: x.pointer(T.self), lda: mi, b: wih.pointer(T.self), ldb: mi, beta: 1, c: pg, ldc: m3)
        }
        let recurrent = UnsafeMutablePointer<T>.allocate(capacity: n * gates)
        defer { recurrent.deallocate() }
        for t in 0..<steps {
            let slab = po + t * n * width
            let (hPrev, stride) = t == 0 ? (h0.pointer(T.self), hidden) : (slab - n * width, width)
            for r in 0..<n { (recurrent + r * gates).update(from: pbh, count: gates) }
            T.gemm(transA: false, transB: true, m: mn, n: m3, k: mh, alpha: 1, a: hPrev,
                   lda: try int32(stride, "leading dimension"), b: whh.pointer(T.self), ldb: mh,
                   beta: 1, c: recurrent, ldc: m3)
            for r in 0..<n {
                let row = slab + r * width, gi = pg + (t * n + r) * gates, gh = recurrent + r * gates
                let hp = hPrev + r * stride
                let (h, rz, reset, z, cand, hn) = (row, row + hidden, row + hidden, row + 2 * hidden, row + 3 * hidden,
                                                   row + 4 * hidden)
                let (gin, ghn, count) = (gi + 2 * hidden, gh + 2 * hidden, 2 * hidden)
                for j in 0..<count { rz[j] = gi[j] + gh[j] }
                for j in 0..<count { rz[j] = BLASMath.sigmoid(rz[j]) }
                hn.update(from: ghn, count: hidden)
                for j in 0..<hidden { cand[j] = gin[j] + reset[j] * hn[j] }
                tanhInPlace(cand, hidden)
                for j in 0..<hidden { h[j] = cand[j] + z[j] * (hp[j] - cand[j]) }
            }
        }
        return out
    }

    /// `[T+1 N 4H]`: each step's `[∂r ∂z ∂hn ∂n]`, then `[∂h0 0 0 0]`, from `weight_hh`, `h0`, gru's
    /// output `[T N 5H]` and its gradient. Backward through time, one gemm per step carries ∂h to
    /// the step before (`[∂r ∂z ∂hn] W_hh`, added to `∂h'·z`).
    static func gruBackward<T: BLASFloat>(_ s: [CPUStorage], _: T.Type) throws -> CPUStorage {
        let (whh, h0, out, up) = (s[0], s[1], s[2], s[3])
        let (steps, n, hidden) = (out.shape[0], out.shape[1], whh.shape[1])
        let width = 5 * hidden, four = 4 * hidden
        let result = CPUStorage(uninitialized: [steps + 1, n, four], dtype: out.dtype)
        if n == 0 || hidden == 0 { return result }
        let pr = result.pointer(T.self), po = out.pointer(T.self), pu = up.pointer(T.self), pw = whh.pointer(T.self)
        try BLASLibrary.ensureActive()
        let int32 = BLASMatMul.int32
        let (mn, m3, m4, mh) = (try int32(n, "dimension"), try int32(3 * hidden, "dimension"),
                                try int32(four, "dimension"), try int32(hidden, "dimension"))
        let carry = UnsafeMutablePointer<T>.allocate(capacity: n * hidden)
        let dh = UnsafeMutablePointer<T>.allocate(capacity: hidden)
        defer {
            carry.deallocate()
            dh.deallocate()
        }
        carry.initialize(repeating: 0, count: n * hidden)
        for t in (0..<steps).reversed() {
            for r in 0..<n {
                let row = po + (t * n + r) * width, u = pu + (t * n + r) * width, d = pr + (t * n + r) * four
                let previous = t == 0 ? h0.pointer(T.self) + r * hidden : row - n * width
                let c = carry + r * hidden
                let (reset, z, cand, hn) = (row + hidden, row + 2 * hidden, row + 3 * hidden, row + 4 * hidden)
                let (ur, uz, un, uhn) = (u + hidden, u + 2 * hidden, u + 3 * hidden, u + 4 * hidden)
                let (dr, dz, dhn, dn) = (d, d + hidden, d + 2 * hidden, d + 3 * hidden)
                for j in 0..<hidden { dh[j] = u[j] + c[j] }
                for j in 0..<hidden { dn[j] = (dh[j] * (1 - z[j]) + un[j]) * (1 - cand[j] * cand[j]) }
                for j in 0..<hidden { dr[j] = (dn[j] * hn[j] + ur[j]) * reset[j] * (1 - reset[j]) }
                for j in 0..<hidden { dz[j] = (dh[j] * (previous[j] - cand[j]) + uz[j]) * z[j] * (1 - z[j]) }
                for j in 0..<hidden { dhn[j] = dn[j] * reset[j] + uhn[j] }
                for j in 0..<hidden { c[j] = dh[j] * z[j] }
            }
            T.gemm(transA: false, transB: false, m: mn, n: mh, k: m3, alpha: 1, a: pr + t * n * four, lda: m4,
                   b: pw, ldb: mh, beta: 1, c: carry, ldc: mh)
        }
        let last = pr + steps * n * four
        last.update(repeating: 0, count: n * four)
        for r in 0..<n { (last + r * four).update(from: carry + r * hidden, count: hidden) }
        return result
    }
}
