// Shared by the kernels' .c files (not part of the module's interface): 16-lane
// float vectors written with clang's vector extensions, and the exponential,
// sigmoid and tanh on them. Include it between
//   #pragma clang attribute push(MINO_KERNEL_TARGET, apply_to = function)
// and the matching pop, so that every function, these helpers included, is
// compiled for AVX-512 (passing a 64-byte vector between functions compiled for
// different instruction sets would change the ABI, which clang rejects).

#ifndef MINO_KERNELS_VECTOR_H
#define MINO_KERNELS_VECTOR_H

#include <stdint.h>
#include <string.h>

#define MINO_INLINE static inline __attribute__((always_inline))

/// 16 floats, loadable from any 4-byte-aligned address.
typedef float MinoF16 __attribute__((vector_size(64), aligned(4)));
typedef int32_t MinoI16 __attribute__((vector_size(64), aligned(4)));
enum { MINO_LANES = 16 };

MINO_INLINE MinoF16 mino_load(const float *p) { return *(const MinoF16 *)p; }
MINO_INLINE void mino_store(float *p, MinoF16 v) { *(MinoF16 *)p = v; }
MINO_INLINE MinoF16 mino_splat(float x) { return (MinoF16){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }

/// The first `count` (< 16) lanes from `p`, zeros after: the tail of a row.
MINO_INLINE MinoF16 mino_load_partial(const float *p, int count) {
    MinoF16 v = mino_splat(0);
    memcpy(&v, p, (size_t)count * sizeof(float));
    return v;
}

MINO_INLINE void mino_store_partial(float *p, MinoF16 v, int count) { memcpy(p, &v, (size_t)count * sizeof(float)); }

/// Lane-wise min and max (a NaN operand loses to a number, as fminf/fmaxf).
MINO_INLINE MinoF16 mino_min(MinoF16 a, MinoF16 b) { return __builtin_elementwise_min(a, b); }
MINO_INLINE MinoF16 mino_max(MinoF16 a, MinoF16 b) { return __builtin_elementwise_max(a, b); }

/// `a` where `mask` lanes are all ones, `b` where zero (a comparison's result).
MINO_INLINE MinoF16 mino_select(MinoI16 mask, MinoF16 a, MinoF16 b) {
    return (MinoF16)(((MinoI16)a & mask) | ((MinoI16)b & ~mask));
}

/// e^x for float lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6
/// polynomial (relative error about 2 ulp), 2^n built in the exponent bits.
/// Inputs are clamped to [-87.3, 88.7], so it saturates to 0 and FLT_MAX-ish
/// instead of producing inf; NaN in gives NaN out.
MINO_INLINE MinoF16 mino_exp(MinoF16 x) {
    const MinoF16 hi = mino_splat(88.3762626647949f), lo = mino_splat(-87.3365447505531f);
    MinoI16 isNaN = x != x;
    MinoF16 input = x;
    x = mino_max(mino_min(x, hi), lo);
    // n = round(x / ln 2) by adding and subtracting 1.5·2^23.
    const MinoF16 shifter = mino_splat(12582912.0f);
    MinoF16 n = x * mino_splat(1.44269504088896341f) + shifter;
    n = n - shifter;
    MinoF16 r = x - n * mino_splat(0.693359375f);
    r = r - n * mino_splat(-2.12194440e-4f);
    MinoF16 p = mino_splat(1.9875691500E-4f);
    p = p * r + mino_splat(1.3981999507E-3f);
    p = p * r + mino_splat(8.3334519073E-3f);
    p = p * r + mino_splat(4.1665795894E-2f);
    p = p * r + mino_splat(1.6666665459E-1f);
    p = p * r + mino_splat(5.0000001201E-1f);
    p = p * r * r + r + mino_splat(1);
    MinoI16 bits = (__builtin_convertvector(n, MinoI16) + 127) << 23;
    return mino_select(isNaN, input, p * (MinoF16)bits);
}

/// σ(x) = 1 / (1 + e^−x).
MINO_INLINE MinoF16 mino_sigmoid(MinoF16 x) { return mino_splat(1) / (mino_splat(1) + mino_exp(-x)); }

/// tanh x = 1 − 2 / (e^{2x} + 1): exact limits ±1, NaN through.
MINO_INLINE MinoF16 mino_tanh(MinoF16 x) {
    return mino_splat(1) - mino_splat(2) / (mino_exp(x + x) + mino_splat(1));
}

#endif
