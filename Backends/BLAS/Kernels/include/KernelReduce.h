// Sums of float32 tensors accumulated in float64, as the Swift loops and the
// reference backend do (AVX-512; see KernelISA.h). The order of additions is fixed
// per output, whatever the thread count.

#ifndef MINO_KERNEL_REDUCE_H
#define MINO_KERNEL_REDUCE_H

#ifdef __cplusplus
extern "C" {
#endif

/// out[r] = Σ_j x[r·n + j] for r in 0..<rows (each row contiguous).
void mino_sum_rows_f32(long rows, long n, const float *_Nonnull x, float *_Nonnull out);

/// out[j] = Σ_r x[r·inner + j] for j in 0..<count (rows of `inner` added together;
/// `count` ≤ `inner` columns from the first, for splitting a row across threads).
void mino_sum_columns_f32(long reduced, long inner, long count, const float *_Nonnull x, float *_Nonnull out);

#ifdef __cplusplus
}
#endif

#endif
