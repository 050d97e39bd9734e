#include "KernelElementwise.h"

#pragma clang attribute push(__attribute__((target("arch=x86-64-v4"))), apply_to = function)
#include "Vector.h"

MINO_INLINE MinoF16 flag(MinoI16 condition) { return mino_select(condition, mino_splat(1), mino_splat(0)); }

MINO_INLINE MinoF16 unaryLanes(MinoUnaryOp op, MinoF16 x) {
    switch (op) {
    case MinoUnaryNeg: return -x;
    case MinoUnaryExp: return mino_exp(x);
    case MinoUnarySqrt: return __builtin_elementwise_sqrt(x);
    case MinoUnaryAbs: return (MinoF16)((MinoI16)x & 0x7FFFFFFF);
    case MinoUnaryRelu: return mino_select((x > mino_splat(0)) | (x != x), x, mino_splat(0));
    case MinoUnarySigmoid: return mino_splat(1) / (mino_splat(1) + mino_exp(-x));
    case MinoUnaryTanh: return mino_tanh(x);
    }
    return x;
}

MINO_INLINE MinoF16 binaryLanes(MinoBinaryOp op, MinoF16 a, MinoF16 b) {
    switch (op) {
    case MinoBinaryAdd: return a + b;
    case MinoBinarySub: return a - b;
    case MinoBinaryMul: return a * b;
    case MinoBinaryDiv: return a / b;
    // NaN from either side, else the larger or smaller; of two equal values (+0 and −0)
    // the one Swift.max (the second) and Swift.min (the first) pick.
    case MinoBinaryMaximum: return mino_select((a != a) | (a > b), a, b);
    case MinoBinaryMinimum: return mino_select((a != a) | (a <= b), a, b);
    case MinoBinaryEqual: return flag(a == b);
    case MinoBinaryNotEqual: return flag(a != b);
    case MinoBinaryLess: return flag(a < b);
    case MinoBinaryLessEqual: return flag(a <= b);
    case MinoBinaryGreater: return flag(a > b);
    case MinoBinaryGreaterEqual: return flag(a >= b);
    }
    return a;
}

// One loop per op (the switch outside it): the op is a constant in each copy.
#define UNARY_LOOP(OP)                                                                                         \
    do {                                                                                                       \
        long i = 0;                                                                                            \
        for (; i + MINO_LANES <= count; i += MINO_LANES) mino_store(y + i, unaryLanes(OP, mino_load(x + i)));  \
        if (i < count) mino_store_partial(y + i, unaryLanes(OP, mino_load_partial(x + i, (int)(count - i))),   \
                                          (int)(count - i));                                                   \
    } while (0)

void mino_unary_f32(MinoUnaryOp op, long count, const float *x, float *y) {
    switch (op) {
    case MinoUnaryNeg: UNARY_LOOP(MinoUnaryNeg); break;
    case MinoUnaryExp: UNARY_LOOP(MinoUnaryExp); break;
    case MinoUnarySqrt: UNARY_LOOP(MinoUnarySqrt); break;
    case MinoUnaryAbs: UNARY_LOOP(MinoUnaryAbs); break;
    case MinoUnaryRelu: UNARY_LOOP(MinoUnaryRelu); break;
    case MinoUnarySigmoid: UNARY_LOOP(MinoUnarySigmoid); break;
    case MinoUnaryTanh: UNARY_LOOP(MinoUnaryTanh); break;
    }
}

/// Lanes of an operand at `p + i`: 16 elements, or one repeated (step 0).
MINO_INLINE MinoF16 operandLanes(const float *p, int step, long i, int count) {
    if (step == 0) return mino_splat(*p);
    return count == MINO_LANES ? mino_load(p + i) : mino_load_partial(p + i, count);
}

#define BINARY_LOOP(OP)                                                                                        \
    do {                                                                                                       \
        long i = 0;                                                                                            \
        for (; i + MINO_LANES <= count; i += MINO_LANES)                                                       \
            mino_store(out + i, binaryLanes(OP, operandLanes(a, aStep, i, MINO_LANES),                          \
                                            operandLanes(b, bStep, i, MINO_LANES)));                           \
        if (i < count) {                                                                                       \
            int rest = (int)(count - i);                                                                       \
            mino_store_partial(out + i, binaryLanes(OP, operandLanes(a, aStep, i, rest),                        \
                                                    operandLanes(b, bStep, i, rest)), rest);                   \
        }                                                                                                      \
    } while (0)

void mino_binary_f32(MinoBinaryOp op, long count, const float *a, int aStep, const float *b, int bStep, float *out) {
    switch (op) {
    case MinoBinaryAdd: BINARY_LOOP(MinoBinaryAdd); break;
    case MinoBinarySub: BINARY_LOOP(MinoBinarySub); break;
    case MinoBinaryMul: BINARY_LOOP(MinoBinaryMul); break;
    case MinoBinaryDiv: BINARY_LOOP(MinoBinaryDiv); break;
    case MinoBinaryMaximum: BINARY_LOOP(MinoBinaryMaximum); break;
    case MinoBinaryMinimum: BINARY_LOOP(MinoBinaryMinimum); break;
    case MinoBinaryEqual: BINARY_LOOP(MinoBinaryEqual); break;
    case MinoBinaryNotEqual: BINARY_LOOP(MinoBinaryNotEqual); break;
    case MinoBinaryLess: BINARY_LOOP(MinoBinaryLess); break;
    case MinoBinaryLessEqual: BINARY_LOOP(MinoBinaryLessEqual); break;
    case MinoBinaryGreater: BINARY_LOOP(MinoBinaryGreater); break;
    case MinoBinaryGreaterEqual: BINARY_LOOP(MinoBinaryGreaterEqual); break;
    }
}

#pragma clang attribute pop
