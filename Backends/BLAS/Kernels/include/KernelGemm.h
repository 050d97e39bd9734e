// A float32 matrix product for the small-M, wide-N products of the recurrent layers
// (a batch of rows times a weight, once per time step), where OpenBLAS spends as long
// repacking the weight on every call as multiplying. Row-major throughout: element
// (i, j) of a matrix with leading dimension ld is at p[i·ld + j].

#ifndef MINO_KERNEL_GEMM_H
#define MINO_KERNEL_GEMM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Columns per panel of a packed B: the width of the kernel's register tile.
enum { MINO_SGEMM_PANEL_WIDTH = 32 };

/// C (M×N, ldc) += A (M×K, lda) · B (K×N, ldb). M, N or K of 0 leave C as it is.
/// Strides are in elements and may be anything ≥ the row length (≥ 1 when a side is empty).
void mino_sgemm(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                const float *b, ptrdiff_t ldb, float *c, ptrdiff_t ldc);

/// Floats that `mino_sgemm_pack_b` writes for a K×N B: K × N rounded up to whole panels.
ptrdiff_t mino_sgemm_packed_count(ptrdiff_t k, ptrdiff_t n);

/// Copies B (K×N), element (κ, j) at b[κ·rowStride + j·columnStride], into `packed` as
/// ⌈N/32⌉ panels, each K rows of 32 contiguous columns (zeros past N), writing only the
/// panels [firstPanel, endPanel) (disjoint ranges may run on different threads). rowStride 1
/// and columnStride ldw read a row-major W (N×K) as B = Wᵀ.
void mino_sgemm_pack_b(ptrdiff_t k, ptrdiff_t n, const float *b, ptrdiff_t rowStride, ptrdiff_t columnStride,
                       float *packed, ptrdiff_t firstPanel, ptrdiff_t endPanel);

/// C (M×N, ldc) += A (M×K, lda) · B for B's columns in panels [firstPanel, endPanel) only
/// (columns 32·firstPanel ..< min(32·endPanel, N)), B packed by `mino_sgemm_pack_b` with
/// the same K and N; `c` is column 0 of C. Disjoint panel ranges may run on different threads.
void mino_sgemm_packed(ptrdiff_t m, ptrdiff_t n, ptrdiff_t k, const float *a, ptrdiff_t lda,
                       const float *packed, ptrdiff_t firstPanel, ptrdiff_t endPanel, float *c, ptrdiff_t ldc);

#ifdef __cplusplus
}
#endif

#endif
