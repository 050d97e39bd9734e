// Optimizer updates over float32 parameters, in place (AVX-512; see KernelISA.h).

#ifndef MINO_KERNEL_OPTIMIZER_H
#define MINO_KERNEL_OPTIMIZER_H

#ifdef __cplusplus
extern "C" {
#endif

/// Adam's constants for one step, PyTorch's formulas (torch.optim.Adam / AdamW):
/// g' = g + coupled·p; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²;
/// p = shrink·p − stepSize·m / (√v / rootCorrection2 + ε).
typedef struct {
    float beta1, beta2, oneMinusBeta1, oneMinusBeta2;
    /// lr / (1 − β1^t) and √(1 − β2^t).
    float stepSize, rootCorrection2;
    float epsilon;
    /// 1 − lr·λ for AdamW, else 1; λ for Adam's coupled decay, else 0.
    float shrink, coupled;
} MinoAdamStep;

/// One Adam step over `count` elements of the parameter `p`, its gradient `g`
/// and the moments `m`, `v` (each contiguous, not overlapping).
void mino_adam_f32(long count, float *_Nonnull p, const float *_Nonnull g, float *_Nonnull m, float *_Nonnull v,
                   MinoAdamStep step);

#ifdef __cplusplus
}
#endif

#endif
