// C += A·B in float32 with AVX-512: a register tile of up to 8 rows × 32 columns (16 zmm
// accumulators), each step of K broadcasting one element of A per row against two
// 16-column vectors of B. Columns past N are masked (loads of B and C, stores of C), rows
// past M use a smaller tile, so any M, N, K and strides work without padding the caller's data.

#include <immintrin.h>
#include "KernelGemm.h"

#pragma clang attribute push(__attribute__((target("arch=x86-64-v4"))), apply_to = function)
#include "Vector.h"

enum {
    TILE_ROWS = 8,
    PANEL = MINO_SGEMM_PANEL_WIDTH,
    // K is cut in blocks so that the block of a packed panel the tile reads (K_BLOCK × 32
    // floats, 32 KiB) stays in L1 while every row tile of A passes over it.
    K_BLOCK = 256,
};

/// The lanes of the panel's two vectors that hold columns < `columns` (1…32).
MINO_INLINE void column_masks(ptrdiff_t columns, __mmask16 *low, __mmask16 *high) {
    *low = columns >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << columns) - 1);
    *high = columns >= 32 ? (__mmask16)0xFFFF : columns > 16 ? (__mmask16)((1u << (columns - 16)) - 1) : 0;
}

/// C[rows × 32] += A[rows × k] · B[k × 32] where B's rows are `ldb` apart; `rows` is a
/// constant after inlining, so the accumulators are registers.
MINO_INLINE void tile(const int rows, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                      __mmask16 low, __mmask16 high, float *c, ptrdiff_t ldc) {
    __m512 sum0[TILE_ROWS], sum1[TILE_ROWS];
    const float *rowOfA[TILE_ROWS];
    for (int r = 0; r < rows; r++) {
        sum0[r] = sum1[r] = _mm512_setzero_ps();
        rowOfA[r] = a + r * lda;
        // C is read only after the whole depth: fetch it now, so that a C out of cache (the
        // forward step's gate rows, last written before the sequence started) does not
        // stall the end of every tile.
        _mm_prefetch((const char *)(c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + r * ldc + 16), _MM_HINT_T0);
    }
    for (ptrdiff_t p = 0; p < k; p++, b += ldb) {
        const __m512 b0 = _mm512_maskz_loadu_ps(low, b), b1 = _mm512_maskz_loadu_ps(high, b + 16);
        for (int r = 0; r < rows; r++) {
            const __m512 x = _mm512_set1_ps(rowOfA[r][p]);
            sum0[r] = _mm512_fmadd_ps(x, b0, sum0[r]);
            sum1[r] = _mm512_fmadd_ps(x, b1, sum1[r]);
        }
    }
    for (int r = 0; r < rows; r++) {
        float *row = c + r * ldc;
        _mm512_mask_storeu_ps(row, low, _mm512_add_ps(_mm512_maskz_loadu_ps(low, row), sum0[r]));
        _mm512_mask_storeu_ps(row + 16, high, _mm512_add_ps(_mm512_maskz_loadu_ps(high, row + 16), sum1[r]));
    }
}

/// One panel's columns for all M rows: full 8-row tiles, then one smaller tile.
static void panel_rows(ptrdiff_t m, ptrdiff_t k, const float *a, ptrdiff_t lda, const float *b, ptrdiff_t ldb,
                       ptrdiff_t columns, float *c, ptrdiff_t ldc) {
    __mmask16 low, high;
    column_masks(columns, &low, &high);
    ptrdiff_t r = 0;
    for (; r + TILE_ROWS <= m; r += TILE_ROWS) tile(TILE_ROWS, k, a + r * lda, lda, b, ldb, low, high, c + r * ldc, ldc);
    const float *ar = a + r * lda;
    float *cr = c + r * ldc;
    switch (m - r) {
    case 7: tile(7, k, ar, lda, b, ldb, low, high, cr, ldc); break;
    case 6: tile(6, k, ar, lda, b, ldb, low, high, cr, ldc); break;
    case 5: tile(5, k, ar, lda, b, ldb, low, high, cr, ldc); break;
    case 4: tile(4, k, ar, lda, b, ldb, low, high, cr, ldc); break;
    case 3: tile(3, k, ar, lda, b, ldb, low, high, cr, ldc); break;
    case 2: tile(2, k, ar, lda, b, ldb, low, high, cr, ldc); break;
    case 1: tile(1, k, ar, lda, b, ldb, low, high, cr, ldc); break;
    default: break;
    }
}

void mino_sgemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    for (ptrdiff_t kb = 0; kb < k; kb += K_BLOCK) {
        const ptrdiff_t depth = k - kb < K_BLOCK ? k - kb : K_BLOCK;
        for (ptrdiff_t j = 0; j < n; j += PANEL) {
            const ptrdiff_t columns = n - j < PANEL ? n - j : PANEL;
            panel_rows(m, depth, a + kb, lda, b + kb * ldb + j, ldb, columns, c + j, ldc);
        }
    }
}

ptrdiff_t mino_sgemm_packed_count(ptrdiff_t k, ptrdiff_t n) {
    if (k <= 0 || n <= 0) return 0;
    return k * ((n + PANEL - 1) / PANEL) * PANEL;
}

void mino_sgemm_pack_b(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t rowStride, ptrdiff_t columnStride,
                       float *packed) {
    if (k <= 0 || n <= 0) return;
    for (ptrdiff_t j0 = 0; j0 < n; j0 += PANEL) {
        float *panel = packed + j0 * k;  // panel j0/32 starts after j0/32 panels of k × 32
        const ptrdiff_t columns = n - j0 < PANEL ? n - j0 : PANEL;
        if (columnStride == 1) {
            // Row-major B: each panel row is a contiguous piece of a row of B.
            for (ptrdiff_t p = 0; p < k; p++) {
                const float *source = b + p * rowStride + j0;
                for (ptrdiff_t j = 0; j < columns; j++) panel[p * PANEL + j] = source[j];
                for (ptrdiff_t j = columns; j < PANEL; j++) panel[p * PANEL + j] = 0;
            }
            continue;
        }
        // Column by column: with B = Wᵀ (rowStride 1) each column is a contiguous row of W.
        for (ptrdiff_t j = 0; j < columns; j++) {
            const float *source = b + (j0 + j) * columnStride;
            for (ptrdiff_t p = 0; p < k; p++) panel[p * PANEL + j] = source[p * rowStride];
        }
        for (ptrdiff_t j = columns; j < PANEL; j++)
            for (ptrdiff_t p = 0; p < k; p++) panel[p * PANEL + j] = 0;
    }
}

void mino_sgemm_packed(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                       const float *packed, ptrdiff_t firstPanel, ptrdiff_t endPanel, float *c, ptrdiff_t ldc) {
    if (m <= 0 || n <= 0 || k <= 0) return;
    const ptrdiff_t panels = (n + PANEL - 1) / PANEL;
    if (firstPanel < 0) firstPanel = 0;
    if (endPanel > panels) endPanel = panels;
    for (ptrdiff_t kb = 0; kb < k; kb += K_BLOCK) {
        const ptrdiff_t depth = k - kb < K_BLOCK ? k - kb : K_BLOCK;
        for (ptrdiff_t panel = firstPanel; panel < endPanel; panel++) {
            const ptrdiff_t j = panel * PANEL, columns = n - j < PANEL ? n - j : PANEL;
            panel_rows(m, depth, a + kb, lda, packed + j * k + kb * PANEL, PANEL, columns, c + j, ldc);
        }
    }
}

#pragma clang attribute pop
