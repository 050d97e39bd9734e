// Elementwise float32 kernels over contiguous ranges (AVX-512; see KernelISA.h),
// with the values of the Swift loops' scalar table (Backends/CPU/CPUScalarMath.swift):
// bit for bit where the operation is IEEE arithmetic, within a few ulp for the
// exponentials.

#ifndef MINO_KERNEL_ELEMENTWISE_H
#define MINO_KERNEL_ELEMENTWISE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    MinoUnaryNeg,
    MinoUnaryExp,
    MinoUnarySqrt,
    MinoUnaryAbs,
    /// x where x > 0 or NaN, else +0.
    MinoUnaryRelu,
    /// 1 / (1 + e^−x).
    MinoUnarySigmoid,
    MinoUnaryTanh,
} MinoUnaryOp;

typedef enum {
    MinoBinaryAdd,
    MinoBinarySub,
    MinoBinaryMul,
    MinoBinaryDiv,
    /// max and min that propagate NaN (PyTorch's maximum, minimum).
    MinoBinaryMaximum,
    MinoBinaryMinimum,
    /// 1 or 0.
    MinoBinaryEqual,
    MinoBinaryNotEqual,
    MinoBinaryLess,
    MinoBinaryLessEqual,
    MinoBinaryGreater,
    MinoBinaryGreaterEqual,
} MinoBinaryOp;

/// y[i] = op(x[i]) for i in 0..<count (y may be x).
void mino_unary_f32(MinoUnaryOp op, long count, const float *_Nonnull x, float *_Nonnull y);

/// out[i] = op(a[i·aStep], b[i·bStep]) for i in 0..<count, each step 1 (an array) or
/// 0 (one value repeated); out may be a or b when its step is 1.
void mino_binary_f32(MinoBinaryOp op, long count, const float *_Nonnull a, int aStep, const float *_Nonnull b,
                     int bStep, float *_Nonnull out);

#ifdef __cplusplus
}
#endif

#endif
