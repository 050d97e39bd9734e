// Max pooling's most common window, 2×2 with stride 2 and no padding, on float32 planes.

#ifndef MINO_KERNEL_POOLING_H
#define MINO_KERNEL_POOLING_H

#ifdef __cplusplus
extern "C" {
#endif

/// `output[p][y][x]` = the first maximum of the window `a b / c d` =
/// `input[p][2y][2x], [2y][2x+1], [2y+1][2x], [2y+1][2x+1]` for `planes` planes `height × width`
/// (output `height/2 × width/2`, rounded down). "First": a later value is taken only when it is
/// greater, or when it is NaN and the one held is not, so a window with a NaN gives NaN.
void mino_max_pool_2x2_forward(const float *input, int planes, int height, int width, float *output);

/// The gradient `dx` `[planes height width]`: each window's `upstream[p][y][x]` at its first
/// maximum (as in the forward), 0 at the window's other three places and at the last row or
/// column when no window covers it.
void mino_max_pool_2x2_backward(const float *input, const float *upstream, int planes, int height, int width,
                                float *dx);

#ifdef __cplusplus
}
#endif

#endif
