import CBLAS
import MinoCore
import MinoCPU
import RealModule

/// The floating-point types the BLAS library computes in (`float32`, `float64`), with
/// their BLAS entry points and the elementwise functions the kernels vectorise.
protocol BLASFloat: CPUFloat {
    /// `c = alpha·op(a)·op(b) + beta·c`, row-major; `op` transposes when asked.
    /// Through the active ``BLASLibrary``: callers make sure one is (``BLASLibrary/ensureActive()``).
    static func gemm(transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int32, b: UnsafePointer<Self>, ldb: Int32,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int32)
}

@inline(__always)
func cblasTranspose(_ transposed: Bool) -> Int32 {
    transposed ? MINO_CBLAS_TRANS : MINO_CBLAS_NO_TRANS
}

extension Float: BLASFloat {
    @inline(__always)
    static func gemm(transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Float,
                     a: UnsafePointer<Float>, lda: Int32, b: UnsafePointer<Float>, ldb: Int32,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int32) {
        mino_cblas_sgemm(MINO_CBLAS_ROW_MAJOR, cblasTranspose(transA), cblasTranspose(transB), m, n, k,
                    alpha, a, lda, b, ldb, beta, c, ldc)
    }
}

extension Double: BLASFloat {
    @inline(__always)
    static func gemm(transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Double,
                     a: UnsafePointer<Double>, lda: Int32, b: UnsafePointer<Double>, ldb: Int32,
                     beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int32) {
        mino_cblas_dgemm(MINO_CBLAS_ROW_MAJOR, cblasTranspose(transA), cblasTranspose(transB), m, n, k,
                    alpha, a, lda, b, ldb, beta, c, ldc)
    }
}
