// The machine's single-precision FMA peak, measured: a register-only loop of
// independent vfmadd231ps chains, written in inline assembly so that it issues
// exactly those instructions at any optimisation level.
#ifndef MINO_BENCH_C_H
#define MINO_BENCH_C_H

#ifdef __cplusplus
extern "C" {
#endif

/// GFLOP/s of float32 FMAs on the calling thread with `bits`-wide vectors (256:
/// AVX2+FMA ymm, 512: AVX-512 zmm), the best of `blocks` blocks of about
/// `seconds` each. 0 when `bits` is neither or the code is not built for x86-64.
/// The caller checks the CPU has the instructions (CPUFeatures).
double mino_fma_peak_gflops(int bits, double seconds, int blocks);

#ifdef __cplusplus
}
#endif

#endif
