import MinoCore
import MinoCPU
import MinoKernels

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

    @inline(__always)
    static func sigmoidInPlace<T: BLASFloat>(_ p: UnsafeMutablePointer<T>, _ count: Int) {
        for j in 0..<count { p[j] = BLASMath.sigmoid(p[j]) }
    }

    @inline(__always)
    static func tanhInPlace<T: BLASFloat>(_ p: UnsafeMutablePointer<T>, _ count: Int) {
        for j in 0..<count { p[j] = tanh(p[j]) }
    }

    /// `[T N 6H]`, every step's `[h c i f g o]`. The gate columns are the workspace: one gemm
    /// writes `X W_ihᵀ` there for every step at once, then each step the product adds `h W_hhᵀ`
    /// (h read in place from the previous step's row) and one pass adds the bias `b_ih + b_hh`,
    /// activates the gates and writes `c` and `h`, both for a range of hidden units at a time
    /// (see ``RecurrentStepProduct``).
    static func lstm<T: BLASFloat>(_ s: [CPUStorage], _: T.Type) throws -> CPUStorage {
        let (x, wih, whh, bih, bhh, h0, c0) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6])
        let (steps, n, features, hidden) = (x.shape[0], x.shape[1], x.shape[2], whh.shape[1])
        let width = 6 * hidden, gates = 4 * hidden
        let out = CPUStorage(uninitialized: [steps, n, width], dtype: x.dtype)
        if n == 0 || hidden == 0 { return out }
        let po = out.pointer(T.self), pbi = bih.pointer(T.self), pbh = bhh.pointer(T.self)
        let bias = UnsafeMutablePointer<T>.allocate(capacity: gates)
        let scratch = UnsafeMutablePointer<T>.allocate(capacity: hidden)
        defer {
            bias.deallocate()
            scratch.deallocate()
        }
        for j in 0..<gates { bias[j] = pbi[j] + pbh[j] }
        try BLASLibrary.ensureActive()
        let int32 = BLASMatMul.int32
        if features > 0 {
            let (mi, m4) = (try int32(features, "dimension"), try int32(gates, "dimension"))
            let mw = try int32(width, "dimension")
            T.gemm(transA: false, transB: true, m: try int32(steps * n, "dimension"), n: m4, k: mi, alpha: 1,
                   a: x.pointer(T.self), lda: mi, b: wih.pointer(T.self), ldb: mi, beta: 0, c: po + 2 * hidden, ldc: mw)
        } else {
            for r in 0..<steps * n { (po + r * width + 2 * hidden).update(repeating: 0, count: gates) }
        }
        let product = try RecurrentStepProduct(weight: whh.pointer(T.self), rows: n, hidden: hidden,
                                               direction: .forward(blocks: 4), maximumStride: width)
        for t in 0..<steps {
            let slab = po + t * n * width
            // The state this step reads: h0 and c0, or the previous step's h and c in place.
            let hPrev: UnsafeMutablePointer<T> = t == 0 ? h0.pointer(T.self) : slab - n * width
            let cPrev: UnsafeMutablePointer<T> = t == 0 ? c0.pointer(T.self) : slab - n * width + hidden
            let stride = t == 0 ? hidden : width
            product.forEachUnitRange { units in
                product.accumulate(hPrev, lda: stride, into: slab + 2 * hidden, ldc: width, units: units)
                lstmGates(product.native, rows: n, hidden: hidden, units: units, slab: slab, width: width,
                          bias: bias, cPrev: cPrev, stride: stride, scratch: scratch)
            }
        }
        return out
    }

    /// One step's gate pass over hidden units `units` of every row: the slab's rows `[h c i f g o]`
    /// (stride `width`) from pre-activations less the bias (`[4H]`) to σ(i) σ(f) tanh(g) σ(o),
    /// c' = f·c + i·g, h' = o·tanh c'. The Swift loops (when `native` is false) use `scratch`
    /// and run on one thread only.
    @inline(__always)
    static func lstmGates<T: BLASFloat>(_ native: Bool, rows n: Int, hidden: Int, units: Range<Int>,
                                        slab: UnsafeMutablePointer<T>, width: Int, bias: UnsafePointer<T>,
                                        cPrev: UnsafePointer<T>, stride: Int, scratch: UnsafeMutablePointer<T>) {
        if native {
            mino_lstm_forward_gates(n, hidden, units.lowerBound, units.upperBound, asFloat(slab), width, asFloat(bias),
                                    asFloat(cPrev), stride)
            return
        }
        let (lo, count) = (units.lowerBound, units.count)
        for r in 0..<n {
            let row = slab + r * width + lo, c = cPrev + r * stride + lo
            let (cell, i, f, gg, o) = (row + hidden, row + 2 * hidden, row + 3 * hidden, row + 4 * hidden, row + 5 * hidden)
            for gate in 0..<4 {
                let (pre, b) = (i + gate * hidden, bias + gate * hidden + lo)
                for j in 0..<count { pre[j] += b[j] }
            }
            // Loops over one pointer each where the exponentials are, so they vectorise.
            sigmoidInPlace(i, count)
            sigmoidInPlace(f, count)
            tanhInPlace(gg, count)
            sigmoidInPlace(o, count)
            for j in 0..<count { cell[j] = f[j] * c[j] + i[j] * gg[j] }
            scratch.update(from: cell, count: count)
            tanhInPlace(scratch, count)
            for j in 0..<count { row[j] = o[j] * scratch[j] }
        }
    }

    /// `[T+1 N 4H]`: each step's ∂gates, then `[∂h0 ∂c0 0 0]`, from `weight_hh`, `c0`, lstm's output
    /// `[T N 6H]` and its gradient. Backward through time, each step the product carries ∂h to the
    /// step before (`∂gates W_hh`); ∂c is carried in a row buffer; the gates are read, not recomputed.
    static func lstmBackward<T: BLASFloat>(_ s: [CPUStorage], _: T.Type) throws -> CPUStorage {
        let (whh, c0, out, up) = (s[0], s[1], s[2], s[3])
        let (steps, n, hidden) = (out.shape[0], out.shape[1], whh.shape[1])
        let width = 6 * hidden, gates = 4 * hidden
        let result = CPUStorage(uninitialized: [steps + 1, n, gates], dtype: out.dtype)
        if n == 0 || hidden == 0 { return result }
        let pr = result.pointer(T.self), po = out.pointer(T.self), pu = up.pointer(T.self), pc0 = c0.pointer(T.self)
        try BLASLibrary.ensureActive()
        let product = try RecurrentStepProduct(weight: whh.pointer(T.self), rows: n, hidden: hidden,
                                               direction: .backward(depth: gates), maximumStride: gates)
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
            let slab = po + t * n * width, upSlab = pu + t * n * width, dSlab = pr + t * n * gates
            let cPrev: UnsafeMutablePointer<T> = t == 0 ? pc0 : slab - n * width + hidden
            let cStride = t == 0 ? hidden : width
            product.forEachUnitRange { units in
                // ∂h of this step: its own gradient plus what the next step's gates send back.
                for r in 0..<n {
                    (dh + r * hidden + units.lowerBound).update(from: upSlab + r * width + units.lowerBound,
                                                                count: units.count)
                }
                if t + 1 < steps {
                    product.accumulate(dSlab + n * gates, lda: gates, into: dh, ldc: hidden, units: units)
                }
                lstmBackwardGates(product.native, rows: n, hidden: hidden, units: units, slab: slab, upSlab: upSlab,
                                  width: width, cPrev: cPrev, cStride: cStride, dh: dh, dc: dc, d: dSlab, scratch: scratch)
            }
        }
        // The last row: ∂h0 = ∂gates₀ W_hh, ∂c0 as carried, zeros.
        let last = pr + steps * n * gates
        last.update(repeating: 0, count: n * gates)
        product.forEachUnitRange { units in product.accumulate(pr, lda: gates, into: last, ldc: gates, units: units) }
        for r in 0..<n { (last + r * gates + hidden).update(from: dc + r * hidden, count: hidden) }
        return result
    }

    /// One step's gradient pass over hidden units `units` of every row: ∂c' (carried in `dc`,
    /// left as ∂c'·f) and the ∂ of the pre-activations into `d` rows (stride 4H), from the
    /// slab's `[h c i f g o]` rows, their gradient and the step's full ∂h.
    @inline(__always)
    static func lstmBackwardGates<T: BLASFloat>(_ native: Bool, rows n: Int, hidden: Int, units: Range<Int>,
                                                slab: UnsafePointer<T>, upSlab: UnsafePointer<T>, width: Int,
                                                cPrev: UnsafePointer<T>, cStride: Int,
                                                dh: UnsafeMutablePointer<T>, dc: UnsafeMutablePointer<T>,
                                                d: UnsafeMutablePointer<T>, scratch: UnsafeMutablePointer<T>) {
        if native {
            mino_lstm_backward_gates(n, hidden, units.lowerBound, units.upperBound, asFloat(slab), asFloat(upSlab), width,
                                     asFloat(cPrev), cStride, asFloat(dh), asFloat(dc), asFloat(d))
            return
        }
        let (lo, count, gates) = (units.lowerBound, units.count, 4 * hidden)
        for r in 0..<n {
            let row = slab + r * width + lo, u = upSlab + r * width + lo, dr = d + r * gates + lo
            let previousC = cPrev + r * cStride + lo, dhr = dh + r * hidden + lo, dcr = dc + r * hidden + lo
            scratch.update(from: row + hidden, count: count)
            tanhInPlace(scratch, count)
            // One store target per loop, every access `p[j]` (index arithmetic inside a loop
            // is overflow-checked and stops the vectoriser).
            let (i, f, gg, o, tc) = (row + 2 * hidden, row + 3 * hidden, row + 4 * hidden, row + 5 * hidden, scratch)
            let (uc, ui, uf, ug, uo) = (u + hidden, u + 2 * hidden, u + 3 * hidden, u + 4 * hidden, u + 5 * hidden)
            let (di, df, dg, dO) = (dr, dr + hidden, dr + 2 * hidden, dr + 3 * hidden)
            // ∂c' in full, kept in the carry: from c' itself and through h' = o·tanh c'.
            for j in 0..<count { dcr[j] = uc[j] + dcr[j] + dhr[j] * o[j] * (1 - tc[j] * tc[j]) }
            for j in 0..<count { di[j] = (dcr[j] * gg[j] + ui[j]) * i[j] * (1 - i[j]) }
            for j in 0..<count { df[j] = (dcr[j] * previousC[j] + uf[j]) * f[j] * (1 - f[j]) }
            for j in 0..<count { dg[j] = (dcr[j] * i[j] + ug[j]) * (1 - gg[j] * gg[j]) }
            for j in 0..<count { dO[j] = (dhr[j] * tc[j] + uo[j]) * o[j] * (1 - o[j]) }
            // The carry to the step before: ∂c = ∂c'·f.
            for j in 0..<count { dcr[j] *= f[j] }
        }
    }

    /// A float32 pointer to `p`'s memory, for the native kernels (called only when T is Float).
    @inline(__always)
    static func asFloat<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> {
        UnsafeRawPointer(p).assumingMemoryBound(to: Float.self)
    }

    @inline(__always)
    static func asFloat<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
    }
}

// MARK: - A whole GRU layer over a sequence

extension BLASRecurrent {
    /// `[T N 5H]`, every step's `[h r z n hn]`: one gemm projects every step's input
    /// (`X W_ihᵀ + b_ih`, `[T·N 3H]`), then each step, for a range of hidden units at a time,
    /// the product gives `h W_hhᵀ + b_hh` (h read in place from the previous step's row) and one
    /// pass the gates and h.
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
        if features > 0 {
            let (mi, m3) = (try int32(features, "dimension"), try int32(gates, "dimension"))
            T.gemm(transA: false, transB: true, m: try int32(steps * n, "dimension"), n: m3, k: mi, alpha: 1,
                   a: x.pointer(T.self), lda: mi, b: wih.pointer(T.self), ldb: mi, beta: 1, c: pg, ldc: m3)
        }
        let product = try RecurrentStepProduct(weight: whh.pointer(T.self), rows: n, hidden: hidden,
                                               direction: .forward(blocks: 3), maximumStride: width)
        let recurrent = UnsafeMutablePointer<T>.allocate(capacity: n * gates)
        defer { recurrent.deallocate() }
        for t in 0..<steps {
            let slab = po + t * n * width, projectedSlab = pg + t * n * gates
            let hPrev: UnsafeMutablePointer<T> = t == 0 ? h0.pointer(T.self) : slab - n * width
            let stride = t == 0 ? hidden : width
            product.forEachUnitRange { units in
                for r in 0..<n {
                    for block in 0..<3 {
                        let column = block * hidden + units.lowerBound
                        (recurrent + r * gates + column).update(from: pbh + column, count: units.count)
                    }
                }
                product.accumulate(hPrev, lda: stride, into: recurrent, ldc: gates, units: units)
                gruGates(product.native, rows: n, hidden: hidden, units: units, projected: projectedSlab,
                         recurrent: recurrent, hPrev: hPrev, stride: stride, slab: slab, width: width)
            }
        }
        return out
    }

    /// One step's gate pass over hidden units `units` of every row: r, z = σ(x part + h part),
    /// hn = the h part of n, n = tanh(x part + r·hn), h' = n + z·(h − n), into the slab's rows
    /// `[h r z n hn]` (stride `width`); `projected` and `recurrent` rows are `[r z n]` (stride 3H).
    @inline(__always)
    static func gruGates<T: BLASFloat>(_ native: Bool, rows n: Int, hidden: Int, units: Range<Int>,
                                       projected: UnsafePointer<T>, recurrent: UnsafePointer<T>,
                                       hPrev: UnsafePointer<T>, stride: Int, slab: UnsafeMutablePointer<T>, width: Int) {
        let (lo, count, gates) = (units.lowerBound, units.count, 3 * hidden)
        if native {
            mino_gru_forward_gates(n, hidden, lo, units.upperBound, asFloat(projected), gates, asFloat(recurrent), gates,
                                   asFloat(hPrev), stride, asFloat(slab), width)
            return
        }
        for r in 0..<n {
            let row = slab + r * width + lo, gi = projected + r * gates + lo, gh = recurrent + r * gates + lo
            let hp = hPrev + r * stride + lo
            let (h, reset, z, cand, hn) = (row, row + hidden, row + 2 * hidden, row + 3 * hidden, row + 4 * hidden)
            let (giz, ghz, gin, ghn) = (gi + hidden, gh + hidden, gi + 2 * hidden, gh + 2 * hidden)
            for j in 0..<count { reset[j] = gi[j] + gh[j] }
            for j in 0..<count { z[j] = giz[j] + ghz[j] }
            sigmoidInPlace(reset, count)
            sigmoidInPlace(z, count)
            hn.update(from: ghn, count: count)
            for j in 0..<count { cand[j] = gin[j] + reset[j] * hn[j] }
            tanhInPlace(cand, count)
            for j in 0..<count { h[j] = cand[j] + z[j] * (hp[j] - cand[j]) }
        }
    }

    /// `[T+1 N 4H]`: each step's `[∂r ∂z ∂hn ∂n]`, then `[∂h0 0 0 0]`, from `weight_hh`, `h0`, gru's
    /// output `[T N 5H]` and its gradient. Backward through time, each step the product carries
    /// the step after's `[∂r ∂z ∂hn] W_hh` into ∂h (added to its `∂h'·z`), then the gate pass runs.
    static func gruBackward<T: BLASFloat>(_ s: [CPUStorage], _: T.Type) throws -> CPUStorage {
        let (whh, h0, out, up) = (s[0], s[1], s[2], s[3])
        let (steps, n, hidden) = (out.shape[0], out.shape[1], whh.shape[1])
        let width = 5 * hidden, four = 4 * hidden
        let result = CPUStorage(uninitialized: [steps + 1, n, four], dtype: out.dtype)
        if n == 0 || hidden == 0 { return result }
        let pr = result.pointer(T.self), po = out.pointer(T.self), pu = up.pointer(T.self)
        try BLASLibrary.ensureActive()
        let product = try RecurrentStepProduct(weight: whh.pointer(T.self), rows: n, hidden: hidden,
                                               direction: .backward(depth: 3 * hidden), maximumStride: four)
        let carry = UnsafeMutablePointer<T>.allocate(capacity: n * hidden)
        let dh = UnsafeMutablePointer<T>.allocate(capacity: hidden)
        defer {
            carry.deallocate()
            dh.deallocate()
        }
        carry.initialize(repeating: 0, count: n * hidden)
        for t in (0..<steps).reversed() {
            let slab = po + t * n * width, upSlab = pu + t * n * width, dSlab = pr + t * n * four
            let hPrev: UnsafeMutablePointer<T> = t == 0 ? h0.pointer(T.self) : slab - n * width
            let stride = t == 0 ? hidden : width
            product.forEachUnitRange { units in
                if t + 1 < steps {
                    product.accumulate(dSlab + n * four, lda: four, into: carry, ldc: hidden, units: units)
                }
                gruBackwardGates(product.native, rows: n, hidden: hidden, units: units, slab: slab, upSlab: upSlab,
                                 width: width, hPrev: hPrev, stride: stride, carry: carry, d: dSlab, dh: dh)
            }
        }
        product.forEachUnitRange { units in product.accumulate(pr, lda: four, into: carry, ldc: hidden, units: units) }
        let last = pr + steps * n * four
        last.update(repeating: 0, count: n * four)
        for r in 0..<n { (last + r * four).update(from: carry + r * hidden, count: hidden) }
        return result
    }

    /// One step's gradient pass over hidden units `units` of every row: ∂h = its gradient + the
    /// carry, then `[∂r ∂z ∂hn ∂n]` into `d` rows (stride 4H) and ∂h·z left in the carry. The
    /// Swift loops (when `native` is false) use `dh` (H) and run on one thread only.
    @inline(__always)
    static func gruBackwardGates<T: BLASFloat>(_ native: Bool, rows n: Int, hidden: Int, units: Range<Int>,
                                               slab: UnsafePointer<T>, upSlab: UnsafePointer<T>, width: Int,
                                               hPrev: UnsafePointer<T>, stride: Int, carry: UnsafeMutablePointer<T>,
                                               d: UnsafeMutablePointer<T>, dh: UnsafeMutablePointer<T>) {
        let (lo, count, four) = (units.lowerBound, units.count, 4 * hidden)
        if native {
            mino_gru_backward_gates(n, hidden, lo, units.upperBound, asFloat(slab), asFloat(upSlab), width,
                                    asFloat(hPrev), stride, asFloat(carry), asFloat(d))
            return
        }
        for r in 0..<n {
            let row = slab + r * width + lo, u = upSlab + r * width + lo, dr4 = d + r * four + lo
            let previous = hPrev + r * stride + lo, c = carry + r * hidden + lo
            let (reset, z, cand, hn) = (row + hidden, row + 2 * hidden, row + 3 * hidden, row + 4 * hidden)
            let (ur, uz, un, uhn) = (u + hidden, u + 2 * hidden, u + 3 * hidden, u + 4 * hidden)
            let (dr, dz, dhn, dn) = (dr4, dr4 + hidden, dr4 + 2 * hidden, dr4 + 3 * hidden)
            for j in 0..<count { dh[j] = u[j] + c[j] }
            for j in 0..<count { dn[j] = (dh[j] * (1 - z[j]) + un[j]) * (1 - cand[j] * cand[j]) }
            for j in 0..<count { dr[j] = (dn[j] * hn[j] + ur[j]) * reset[j] * (1 - reset[j]) }
            for j in 0..<count { dz[j] = (dh[j] * (previous[j] - cand[j]) + uz[j]) * z[j] * (1 - z[j]) }
            for j in 0..<count { dhn[j] = dn[j] * reset[j] + uhn[j] }
            for j in 0..<count { c[j] = dh[j] * z[j] }
        }
    }
}
