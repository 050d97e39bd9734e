// Opens a CBLAS library at run time and reads the CPU's features. See
// include/CBLAS.h for why the library is not linked.

// dladdr and Dl_info are GNU extensions on glibc.
#define _GNU_SOURCE

#include "CBLAS.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

static MinoCBLASTable mino_cblas_active;
static atomic_int mino_cblas_ready = 0;

// dlsym into a function-pointer field (memcpy: ISO C has no object-to-function pointer cast).
static void resolve(void *handle, const char *symbol, void *field) {
    void *address = dlsym(handle, symbol);
    memcpy(field, &address, sizeof(void *));
}

int mino_cblas_open(const char *path, const char *coreType, MinoCBLASTable *table, char *error, size_t errorSize) {
    memset(table, 0, sizeof *table);
    dlerror();
    void *existing = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
    if (existing != NULL) {
        table->alreadyLoaded = 1;
        dlclose(existing);
    }
    // The constructor reads OPENBLAS_CORETYPE inside dlopen; a user's setting is never replaced.
    int setCore = coreType != NULL && !table->alreadyLoaded && getenv("OPENBLAS_CORETYPE") == NULL;
    if (setCore) setenv("OPENBLAS_CORETYPE", coreType, 1);
    // OpenBLAS's idle workers spin 2^28 TSC ticks (~0.1 s) after each product, holding the
    // cores the blas backend's own pool then needs for its kernels (a 2-thread LSTM step ran
    // 14% slower); 2^18 ticks (~0.1 ms) still bridges back-to-back products. Read with the
    // core type, and likewise never replacing a user's setting.
    int setTimeout = coreType != NULL && !table->alreadyLoaded && getenv("OPENBLAS_THREAD_TIMEOUT") == NULL;
    if (setTimeout) setenv("OPENBLAS_THREAD_TIMEOUT", "18", 1);
    // RTLD_LOCAL: two providers (OpenBLAS and MKL) export the same cblas_* names; each is
    // reached only through its own handle, never through the global namespace.
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (setCore) unsetenv("OPENBLAS_CORETYPE");
    if (setTimeout) unsetenv("OPENBLAS_THREAD_TIMEOUT");
    if (handle == NULL) {
        const char *why = dlerror();
        snprintf(error, errorSize, "%s", why ? why : "dlopen failed");
        return -1;
    }
    table->coreTypeApplied = setCore;
    table->handle = handle;
    resolve(handle, "cblas_sgemm", &table->sgemm);
    resolve(handle, "cblas_dgemm", &table->dgemm);
    if (table->sgemm == NULL || table->dgemm == NULL) {
        snprintf(error, errorSize, "%s does not export cblas_sgemm and cblas_dgemm (not a CBLAS library)", path);
        dlclose(handle);
        memset(table, 0, sizeof *table);
        return -1;
    }
    resolve(handle, "openblas_set_num_threads", &table->openblas_set_num_threads);
    resolve(handle, "openblas_get_num_threads", &table->openblas_get_num_threads);
    resolve(handle, "openblas_get_config", &table->openblas_get_config);
    resolve(handle, "openblas_get_corename", &table->openblas_get_corename);
    resolve(handle, "MKL_Set_Num_Threads", &table->mkl_set_num_threads);
    resolve(handle, "MKL_Get_Max_Threads", &table->mkl_get_max_threads);
    resolve(handle, "MKL_Get_Version", &table->mkl_get_version);
    resolve(handle, "MKL_Get_Version_String", &table->mkl_get_version_string);
    resolve(handle, "MKL_Set_Threading_Layer", &table->mkl_set_threading_layer);
    return 0;
}

int mino_can_open(const char *name) {
    void *handle = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
    if (handle == NULL) return 0;
    dlclose(handle);
    return 1;
}

int mino_cblas_file(const MinoCBLASTable *table, char *buffer, size_t size) {
    void *address;
    memcpy(&address, &table->sgemm, sizeof(void *));
    Dl_info info;
    if (address == NULL || dladdr(address, &info) == 0 || info.dli_fname == NULL) return -1;
    snprintf(buffer, size, "%s", info.dli_fname);
    return 0;
}

void mino_cblas_activate(const MinoCBLASTable *table) {
    atomic_store_explicit(&mino_cblas_ready, 0, memory_order_release);
    mino_cblas_active = *table;
    atomic_store_explicit(&mino_cblas_ready, 1, memory_order_release);
}

int mino_cblas_is_ready(void) { return atomic_load_explicit(&mino_cblas_ready, memory_order_acquire); }

void mino_cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc) {
    mino_cblas_active.sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void mino_cblas_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha, const double *a, int lda,
                      const double *b, int ldb, double beta, double *c, int ldc) {
    mino_cblas_active.dgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

#if defined(__x86_64__) || defined(__i386__)
// XCR0: which register states the OS saves on a context switch (XGETBV with ECX = 0).
static unsigned long long xcr0(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

void mino_cpu_features(MinoCPUFeatures *out) {
    memset(out, 0, sizeof *out);
#if defined(__x86_64__) || defined(__i386__)
    unsigned int a, b, c, d;
    out->x86 = 1;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    unsigned int maxLeaf = a;
    memcpy(out->vendor, &b, 4);
    memcpy(out->vendor + 4, &d, 4);
    memcpy(out->vendor + 8, &c, 4);
    out->vendor[12] = 0;

    __get_cpuid(1, &a, &b, &c, &d);
    unsigned int baseFamily = (a >> 8) & 0xf, baseModel = (a >> 4) & 0xf;
    out->family = (int)(baseFamily == 0xf ? baseFamily + ((a >> 20) & 0xff) : baseFamily);
    out->model = (int)(baseFamily == 0x6 || baseFamily == 0xf ? baseModel + (((a >> 16) & 0xf) << 4) : baseModel);
    out->sse3 = (c >> 0) & 1;
    out->ssse3 = (c >> 9) & 1;
    out->sse41 = (c >> 19) & 1;
    out->sse42 = (c >> 20) & 1;
    int osxsave = (c >> 27) & 1;
    unsigned long long xcr = osxsave ? xcr0() : 0;
    int ymm = (xcr & 0x6) == 0x6;            // SSE and AVX state
    int zmm = ymm && (xcr & 0xe0) == 0xe0;   // opmask, ZMM_Hi256, Hi16_ZMM state
    out->avx = ymm && ((c >> 28) & 1);
    out->fma = out->avx && ((c >> 12) & 1);

    if (maxLeaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        out->avx2 = out->avx && ((b >> 5) & 1);
        out->avx512f = zmm && ((b >> 16) & 1);
        out->avx512dq = out->avx512f && ((b >> 17) & 1);
        out->avx512cd = out->avx512f && ((b >> 28) & 1);
        out->avx512bw = out->avx512f && ((b >> 30) & 1);
        out->avx512vl = out->avx512f && ((b >> 31) & 1);
        out->avx512vnni = out->avx512f && ((c >> 11) & 1);
        out->avx512fp16 = out->avx512f && ((d >> 23) & 1);
        out->amxTile = (d >> 24) & 1;
        unsigned int subleaves = a;
        if (subleaves >= 1) {
            __cpuid_count(7, 1, a, b, c, d);
            out->avx512bf16 = out->avx512f && ((a >> 5) & 1);
        }
    }
    unsigned int maxExtended = __get_cpuid_max(0x80000000, NULL);
    if (maxExtended >= 0x80000004) {
        unsigned int words[12];
        for (unsigned int i = 0; i < 3; i++) {
            __get_cpuid(0x80000002 + i, &words[4 * i], &words[4 * i + 1], &words[4 * i + 2], &words[4 * i + 3]);
        }
        memcpy(out->brand, words, 48);
        out->brand[48] = 0;
    }
#endif
}
