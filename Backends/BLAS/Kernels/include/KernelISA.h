// MinoKernels: the blas backend's own C kernels for float32, where Swift cannot
// reach the machine's vector width (the package builds for baseline x86-64 and
// Swift has no per-function target attribute). They are written with clang's
// vector extensions and compiled for AVX-512 (x86-64-v4); on any other CPU
// `mino_kernels_supported` is 0 and the backend runs its Swift loops and BLAS
// calls instead. One concern per header; every header here is in the module
// (an umbrella directory: after adding one, an incremental build may report
// "cannot find 'mino_…' in scope" from a stale module cache until
// `rm -rf .build/*/ModuleCache` — a SwiftPM caching problem, not a missing file).

#ifndef MINO_KERNEL_ISA_H
#define MINO_KERNEL_ISA_H

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU and OS run the kernels (AVX-512 F, BW, CD, DQ and VL), else 0:
/// no other function of this module may be called then.
int mino_kernels_supported(void);

#ifdef __cplusplus
}
#endif

#endif
