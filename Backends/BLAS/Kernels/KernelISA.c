#include "KernelISA.h"

int mino_kernels_supported(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    // x86-64-v4: AVX-512 F, BW, CD, DQ, VL, with the OS saving zmm state (the builtin checks xgetbv).
    return __builtin_cpu_supports("x86-64-v4") ? 1 : 0;
#else
    return 0;
#endif
}
