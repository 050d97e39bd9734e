// The LSTM and GRU gate passes over 16 hidden units at a time (the last vector masked).

#include <immintrin.h>
#include "KernelRecurrent.h"

#pragma clang attribute push(__attribute__((target("arch=x86-64-v4"))), apply_to = function)
#include "Vector.h"

/// The lanes of the 16 units from `j` that are before `end`.
MINO_INLINE __mmask16 lanes(ptrdiff_t j, ptrdiff_t end) {
    return end - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (end - j)) - 1);
}

MINO_INLINE MinoF16 load(const float *p, __mmask16 mask) { return (MinoF16)_mm512_maskz_loadu_ps(mask, p); }
MINO_INLINE void store(float *p, MinoF16 v, __mmask16 mask) { _mm512_mask_storeu_ps(p, mask, (__m512)v); }

void mino_lstm_forward_gates(ptrdiff_t rows, ptrdiff_t hidden, ptrdiff_t first, ptrdiff_t end,
                             float *state, ptrdiff_t stateStride, const float *bias,
                             const float *previousCell, ptrdiff_t previousStride) {
    const float *bi = bias, *bf = bi + hidden, *bg = bf + hidden, *bo = bg + hidden;
    for (ptrdiff_t r = 0; r < rows; r++) {
        float *h = state + r * stateStride, *c = h + hidden, *i = c + hidden, *f = i + hidden, *g = f + hidden,
              *o = g + hidden;
        const float *cp = previousCell + r * previousStride;
        for (ptrdiff_t j = first; j < end; j += 16) {
            const __mmask16 m = lanes(j, end);
            const MinoF16 ia = mino_sigmoid(load(i + j, m) + load(bi + j, m));
            const MinoF16 fa = mino_sigmoid(load(f + j, m) + load(bf + j, m));
            const MinoF16 ga = mino_tanh(load(g + j, m) + load(bg + j, m));
            const MinoF16 oa = mino_sigmoid(load(o + j, m) + load(bo + j, m));
            const MinoF16 cell = fa * load(cp + j, m) + ia * ga;
            store(i + j, ia, m);
            store(f + j, fa, m);
            store(g + j, ga, m);
            store(o + j, oa, m);
            store(c + j, cell, m);
            store(h + j, oa * mino_tanh(cell), m);
        }
    }
}

void mino_lstm_backward_gates(ptrdiff_t rows, ptrdiff_t hidden, ptrdiff_t first, ptrdiff_t end,
                              const float *state, const float *upstream, ptrdiff_t stateStride,
                              const float *previousCell, ptrdiff_t previousStride,
                              const float *dh, float *dc, float *dgates) {
    const MinoF16 one = mino_splat(1);
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *c = state + r * stateStride + hidden, *i = c + hidden, *f = i + hidden, *g = f + hidden,
                    *o = g + hidden;
        const float *uc = upstream + r * stateStride + hidden, *ui = uc + hidden, *uf = ui + hidden,
                    *ug = uf + hidden, *uo = ug + hidden;
        const float *cp = previousCell + r * previousStride, *dhr = dh + r * hidden;
        float *dcr = dc + r * hidden, *di = dgates + r * 4 * hidden, *df = di + hidden, *dg = df + hidden,
              *dO = dg + hidden;
        // The next row's `[c i f g o]`, their gradients and its c (rows 6H apart, out of cache:
        // the forward pass wrote them long before), fetched while this row computes.
        const ptrdiff_t ahead = r + 1 < rows ? stateStride : 0, previousAhead = r + 1 < rows ? previousStride : 0;
        for (ptrdiff_t j = first; j < end; j += 16) {
            for (int q = 0; q < 5; q++) {
                _mm_prefetch((const char *)(c + ahead + q * hidden + j), _MM_HINT_T0);
                _mm_prefetch((const char *)(uc + ahead + q * hidden + j), _MM_HINT_T0);
            }
            _mm_prefetch((const char *)(cp + previousAhead + j), _MM_HINT_T0);
            const __mmask16 m = lanes(j, end);
            const MinoF16 iv = load(i + j, m), fv = load(f + j, m), gv = load(g + j, m), ov = load(o + j, m);
            const MinoF16 tc = mino_tanh(load(c + j, m)), dhv = load(dhr + j, m);
            // ∂c' in full: from c' itself, the carry, and through h' = o·tanh c'.
            const MinoF16 total = load(uc + j, m) + load(dcr + j, m) + dhv * ov * (one - tc * tc);
            store(di + j, (total * gv + load(ui + j, m)) * iv * (one - iv), m);
            store(df + j, (total * load(cp + j, m) + load(uf + j, m)) * fv * (one - fv), m);
            store(dg + j, (total * iv + load(ug + j, m)) * (one - gv * gv), m);
            store(dO + j, (dhv * tc + load(uo + j, m)) * ov * (one - ov), m);
            store(dcr + j, total * fv, m);
        }
    }
}

void mino_gru_forward_gates(ptrdiff_t rows, ptrdiff_t hidden, ptrdiff_t first, ptrdiff_t end,
                            const float *projected, ptrdiff_t projectedStride,
                            const float *recurrent, ptrdiff_t recurrentStride,
                            const float *previous, ptrdiff_t previousStride,
                            float *state, ptrdiff_t stateStride) {
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *xr = projected + r * projectedStride, *xz = xr + hidden, *xn = xz + hidden;
        const float *hr = recurrent + r * recurrentStride, *hz = hr + hidden, *hnIn = hz + hidden;
        const float *hp = previous + r * previousStride;
        float *h = state + r * stateStride, *reset = h + hidden, *z = reset + hidden, *n = z + hidden,
              *hn = n + hidden;
        for (ptrdiff_t j = first; j < end; j += 16) {
            const __mmask16 m = lanes(j, end);
            const MinoF16 rv = mino_sigmoid(load(xr + j, m) + load(hr + j, m));
            const MinoF16 zv = mino_sigmoid(load(xz + j, m) + load(hz + j, m));
            const MinoF16 hnv = load(hnIn + j, m);
            const MinoF16 nv = mino_tanh(load(xn + j, m) + rv * hnv);
            store(reset + j, rv, m);
            store(z + j, zv, m);
            store(hn + j, hnv, m);
            store(n + j, nv, m);
            store(h + j, nv + zv * (load(hp + j, m) - nv), m);
        }
    }
}

void mino_gru_backward_gates(ptrdiff_t rows, ptrdiff_t hidden, ptrdiff_t first, ptrdiff_t end,
                             const float *state, const float *upstream, ptrdiff_t stateStride,
                             const float *previous, ptrdiff_t previousStride, float *carry, float *d) {
    const MinoF16 one = mino_splat(1);
    for (ptrdiff_t r = 0; r < rows; r++) {
        const float *reset = state + r * stateStride + hidden, *z = reset + hidden, *n = z + hidden, *hn = n + hidden;
        const float *uh = upstream + r * stateStride, *ur = uh + hidden, *uz = ur + hidden, *un = uz + hidden,
                    *uhn = un + hidden;
        const float *hp = previous + r * previousStride;
        float *cr = carry + r * hidden, *dr = d + r * 4 * hidden, *dz = dr + hidden, *dhn = dz + hidden,
              *dn = dhn + hidden;
        for (ptrdiff_t j = first; j < end; j += 16) {
            const __mmask16 m = lanes(j, end);
            const MinoF16 rv = load(reset + j, m), zv = load(z + j, m), nv = load(n + j, m);
            const MinoF16 dh = load(uh + j, m) + load(cr + j, m);
            const MinoF16 dnv = (dh * (one - zv) + load(un + j, m)) * (one - nv * nv);
            store(dn + j, dnv, m);
            store(dr + j, (dnv * load(hn + j, m) + load(ur + j, m)) * rv * (one - rv), m);
            store(dz + j, (dh * (load(hp + j, m) - nv) + load(uz + j, m)) * zv * (one - zv), m);
            store(dhn + j, dnv * rv + load(uhn + j, m), m);
            store(cr + j, dh * zv, m);
        }
    }
}

#pragma clang attribute pop
