// Direct stride-1 convolution kernels (see KernelConvolution.h).
//
// Forward: over "wide" positions p = y·W + x of the input plane (x < W, not only x < Wo), the
// output is out[o, p] = Σ_k w[o, k] · in[p + offset_k] with offset_k = c·H·W + i·dh·W + j·dw:
// for every k one shifted, contiguous run of the input. A register tile of MR output channels
// × NV·16 positions holds MR·NV ≤ 24 accumulators; per k it loads NV input vectors and
// broadcasts MR weights. Positions with x ≥ Wo are computed and dropped: each vector's valid
// lanes are compressed and stored at their place in the [Ho Wo] output. Only positions below
// (Ho − 1)·W + Wo are read, so no load passes the end of the input.
//
// Weight gradient: ∂w[o, k] = Σ_{y, x < Wo} ∂out[o][y][x] · in[offset_k + y·W + x], row by row
// (masked tails, no extra columns, so no 0·∞ from positions that are not part of the sum),
// a tile of MR channels × KR kernel entries in 16-lane accumulators kept in a partial buffer.

#include "KernelConvolution.h"

#pragma clang attribute push(__attribute__((target("arch=x86-64-v4"))), apply_to = function)
#include <immintrin.h>
#include "Vector.h"

// MARK: Weight packing

// Output channels per forward tile: the packed weight is, per tile of MR_MAX channels (the last
// one narrower), K rows of the tile's MR weights, so a tile's broadcasts read consecutive floats.
enum { MR_MAX = 8, NV_LIMIT = 8 };

void mino_conv_pack_weights(const MinoConvShape *s, const float *weight, ptrdiff_t strideO, ptrdiff_t strideC,
                            ptrdiff_t strideI, ptrdiff_t strideJ, float *packed) {
    const int kcount = s->channels * s->kernelHeight * s->kernelWidth;
    for (int o0 = 0; o0 < s->outChannels; o0 += MR_MAX) {
        const int mr = s->outChannels - o0 < MR_MAX ? s->outChannels - o0 : MR_MAX;
        float *tile = packed + (ptrdiff_t)o0 * kcount;
        int k = 0;
        for (int c = 0; c < s->channels; c++)
            for (int i = 0; i < s->kernelHeight; i++)
                for (int j = 0; j < s->kernelWidth; j++, k++)
                    for (int o = 0; o < mr; o++)
                        tile[(ptrdiff_t)k * mr + o] =
                            weight[(o0 + o) * strideO + c * strideC + i * strideI + j * strideJ];
    }
}

// MARK: Forward

typedef struct {
    const float *input;      // [C H W]
    const float *weights;    // the tile's packed weights, [K][MR]
    const float *bias;       // NULL, or bias(o0)
    ptrdiff_t biasStride;
    float *output;           // output channel o0, [Ho Wo] per channel
    ptrdiff_t plane, outPlane;  // H·W, Ho·Wo
    int channels, width, kernelHeight, kernelWidth, rowStep, columnStep;  // rowStep = dh·W, columnStep = dw
} ForwardTile;

/// The tile at wide position p0: `loadMask[v]` the lanes read (all, but in the last tile),
/// `storeMask[v]` the lanes kept and `storeAt[v]` where the first of them goes in the output.
MINO_INLINE void forward_tile(const int MR, const int NV, const int masked, const ForwardTile *t, ptrdiff_t p0,
                              const __mmask16 *loadMask, const __mmask16 *storeMask, const ptrdiff_t *storeAt) {
    // Sized for the widest tile; the loops touch MR × NV of them, which stay in registers.
    MinoF16 acc[MR_MAX][NV_LIMIT];
    _Pragma("clang loop unroll(full)")
    for (int o = 0; o < MR; o++) {
        const MinoF16 b = mino_splat(t->bias ? t->bias[o * t->biasStride] : 0.0f);
        _Pragma("clang loop unroll(full)")
        for (int v = 0; v < NV; v++) acc[o][v] = b;
    }
    const float *w = t->weights;
    for (int c = 0; c < t->channels; c++) {
        for (int i = 0; i < t->kernelHeight; i++) {
            const float *row = t->input + c * t->plane + (ptrdiff_t)i * t->rowStep + p0;
            for (int j = 0; j < t->kernelWidth; j++, w += MR) {
                const float *in = row + j * t->columnStep;
                MinoF16 x[NV_LIMIT];
                _Pragma("clang loop unroll(full)")
                for (int v = 0; v < NV; v++)
                    x[v] = masked ? (MinoF16)_mm512_maskz_loadu_ps(loadMask[v], in + 16 * v) : mino_load(in + 16 * v);
                _Pragma("clang loop unroll(full)")
                for (int o = 0; o < MR; o++) {
                    const MinoF16 wo = mino_splat(w[o]);
                    _Pragma("clang loop unroll(full)")
                    for (int v = 0; v < NV; v++) acc[o][v] = __builtin_elementwise_fma(wo, x[v], acc[o][v]);
                }
            }
        }
    }
    _Pragma("clang loop unroll(full)")
    for (int v = 0; v < NV; v++) {
        const __mmask16 keep = storeMask[v];
        if (!keep) continue;
        if (keep == 0xFFFF) {
            // All 16 positions in one output row: a plain store.
            _Pragma("clang loop unroll(full)")
            for (int o = 0; o < MR; o++) mino_store(t->output + o * t->outPlane + storeAt[v], acc[o][v]);
            continue;
        }
        const __mmask16 first = (__mmask16)((1u << __builtin_popcount(keep)) - 1);
        _Pragma("clang loop unroll(full)")
        for (int o = 0; o < MR; o++)
            _mm512_mask_storeu_ps(t->output + o * t->outPlane + storeAt[v], first,
                                  _mm512_maskz_compress_ps(keep, (__m512)acc[o][v]));
    }
}

typedef void (*ForwardTileFunction)(const ForwardTile *, ptrdiff_t, const __mmask16 *, const __mmask16 *,
                                    const ptrdiff_t *);

// Vectors per tile for MR channels: 24 accumulators at most, 8 vectors at most.
#define NV_MAX(MR) ((24 / (MR)) < 8 ? (24 / (MR)) : 8)

#define FORWARD_PAIR(MR, NV)                                                                                  \
    static void forward_##MR##_##NV(const ForwardTile *t, ptrdiff_t p0, const __mmask16 *l, const __mmask16 *s, \
                                    const ptrdiff_t *a) { forward_tile(MR, NV, 0, t, p0, l, s, a); }          \
    static void forward_masked_##MR##_##NV(const ForwardTile *t, ptrdiff_t p0, const __mmask16 *l,            \
                                           const __mmask16 *s, const ptrdiff_t *a) {                          \
        forward_tile(MR, NV, 1, t, p0, l, s, a);                                                              \
    }
#define FORWARD_ROW3(MR) FORWARD_PAIR(MR, 1) FORWARD_PAIR(MR, 2) FORWARD_PAIR(MR, 3)
#define FORWARD_ROW4(MR) FORWARD_ROW3(MR) FORWARD_PAIR(MR, 4)
#define FORWARD_ROW6(MR) FORWARD_ROW4(MR) FORWARD_PAIR(MR, 5) FORWARD_PAIR(MR, 6)
#define FORWARD_ROW8(MR) FORWARD_ROW6(MR) FORWARD_PAIR(MR, 7) FORWARD_PAIR(MR, 8)
FORWARD_ROW8(1) FORWARD_ROW8(2) FORWARD_ROW8(3) FORWARD_ROW6(4) FORWARD_ROW4(5) FORWARD_ROW4(6)
FORWARD_ROW3(7) FORWARD_ROW3(8)

#define E(MR, NV) {forward_##MR##_##NV, forward_masked_##MR##_##NV}
#define T3(MR) E(MR, 1), E(MR, 2), E(MR, 3)
#define T4(MR) T3(MR), E(MR, 4)
#define T6(MR) T4(MR), E(MR, 5), E(MR, 6)
#define T8(MR) T6(MR), E(MR, 7), E(MR, 8)
/// [MR − 1][NV − 1][masked]; entries past NV_MAX(MR) are never used.
static const ForwardTileFunction forwardTiles[MR_MAX][NV_LIMIT][2] = {
    {T8(1)}, {T8(2)}, {T8(3)}, {T6(4)}, {T4(5)}, {T4(6)}, {T3(7)}, {T3(8)},
};
#undef E
#undef T3
#undef T4
#undef T6
#undef T8

void mino_conv_forward(const MinoConvShape *s, const float *packed, const float *bias, ptrdiff_t biasStride,
                       const float *input, float *output) {
    const int width = s->width;
    const int outHeight = s->height - s->dilationHeight * (s->kernelHeight - 1);
    const int outWidth = width - s->dilationWidth * (s->kernelWidth - 1);
    const ptrdiff_t kcount = (ptrdiff_t)s->channels * s->kernelHeight * s->kernelWidth;
    // Wide positions up to the last output: past it a load would leave the input.
    const ptrdiff_t wide = (ptrdiff_t)(outHeight - 1) * width + outWidth;
    ForwardTile t = {
        .input = input, .biasStride = biasStride,
        .plane = (ptrdiff_t)s->height * width, .outPlane = (ptrdiff_t)outHeight * outWidth,
        .channels = s->channels, .width = width, .kernelHeight = s->kernelHeight, .kernelWidth = s->kernelWidth,
        .rowStep = s->dilationHeight * width, .columnStep = s->dilationWidth,
    };
    for (int o0 = 0; o0 < s->outChannels; o0 += MR_MAX) {
        const int mr = s->outChannels - o0 < MR_MAX ? s->outChannels - o0 : MR_MAX;
        const int nvMax = NV_MAX(mr);
        t.weights = packed + o0 * kcount;
        t.bias = bias ? bias + o0 * biasStride : NULL;
        t.output = output + o0 * t.outPlane;
        for (ptrdiff_t p0 = 0; p0 < wide; p0 += 16 * nvMax) {
            const ptrdiff_t count = wide - p0 < 16 * nvMax ? wide - p0 : 16 * nvMax;
            const int nv = (int)((count + 15) / 16);
            __mmask16 loadMask[NV_LIMIT], storeMask[NV_LIMIT];
            ptrdiff_t storeAt[NV_LIMIT];
            for (int v = 0; v < nv; v++) {
                const ptrdiff_t start = p0 + 16 * v;
                const ptrdiff_t lanes = count - 16 * v < 16 ? count - 16 * v : 16;
                loadMask[v] = (__mmask16)((1u << lanes) - 1);
                // The lanes whose column is below Wo, walked row segment by row segment.
                ptrdiff_t y = start / width;
                int x = (int)(start - y * width);
                storeAt[v] = y * outWidth + (x < outWidth ? x : outWidth);
                unsigned keep = 0;
                for (int lane = 0; lane < lanes;) {
                    const int run = width - x < (int)lanes - lane ? width - x : (int)lanes - lane;
                    const int valid = outWidth - x <= 0 ? 0 : (outWidth - x < run ? outWidth - x : run);
                    keep |= ((1u << valid) - 1) << lane;
                    lane += run;
                    x = 0;
                }
                storeMask[v] = (__mmask16)keep;
            }
            forwardTiles[mr - 1][nv - 1][count % 16 != 0](&t, p0, loadMask, storeMask, storeAt);
        }
    }
}

// MARK: Weight gradient

enum { WG_MR = 4, WG_KR = 6 };

typedef struct {
    const float *input;     // the first sample's [C H W]
    const float *gradient;  // the first sample's output channel o0, [Ho Wo] per channel
    float *partial;         // entry (o0, k0), 16 floats per entry, rows of `kcount` entries
    ptrdiff_t outPlane, kcount, inputSample, gradientSample;
    int samples, outHeight, outWidth, width;
    const ptrdiff_t *offsets;  // the tile's KR input offsets c·H·W + i·dh·W + j·dw
} WeightTile;

/// One (MR channels × KR kernel entries) tile over every sample of the block: the accumulators
/// stay in registers across samples and rows, and go to the partial buffer once.
MINO_INLINE void weight_tile(const int MR, const int KR, const WeightTile *t) {
    MinoF16 acc[WG_MR][WG_KR];
    _Pragma("clang loop unroll(full)")
    for (int o = 0; o < MR; o++)
        _Pragma("clang loop unroll(full)")
        for (int k = 0; k < KR; k++) acc[o][k] = mino_load(t->partial + (o * t->kcount + k) * 16);
    const int outWidth = t->outWidth, full = outWidth / 16 * 16;
    const __mmask16 tail = (__mmask16)((1u << (outWidth - full)) - 1);
    const ptrdiff_t outPlane = t->outPlane;
    for (int n = 0; n < t->samples; n++) {
        const float *g = t->gradient + n * t->gradientSample;
        const float *in[WG_KR];
        _Pragma("clang loop unroll(full)")
        for (int k = 0; k < KR; k++) in[k] = t->input + n * t->inputSample + t->offsets[k];
        for (int y = 0; y < t->outHeight; y++, g += outWidth) {
            for (int x = 0; x < full; x += 16) {
                MinoF16 v[WG_KR];
                _Pragma("clang loop unroll(full)")
                for (int k = 0; k < KR; k++) v[k] = mino_load(in[k] + x);
                _Pragma("clang loop unroll(full)")
                for (int o = 0; o < MR; o++) {
                    const MinoF16 d = mino_load(g + o * outPlane + x);
                    _Pragma("clang loop unroll(full)")
                    for (int k = 0; k < KR; k++) acc[o][k] = __builtin_elementwise_fma(d, v[k], acc[o][k]);
                }
            }
            if (tail) {
                MinoF16 v[WG_KR];
                _Pragma("clang loop unroll(full)")
                for (int k = 0; k < KR; k++) v[k] = (MinoF16)_mm512_maskz_loadu_ps(tail, in[k] + full);
                _Pragma("clang loop unroll(full)")
                for (int o = 0; o < MR; o++) {
                    const MinoF16 d = (MinoF16)_mm512_maskz_loadu_ps(tail, g + o * outPlane + full);
                    _Pragma("clang loop unroll(full)")
                    for (int k = 0; k < KR; k++) acc[o][k] = __builtin_elementwise_fma(d, v[k], acc[o][k]);
                }
            }
            _Pragma("clang loop unroll(full)")
            for (int k = 0; k < KR; k++) in[k] += t->width;
        }
    }
    _Pragma("clang loop unroll(full)")
    for (int o = 0; o < MR; o++)
        _Pragma("clang loop unroll(full)")
        for (int k = 0; k < KR; k++) mino_store(t->partial + (o * t->kcount + k) * 16, acc[o][k]);
}

typedef void (*WeightTileFunction)(const WeightTile *);
#define WEIGHT(MR, KR) static void weight_##MR##_##KR(const WeightTile *t) { weight_tile(MR, KR, t); }
#define WEIGHT_ROW(MR) WEIGHT(MR, 1) WEIGHT(MR, 2) WEIGHT(MR, 3) WEIGHT(MR, 4) WEIGHT(MR, 5) WEIGHT(MR, 6)
WEIGHT_ROW(1) WEIGHT_ROW(2) WEIGHT_ROW(3) WEIGHT_ROW(4)
#define W6(MR) weight_##MR##_1, weight_##MR##_2, weight_##MR##_3, weight_##MR##_4, weight_##MR##_5, weight_##MR##_6
static const WeightTileFunction weightTiles[WG_MR][WG_KR] = {{W6(1)}, {W6(2)}, {W6(3)}, {W6(4)}};
#undef W6

void mino_conv_weight_gradient_accumulate(const MinoConvShape *s, const float *input, ptrdiff_t inputSampleStride,
                                          const float *outputGradient, ptrdiff_t gradientSampleStride, int samples,
                                          float *partial) {
    const int width = s->width;
    const int outHeight = s->height - s->dilationHeight * (s->kernelHeight - 1);
    const int outWidth = width - s->dilationWidth * (s->kernelWidth - 1);
    const int kw = s->kernelWidth, khw = s->kernelHeight * kw;
    const ptrdiff_t kcount = (ptrdiff_t)s->channels * khw, plane = (ptrdiff_t)s->height * width;
    WeightTile t = {
        .input = input, .outPlane = (ptrdiff_t)outHeight * outWidth, .kcount = kcount,
        .inputSample = inputSampleStride, .gradientSample = gradientSampleStride, .samples = samples,
        .outHeight = outHeight, .outWidth = outWidth, .width = width,
    };
    for (ptrdiff_t k0 = 0; k0 < kcount; k0 += WG_KR) {
        const int kr = kcount - k0 < WG_KR ? (int)(kcount - k0) : WG_KR;
        ptrdiff_t offsets[WG_KR];
        for (int k = 0; k < kr; k++) {
            const ptrdiff_t e = k0 + k;
            const ptrdiff_t c = e / khw, i = e % khw / kw, j = e % kw;
            offsets[k] = c * plane + i * s->dilationHeight * width + j * s->dilationWidth;
        }
        t.offsets = offsets;
        for (int o0 = 0; o0 < s->outChannels; o0 += WG_MR) {
            const int mr = s->outChannels - o0 < WG_MR ? s->outChannels - o0 : WG_MR;
            t.gradient = outputGradient + o0 * t.outPlane;
            t.partial = partial + (o0 * kcount + k0) * 16;
            weightTiles[mr - 1][kr - 1](&t);
        }
    }
}

void mino_conv_weight_gradient_reduce(const float *partials, ptrdiff_t partialStride, int partialCount, int count,
                                      float *result) {
    for (int e = 0; e < count; e++) {
        MinoF16 sum = mino_load(partials + (ptrdiff_t)e * 16);
        for (int p = 1; p < partialCount; p++) sum += mino_load(partials + p * partialStride + (ptrdiff_t)e * 16);
        result[e] = _mm512_reduce_add_ps((__m512)sum);
    }
}

// MARK: Embedding (padding)

void mino_conv_embed(const float *source, int planes, int height, int width, float *destination,
                     int destinationHeight, int destinationWidth, int top, int left) {
    // Source columns [x0, x1) land at x0 + left ..< x1 + left inside the destination row.
    const int x0 = left < 0 ? -left : 0;
    const int x1 = destinationWidth - left < width ? destinationWidth - left : width;
    for (int p = 0; p < planes; p++) {
        const float *from = source + (ptrdiff_t)p * height * width;
        float *to = destination + (ptrdiff_t)p * destinationHeight * destinationWidth;
        for (int y = 0; y < destinationHeight; y++) {
            float *row = to + (ptrdiff_t)y * destinationWidth;
            const int sy = y - top;
            if (sy < 0 || sy >= height || x1 <= x0) {
                memset(row, 0, (size_t)destinationWidth * sizeof(float));
                continue;
            }
            if (x0 + left > 0) memset(row, 0, (size_t)(x0 + left) * sizeof(float));
            memcpy(row + x0 + left, from + (ptrdiff_t)sy * width + x0, (size_t)(x1 - x0) * sizeof(float));
            if (x1 + left < destinationWidth)
                memset(row + x1 + left, 0, (size_t)(destinationWidth - x1 - left) * sizeof(float));
        }
    }
}

#pragma clang attribute pop
