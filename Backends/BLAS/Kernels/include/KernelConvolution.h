// Direct float32 convolution with stride 1, no im2col: the forward pass (and, on a
// zero-embedded output gradient with the flipped kernel, the input gradient) and the
// weight gradient. Every function here is for one group of one sample; the caller
// pads (mino_conv_embed), loops over samples and groups, and splits the work over threads.

#ifndef MINO_KERNEL_CONVOLUTION_H
#define MINO_KERNEL_CONVOLUTION_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A stride-1 convolution of `channels` input planes `height × width` (already padded)
/// into `outChannels` planes `outHeight × outWidth`, where
/// `outHeight = height − dilationHeight·(kernelHeight − 1)` and likewise the width; both
/// must be at least 1 and every count positive. `C·H·W` and `C·kh·kw` must fit an int.
typedef struct MinoConvShape {
    int channels, height, width;
    int outChannels;
    int kernelHeight, kernelWidth;
    int dilationHeight, dilationWidth;
} MinoConvShape;

/// Writes the weight `w(o, c, i, j) = weight[o·strideO + c·strideC + i·strideI + j·strideJ]`
/// (strides may be negative: a flipped or transposed kernel) into `packed`, which holds
/// `outChannels · channels · kh · kw` floats in the order mino_conv_forward reads them.
void mino_conv_pack_weights(const MinoConvShape *shape, const float *weight, ptrdiff_t strideO,
                            ptrdiff_t strideC, ptrdiff_t strideI, ptrdiff_t strideJ, float *packed);

/// `output[o][y][x] = bias(o) + Σ_{c,i,j} w(o, c, i, j) · input[c][y + i·dh][x + j·dw]` for one
/// sample: `input` `[C H W]`, `output` `[O Ho Wo]` (contiguous), `packed` from
/// mino_conv_pack_weights; `bias(o) = bias[o·biasStride]`, or 0 when `bias` is NULL.
void mino_conv_forward(const MinoConvShape *shape, const float *packed, const float *bias, ptrdiff_t biasStride,
                       const float *input, float *output);

/// Adds `Σ_n Σ_{y,x} outputGradient[n][o][y][x] · input[n][c][y + i·dh][x + j·dw]` for every
/// `(o, c, i, j)` over `samples` samples to `partial`, 16 lane sums per entry:
/// `partial[((o·C + c)·kh + i)·kw + j][0 ..< 16]` (`O·C·kh·kw·16` floats, zeroed before the first
/// call). Sample `n`'s input `[C H W]` starts at `input + n·inputSampleStride`, its output gradient
/// `[O Ho Wo]` at `outputGradient + n·gradientSampleStride`, each contiguous. A block of samples
/// whose data stays in L2 is best: every tile sweeps all of it.
void mino_conv_weight_gradient_accumulate(const MinoConvShape *shape, const float *input, ptrdiff_t inputSampleStride,
                                          const float *outputGradient, ptrdiff_t gradientSampleStride, int samples,
                                          float *partial);

/// `result[e] = Σ_{p < partialCount} Σ_lanes partials[p·partialStride + e·16 + lane]` for
/// `e < count`: the weight gradient from the lane sums of one or more partial buffers.
void mino_conv_weight_gradient_reduce(const float *partials, ptrdiff_t partialStride, int partialCount, int count,
                                      float *result);

/// Copies `planes` planes `height × width` into planes `destinationHeight × destinationWidth`,
/// shifted down by `top` and right by `left` (negative: cropped), zeros elsewhere:
/// `destination[p][y][x] = source[p][y − top][x − left]` where that lies inside the source.
void mino_conv_embed(const float *source, int planes, int height, int width, float *destination,
                     int destinationHeight, int destinationWidth, int top, int left);

#ifdef __cplusplus
}
#endif

#endif
