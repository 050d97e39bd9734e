// The gate passes of the LSTM and GRU layers (one time step, a block of hidden units, every
// row of the batch), float32 with AVX-512. Same formulas, and the same layouts, as the Swift
// loops of BLASRecurrent (Backends/BLAS/Sources/BLAS+Recurrent.swift), which document them;
// H is the hidden size, row strides are in elements, and only the hidden units
// [first, end) of each gate block are read or written, so that disjoint ranges may run on
// different threads.

#ifndef MINO_KERNEL_RECURRENT_H
#define MINO_KERNEL_RECURRENT_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// LSTM forward. `state` rows (stride `stateStride`) are `[h c i f g o]`, H each, the gates
/// holding pre-activations less `bias` (4H, `i f g o`): with it added they become
/// σ(i) σ(f) tanh(g) σ(o) in place, then c' = f·c + i·g and h' = o·tanh c' are written, with
/// c read at previousCell[r·previousStride + j].
void mino_lstm_forward_gates(ptrdiff_t rows, ptrdiff_t hidden, ptrdiff_t first, ptrdiff_t end,
                             float *state, ptrdiff_t stateStride, const float *bias,
                             const float *previousCell, ptrdiff_t previousStride);

/// LSTM backward through one step. `state` and `upstream` (its gradient) rows are `[h c i f g o]`
/// (stride `stateStride`, gates activated); `dh` (rows × H) is the step's full ∂h; `dc`
/// (rows × H) holds the ∂c carried from the step after and is left holding ∂c'·f for the
/// step before; `dgates` rows (stride 4H) receive ∂ of the pre-activations `[i f g o]`.
void mino_lstm_backward_gates(ptrdiff_t rows, ptrdiff_t hidden, ptrdiff_t first, ptrdiff_t end,
                              const float *state, const float *upstream, ptrdiff_t stateStride,
                              const float *previousCell, ptrdiff_t previousStride,
                              const float *dh, float *dc, float *dgates);

/// GRU forward. `projected` (x W_ihᵀ + b_ih) and `recurrent` (h W_hhᵀ + b_hh) rows are `[r z n]`
/// (strides `projectedStride`, `recurrentStride`); `state` rows (stride `stateStride`) receive
/// `[h r z n hn]`: r, z = σ(sums), hn = the recurrent n part, n = tanh(n_x + r·hn),
/// h' = n + z·(h − n) with h read at previous[r·previousStride + j].
void mino_gru_forward_gates(ptrdiff_t rows, ptrdiff_t hidden, ptrdiff_t first, ptrdiff_t end,
                            const float *projected, ptrdiff_t projectedStride,
                            const float *recurrent, ptrdiff_t recurrentStride,
                            const float *previous, ptrdiff_t previousStride,
                            float *state, ptrdiff_t stateStride);

/// GRU backward through one step. `state` and `upstream` rows are `[h r z n hn]` (stride
/// `stateStride`); `carry` (rows × H) holds the ∂h sent back from the step after and is left
/// holding ∂h·z; `d` rows (stride 4H) receive `[∂r ∂z ∂hn ∂n]` (of the pre-activations of r
/// and z, of hn, and of n's pre-activation).
void mino_gru_backward_gates(ptrdiff_t rows, ptrdiff_t hidden, ptrdiff_t first, ptrdiff_t end,
                             const float *state, const float *upstream, ptrdiff_t stateStride,
                             const float *previous, ptrdiff_t previousStride, float *carry, float *d);

#ifdef __cplusplus
}
#endif

#endif
