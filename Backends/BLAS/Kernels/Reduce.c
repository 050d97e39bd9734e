#include "KernelReduce.h"

#pragma clang attribute push(__attribute__((target("arch=x86-64-v4"))), apply_to = function)
#include "Vector.h"

typedef double MinoD8 __attribute__((vector_size(64), aligned(8)));
typedef float MinoF8 __attribute__((vector_size(32), aligned(4)));

/// The 16 lanes of `v` widened to float64, low half and high half.
MINO_INLINE void widen(MinoF16 v, MinoD8 *low, MinoD8 *high) {
    MinoF8 a = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7);
    MinoF8 b = __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    *low = __builtin_convertvector(a, MinoD8);
    *high = __builtin_convertvector(b, MinoD8);
}

MINO_INLINE double total(MinoD8 v) {
    return ((v[0] + v[1]) + (v[2] + v[3])) + ((v[4] + v[5]) + (v[6] + v[7]));
}

void mino_sum_rows_f32(long rows, long n, const float *x, float *out) {
    for (long r = 0; r < rows; r++) {
        const float *row = x + r * n;
        // Four float64 accumulators of 8 lanes: two loads of 16 floats per iteration.
        MinoD8 s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
        long i = 0;
        for (; i + 2 * MINO_LANES <= n; i += 2 * MINO_LANES) {
            MinoD8 a, b, c, d;
            widen(mino_load(row + i), &a, &b);
            widen(mino_load(row + i + MINO_LANES), &c, &d);
            s0 += a;
            s1 += b;
            s2 += c;
            s3 += d;
        }
        for (; i < n; i += MINO_LANES) {
            int count = n - i < MINO_LANES ? (int)(n - i) : MINO_LANES;
            MinoD8 a, b;
            widen(mino_load_partial(row + i, count), &a, &b);
            s0 += a;
            s1 += b;
        }
        out[r] = (float)total((s0 + s1) + (s2 + s3));
    }
}

void mino_sum_columns_f32(long reduced, long inner, long count, const float *x, float *out) {
    long j = 0;
    for (; j < count; j += MINO_LANES) {
        int lanes = count - j < MINO_LANES ? (int)(count - j) : MINO_LANES;
        MinoD8 low = {0}, high = {0};
        for (long r = 0; r < reduced; r++) {
            MinoD8 a, b;
            const float *p = x + r * inner + j;
            widen(lanes == MINO_LANES ? mino_load(p) : mino_load_partial(p, lanes), &a, &b);
            low += a;
            high += b;
        }
        MinoF8 lowFloat = __builtin_convertvector(low, MinoF8), highFloat = __builtin_convertvector(high, MinoF8);
        MinoF16 sum = __builtin_shufflevector(lowFloat, highFloat, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        if (lanes == MINO_LANES) mino_store(out + j, sum);
        else mino_store_partial(out + j, sum, lanes);
    }
}

#pragma clang attribute pop
