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

/// Row pairs (r, r + s) of a 16×16 block swap their off-diagonal s×s sub-blocks: after
/// s = 8, 4, 2, 1 the block is transposed (each step one two-source permute per row).
#define MINO_LANE_LIST(...) __VA_ARGS__
#define MINO_TRANSPOSE_STEP(s, LOW, HIGH)                                                   \
    for (int r = 0; r < 16; r++) {                                                          \
        if (r & s) continue;                                                                \
        const MinoF16 a = rows[r], b = rows[r + s];                                         \
        rows[r] = __builtin_shufflevector(a, b, MINO_LANE_LIST LOW);                        \
        rows[r + s] = __builtin_shufflevector(a, b, MINO_LANE_LIST HIGH);                   \
    }

/// panel[κ·32 + j] = source[j·stride + κ] for κ, j in 0..<16: a 16×16 block of W written
/// transposed into a panel.
MINO_INLINE void transpose_block(const float *source, ptrdiff_t stride, float *panel) {
    MinoF16 rows[16];
    for (int r = 0; r < 16; r++) rows[r] = mino_load(source + r * stride);
    MINO_TRANSPOSE_STEP(8, (0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
                        (8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31))
    MINO_TRANSPOSE_STEP(4, (0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),
                        (4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31))
    MINO_TRANSPOSE_STEP(2, (0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29),
                        (2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31))
    MINO_TRANSPOSE_STEP(1, (0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),
                        (1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31))
    for (int r = 0; r < 16; r++) mino_store(panel + r * PANEL, rows[r]);
}

void mino_sgemm_pack_b(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t rowStride, ptrdiff_t columnStride,
                       float *packed, ptrdiff_t firstPanel, ptrdiff_t endPanel) {
    if (k <= 0 || n <= 0) return;
    const ptrdiff_t panels = (n + PANEL - 1) / PANEL;
    if (firstPanel < 0) firstPanel = 0;
    if (endPanel > panels) endPanel = panels;
    for (ptrdiff_t index = firstPanel; index < endPanel; index++) {
        const ptrdiff_t j0 = index * PANEL;
        float *panel = packed + j0 * k;  // after j0/32 panels of k × 32
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
        // B = Wᵀ (column j of B a row of W when rowStride is 1): whole 16×16 blocks transposed
        // in registers, the rest element by element.
        ptrdiff_t blockColumns = 0, blockDepth = 0;
        if (rowStride == 1) {
            blockColumns = columns / 16 * 16;
            blockDepth = k / 16 * 16;
            for (ptrdiff_t j = 0; j < blockColumns; j += 16)
                for (ptrdiff_t p = 0; p < blockDepth; p += 16)
                    transpose_block(b + (j0 + j) * columnStride + p, columnStride, panel + p * PANEL + j);
        }
        for (ptrdiff_t j = 0; j < columns; j++) {
            const float *source = b + (j0 + j) * columnStride;
            for (ptrdiff_t p = j < blockColumns ? blockDepth : 0; p < k; p++) panel[p * PANEL + j] = source[p * rowStride];
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
