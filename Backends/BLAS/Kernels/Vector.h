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

/// e^x for float lanes, the same steps as the Swift loops' `Float.vectorExp`
/// (Backends/CPU/CPUScalarMath.swift): Cody–Waite reduction x = n·ln2 + r,
/// |r| ≤ ln2/2, a degree-6 polynomial for e^r, and 2^n built from exponent bits in
/// two halves (so results near FLT_MAX and subnormals come out right). About 1 ulp;
/// overflows to +inf, underflows to 0, passes NaN through.
MINO_INLINE MinoF16 mino_exp(MinoF16 x) {
    MinoI16 isNaN = x != x;
    MinoF16 safe = mino_select(isNaN, mino_splat(0), mino_max(mino_min(x, mino_splat(89)), mino_splat(-104)));
    // n = round(x·log2 e) with the 1.5·2^23 trick: the integer lands in the low mantissa bits.
    const MinoF16 magic = mino_splat(12582912.0f);
    MinoF16 shifted = safe * mino_splat(1.44269504f) + magic;
    MinoF16 n = shifted - magic;
    MinoF16 r = safe - n * mino_splat(0.693359375f) - n * mino_splat(-2.1219444e-4f);
    MinoF16 p = mino_splat(1.98756915e-4f);
    p = p * r + mino_splat(1.3981999507e-3f);
    p = p * r + mino_splat(8.3334519073e-3f);
    p = p * r + mino_splat(4.1665795894e-2f);
    p = p * r + mino_splat(1.6666665459e-1f);
    p = p * r + mino_splat(5.0000001201e-1f);
    MinoF16 y = p * r * r + r + mino_splat(1);
    MinoI16 ni = (MinoI16)shifted - 0x4B400000;
    MinoI16 half = ni >> 1;
    MinoF16 s1 = (MinoF16)((half + 127) << 23), s2 = (MinoF16)((ni - half + 127) << 23);
    return mino_select(isNaN, x, y * s1 * s2);
}

/// σ(x) = 1 / (1 + e^−x).
MINO_INLINE MinoF16 mino_sigmoid(MinoF16 x) { return mino_splat(1) / (mino_splat(1) + mino_exp(-x)); }

/// tanh x: 1 − 2 / (e^{2x} + 1), whose absolute error (~1e-7) would be a large
/// relative one near 0, so |x| < 0.2 takes the series x − x³/3 + 2x⁵/15 − 17x⁷/315
/// + 62x⁹/2835 (truncation below 1e-8 relative there). Exact limits ±1, NaN through.
MINO_INLINE MinoF16 mino_tanh(MinoF16 x) {
    MinoF16 wide = mino_splat(1) - mino_splat(2) / (mino_exp(x + x) + mino_splat(1));
    MinoF16 x2 = x * x;
    MinoF16 series = mino_splat(62.0f / 2835.0f);
    series = series * x2 - mino_splat(17.0f / 315.0f);
    series = series * x2 + mino_splat(2.0f / 15.0f);
    series = series * x2 - mino_splat(1.0f / 3.0f);
    series = series * x2 * x + x;
    MinoF16 magnitude = (MinoF16)((MinoI16)x & 0x7FFFFFFF);
    return mino_select(magnitude < mino_splat(0.2f), series, wide);
}

#endif
