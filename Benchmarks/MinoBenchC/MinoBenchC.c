// The FMA peak loop. Each iteration issues CHAINS independent FMAs, one per
// accumulator register: with an FMA latency of 4 cycles and 2 FMA pipes, 8
// chains in flight keep both pipes busy; 12 leaves margin. FLOPs per
// iteration: CHAINS × lanes × 2 (a multiply and an add per lane).

#define _GNU_SOURCE
#include "MinoBenchC.h"

#include <time.h>

#define CHAINS 12

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

#if defined(__x86_64__)
#define FMA12(r)                                                                                    \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "0\n\t"                                                \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "1\n\t"                                                \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "2\n\t"                                                \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "3\n\t"                                                \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "4\n\t"                                                \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "5\n\t"                                                \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "6\n\t"                                                \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "7\n\t"                                                \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "8\n\t"                                                \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "9\n\t"                                                \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "10\n\t"                                               \
    "vfmadd231ps %%" r "12, %%" r "13, %%" r "11\n\t"

#define CLOBBERS                                                                                    \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",  \
        "xmm12", "xmm13", "cc"

// Accumulators start at 0 and the operands are 0: x86 FMA units take no shortcut on zeros,
// and nothing can overflow or turn subnormal however long the loop runs.
__attribute__((target("avx2,fma"))) static void loop256(long iterations) {
    __asm__ volatile(
        "vxorps %%ymm0, %%ymm0, %%ymm0\n\t"
        "vxorps %%ymm1, %%ymm1, %%ymm1\n\t"
        "vxorps %%ymm2, %%ymm2, %%ymm2\n\t"
        "vxorps %%ymm3, %%ymm3, %%ymm3\n\t"
        "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"
        "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"
        "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"
        "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"
        "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"
        "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"
        "vxorps %%ymm10, %%ymm10, %%ymm10\n\t"
        "vxorps %%ymm11, %%ymm11, %%ymm11\n\t"
        "vxorps %%ymm12, %%ymm12, %%ymm12\n\t"
        "vxorps %%ymm13, %%ymm13, %%ymm13\n\t"
        "1:\n\t" FMA12("ymm")
        "dec %0\n\t"
        "jnz 1b\n\t"
        "vzeroupper\n\t"
        : "+r"(iterations)
        :
        : CLOBBERS);
}

__attribute__((target("avx512f"))) static void loop512(long iterations) {
    __asm__ volatile(
        "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
        "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
        "vpxord %%zmm2, %%zmm2, %%zmm2\n\t"
        "vpxord %%zmm3, %%zmm3, %%zmm3\n\t"
        "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"
        "vpxord %%zmm5, %%zmm5, %%zmm5\n\t"
        "vpxord %%zmm6, %%zmm6, %%zmm6\n\t"
        "vpxord %%zmm7, %%zmm7, %%zmm7\n\t"
        "vpxord %%zmm8, %%zmm8, %%zmm8\n\t"
        "vpxord %%zmm9, %%zmm9, %%zmm9\n\t"
        "vpxord %%zmm10, %%zmm10, %%zmm10\n\t"
        "vpxord %%zmm11, %%zmm11, %%zmm11\n\t"
        "vpxord %%zmm12, %%zmm12, %%zmm12\n\t"
        "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"
        "1:\n\t" FMA12("zmm")
        "dec %0\n\t"
        "jnz 1b\n\t"
        "vzeroupper\n\t"
        : "+r"(iterations)
        :
        : CLOBBERS);
}
#endif

double mino_fma_peak_gflops(int bits, double seconds, int blocks) {
#if defined(__x86_64__)
    void (*loop)(long);
    if (bits == 256) {
        loop = loop256;
    } else if (bits == 512) {
        loop = loop512;
    } else {
        return 0;
    }
    double flopsPerIteration = (double)CHAINS * (bits / 32) * 2;
    // Calibrate: grow the iteration count until a block takes a tenth of `seconds`.
    long iterations = 1 << 16;
    double elapsed = 0;
    while (1) {
        double t0 = now();
        loop(iterations);
        elapsed = now() - t0;
        if (elapsed >= seconds / 10 || iterations > (1L << 40)) break;
        iterations *= 4;
    }
    iterations = (long)((double)iterations * seconds / (elapsed > 1e-9 ? elapsed : 1e-9)) + 1;
    double best = 0;
    for (int b = 0; b < (blocks > 0 ? blocks : 1); b++) {
        double t0 = now();
        loop(iterations);
        double rate = flopsPerIteration * (double)iterations / (now() - t0) / 1e9;
        if (rate > best) best = rate;
    }
    return best;
#else
    (void)bits;
    (void)seconds;
    (void)blocks;
    return 0;
#endif
}
