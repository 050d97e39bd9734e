#include "KernelOptimizer.h"

#pragma clang attribute push(__attribute__((target("arch=x86-64-v4"))), apply_to = function)
#include "Vector.h"

MINO_INLINE MinoF16 adamLanes(MinoF16 *p, MinoF16 g, MinoF16 *m, MinoF16 *v, const MinoAdamStep *s) {
    MinoF16 gd = g + mino_splat(s->coupled) * *p;
    *m = mino_splat(s->beta1) * *m + mino_splat(s->oneMinusBeta1) * gd;
    *v = mino_splat(s->beta2) * *v + mino_splat(s->oneMinusBeta2) * gd * gd;
    MinoF16 denominator = __builtin_elementwise_sqrt(*v) / mino_splat(s->rootCorrection2) + mino_splat(s->epsilon);
    return *p * mino_splat(s->shrink) - mino_splat(s->stepSize) * *m / denominator;
}

void mino_adam_f32(long count, float *p, const float *g, float *m, float *v, MinoAdamStep step) {
    long i = 0;
    for (; i + MINO_LANES <= count; i += MINO_LANES) {
        MinoF16 pv = mino_load(p + i), mv = mino_load(m + i), vv = mino_load(v + i);
        MinoF16 updated = adamLanes(&pv, mino_load(g + i), &mv, &vv, &step);
        mino_store(m + i, mv);
        mino_store(v + i, vv);
        mino_store(p + i, updated);
    }
    if (i < count) {
        int rest = (int)(count - i);
        MinoF16 pv = mino_load_partial(p + i, rest), mv = mino_load_partial(m + i, rest);
        MinoF16 vv = mino_load_partial(v + i, rest);
        MinoF16 updated = adamLanes(&pv, mino_load_partial(g + i, rest), &mv, &vv, &step);
        mino_store_partial(m + i, mv, rest);
        mino_store_partial(v + i, vv, rest);
        mino_store_partial(p + i, updated, rest);
    }
}

#pragma clang attribute pop
