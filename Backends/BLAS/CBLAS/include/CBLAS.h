// CBLAS: the few CBLAS entry points the blas backend calls, resolved at run
// time from a library opened with dlopen (OpenBLAS, Intel MKL's libmkl_rt, or
// any library with the CBLAS interface), and the CPU's vector features.
//
// Why not link libopenblas: a library linked at load time runs its
// constructor before any Swift code, and OpenBLAS's constructor picks its
// kernels then, from OPENBLAS_CORETYPE or its own table of CPU models (which
// does not know CPUs newer than the library: they get SSE3 kernels). Opening
// the library at first use lets Mino set OPENBLAS_CORETYPE from the CPU's
// features first, and lets MINO_BLAS pick another provider. Nothing here
// includes <cblas.h>, so the package builds without any BLAS installed.
//
// Nothing but mino_cpu_features may be called before a table is active
// (mino_cblas_activate after mino_cblas_open succeeded).

#ifndef MINO_CBLAS_H
#define MINO_CBLAS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// CBLAS's enum values (cblas.h: CBLAS_ORDER, CBLAS_TRANSPOSE), fixed by the standard.
#define MINO_CBLAS_ROW_MAJOR 101
#define MINO_CBLAS_NO_TRANS 111
#define MINO_CBLAS_TRANS 112

typedef void (*MinoSgemm)(int order, int transA, int transB, int m, int n, int k, float alpha,
                          const float *_Nonnull a, int lda, const float *_Nonnull b, int ldb, float beta,
                          float *_Nonnull c, int ldc);
typedef void (*MinoDgemm)(int order, int transA, int transB, int m, int n, int k, double alpha,
                          const double *_Nonnull a, int lda, const double *_Nonnull b, int ldb, double beta,
                          double *_Nonnull c, int ldc);

/// MKLVersion (mkl_types.h), as MKL_Get_Version fills it.
typedef struct {
    int major;
    int minor;
    int update;
    const char *_Nullable productStatus;
    const char *_Nullable build;
    const char *_Nullable processor;  // the code path MKL dispatches to on this CPU
    const char *_Nullable platform;
} MinoMKLVersion;

/// One opened library. The gemms are always set; the rest are NULL where the
/// library does not export them (OpenBLAS's and MKL's own extras).
typedef struct {
    void *_Nullable handle;
    MinoSgemm _Nullable sgemm;
    MinoDgemm _Nullable dgemm;
    // OpenBLAS
    void (*_Nullable openblas_set_num_threads)(int);
    int (*_Nullable openblas_get_num_threads)(void);
    char *_Nullable (*_Nullable openblas_get_config)(void);
    char *_Nullable (*_Nullable openblas_get_corename)(void);
    // Intel MKL (libmkl_rt)
    void (*_Nullable mkl_set_num_threads)(int);
    int (*_Nullable mkl_get_max_threads)(void);
    void (*_Nullable mkl_get_version)(MinoMKLVersion *_Nonnull);
    void (*_Nullable mkl_get_version_string)(char *_Nonnull, int);
    /// MKL_Set_Threading_Layer(code): 0 Intel OpenMP, 1 sequential, 3 GNU OpenMP, 4 TBB; before the first MKL call.
    int (*_Nullable mkl_set_threading_layer)(int);
    /// 1 when the library was already in the process before this open (its
    /// constructor ran earlier: OPENBLAS_CORETYPE set now changes nothing).
    int alreadyLoaded;
    /// 1 when this open set OPENBLAS_CORETYPE (the user had not).
    int coreTypeApplied;
} MinoCBLASTable;

/// Opens `path` (a file, or a bare soname for the dynamic loader to find) and
/// resolves the table. When `coreType` is not NULL and OPENBLAS_CORETYPE is
/// unset, sets it to `coreType` for the duration of dlopen (when OpenBLAS's
/// constructor reads it) and unsets it afterwards, so child processes see the
/// user's environment. Returns 0, or -1 with a message in `error`.
int mino_cblas_open(const char *_Nonnull path, const char *_Nullable coreType, MinoCBLASTable *_Nonnull table,
                    char *_Nonnull error, size_t errorSize);

/// 1 when the dynamic loader can open `name` (a bare soname or a path).
int mino_can_open(const char *_Nonnull name);

/// The file the library's cblas_sgemm lives in (dladdr), into `buffer`; 0 on success.
int mino_cblas_file(const MinoCBLASTable *_Nonnull table, char *_Nonnull buffer, size_t size);

/// Makes `table` the one mino_cblas_sgemm/dgemm call, then marks it ready.
void mino_cblas_activate(const MinoCBLASTable *_Nonnull table);
/// 1 once a table is active (an acquire load: the table is visible after it).
int mino_cblas_is_ready(void);

/// cblas_sgemm / cblas_dgemm of the active table.
void mino_cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
                      const float *_Nonnull a, int lda, const float *_Nonnull b, int ldb, float beta,
                      float *_Nonnull c, int ldc);
void mino_cblas_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha,
                      const double *_Nonnull a, int lda, const double *_Nonnull b, int ldb, double beta,
                      double *_Nonnull c, int ldc);

/// The CPU's vector features, as cpuid reports them and the OS enables them
/// (XGETBV: AVX needs the YMM state saved, AVX-512 the ZMM state). All 0 off x86-64.
typedef struct {
    int x86;
    int sse3, ssse3, sse41, sse42, avx, fma, avx2;
    int avx512f, avx512dq, avx512cd, avx512bw, avx512vl, avx512vnni, avx512bf16, avx512fp16, amxTile;
    int family, model;  // display family and model (Intel's and AMD's rule for extended fields)
    char vendor[13];
    char brand[49];
} MinoCPUFeatures;

void mino_cpu_features(MinoCPUFeatures *_Nonnull out);

#ifdef __cplusplus
}
#endif

#endif
