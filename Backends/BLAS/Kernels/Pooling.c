// 2×2 stride-2 max pooling (see KernelPooling.h): 16 outputs at a time from two 16-lane loads
// per window row, split into the windows' left and right values with one permutation each; the
// gradient is the reverse, the four masked copies of the upstream vector interleaved back.

#include "KernelPooling.h"

#include <stddef.h>

#pragma clang attribute push(__attribute__((target("arch=x86-64-v4"))), apply_to = function)
#include <immintrin.h>
#include "Vector.h"

/// Lanes of `v` that replace the running maximum `m`: greater, or the first NaN.
MINO_INLINE __mmask16 replaces(__m512 v, __m512 m) {
    const __mmask16 greater = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ);
    const __mmask16 vNaN = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), mNaN = _mm512_cmp_ps_mask(m, m, _CMP_UNORD_Q);
    return (__mmask16)(greater | (vNaN & ~mNaN));
}

/// The window values of outputs x0 ..< x0 + count (count ≤ 16) of the row pair `top`, `bottom`,
/// and which of them is each window's first maximum (four disjoint masks). Lanes past `count` are 0.
typedef struct {
    __m512 maximum;
    __mmask16 isA, isB, isC, isD;
} Window;

MINO_INLINE __mmask16 low_lanes(int n) { return (__mmask16)(n >= 16 ? 0xFFFF : (1u << n) - 1); }

MINO_INLINE Window window(const float *top, const float *bottom, int count) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __mmask16 first = low_lanes(2 * count), second = low_lanes(2 * count - 16 > 0 ? 2 * count - 16 : 0);
    const __m512 t0 = _mm512_maskz_loadu_ps(first, top), t1 = _mm512_maskz_loadu_ps(second, top + 16);
    const __m512 b0 = _mm512_maskz_loadu_ps(first, bottom), b1 = _mm512_maskz_loadu_ps(second, bottom + 16);
    const __m512 a = _mm512_permutex2var_ps(t0, even, t1), b = _mm512_permutex2var_ps(t0, odd, t1);
    const __m512 c = _mm512_permutex2var_ps(b0, even, b1), d = _mm512_permutex2var_ps(b0, odd, b1);
    __m512 m = a;
    const __mmask16 takeB = replaces(b, m);
    m = _mm512_mask_mov_ps(m, takeB, b);
    const __mmask16 takeC = replaces(c, m);
    m = _mm512_mask_mov_ps(m, takeC, c);
    const __mmask16 takeD = replaces(d, m);
    m = _mm512_mask_mov_ps(m, takeD, d);
    Window w = {m, (__mmask16)~(takeB | takeC | takeD), (__mmask16)(takeB & ~takeC & ~takeD),
                (__mmask16)(takeC & ~takeD), takeD};
    return w;
}

void mino_max_pool_2x2_forward(const float *input, int planes, int height, int width, float *output) {
    const int outHeight = height / 2, outWidth = width / 2;
    for (int p = 0; p < planes; p++) {
        const float *plane = input + (ptrdiff_t)p * height * width;
        float *out = output + (ptrdiff_t)p * outHeight * outWidth;
        for (int y = 0; y < outHeight; y++) {
            const float *top = plane + (ptrdiff_t)2 * y * width, *bottom = top + width;
            float *row = out + (ptrdiff_t)y * outWidth;
            for (int x = 0; x < outWidth; x += 16) {
                const int count = outWidth - x < 16 ? outWidth - x : 16;
                const Window w = window(top + 2 * x, bottom + 2 * x, count);
                _mm512_mask_storeu_ps(row + x, low_lanes(count), w.maximum);
            }
        }
    }
}

void mino_max_pool_2x2_backward(const float *input, const float *upstream, int planes, int height, int width,
                                float *dx) {
    const int outHeight = height / 2, outWidth = width / 2;
    // Interleaving two vectors of window columns back into a row: lanes 0..7 and 8..15 of each.
    const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (int p = 0; p < planes; p++) {
        const float *plane = input + (ptrdiff_t)p * height * width;
        const float *up = upstream + (ptrdiff_t)p * outHeight * outWidth;
        float *gradient = dx + (ptrdiff_t)p * height * width;
        for (int y = 0; y < outHeight; y++) {
            const float *top = plane + (ptrdiff_t)2 * y * width, *bottom = top + width;
            float *gTop = gradient + (ptrdiff_t)2 * y * width, *gBottom = gTop + width;
            for (int x = 0; x < outWidth; x += 16) {
                const int count = outWidth - x < 16 ? outWidth - x : 16;
                const Window w = window(top + 2 * x, bottom + 2 * x, count);
                const __m512 v = _mm512_maskz_loadu_ps(low_lanes(count), up + (ptrdiff_t)y * outWidth + x);
                const __m512 a = _mm512_maskz_mov_ps(w.isA, v), b = _mm512_maskz_mov_ps(w.isB, v);
                const __m512 c = _mm512_maskz_mov_ps(w.isC, v), d = _mm512_maskz_mov_ps(w.isD, v);
                const __mmask16 first = low_lanes(2 * count), second = low_lanes(2 * count - 16 > 0 ? 2 * count - 16 : 0);
                _mm512_mask_storeu_ps(gTop + 2 * x, first, _mm512_permutex2var_ps(a, low, b));
                _mm512_mask_storeu_ps(gTop + 2 * x + 16, second, _mm512_permutex2var_ps(a, high, b));
                _mm512_mask_storeu_ps(gBottom + 2 * x, first, _mm512_permutex2var_ps(c, low, d));
                _mm512_mask_storeu_ps(gBottom + 2 * x + 16, second, _mm512_permutex2var_ps(c, high, d));
            }
            if (width % 2) gTop[width - 1] = gBottom[width - 1] = 0;
        }
        if (height % 2) memset(gradient + (ptrdiff_t)(height - 1) * width, 0, (size_t)width * sizeof(float));
    }
}

#pragma clang attribute pop
