import CBLAS
import MinoCore
import RealModule

/// The floating-point types the BLAS library computes in (`float32`, `float64`), with
/// their BLAS entry points and the elementwise functions the kernels vectorise.
protocol BLASFloat: Real & BinaryFloatingPoint & SIMDScalar & Codable {
    /// `c = alpha·op(a)·op(b) + beta·c`, row-major; `op` transposes when asked.
    /// Through the active ``BLASLibrary``: callers make sure one is (``BLASLibrary/ensureActive()``).
    static func gemm(transA: Bool, transB: Bool, m: Int32, n: Int32, k: Int32, alpha: Self,
                     a: UnsafePointer<Self>, lda: Int32, b: UnsafePointer<Self>, ldb: Int32,
                     beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int32)
    /// eˣ in a form the loop vectoriser can turn into SIMD code (no calls, no branches).
    static func vectorExp(_ x: Self) -> Self
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

    /// eˣ to about 1 ulp: Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, Cephes'
    /// degree-6 polynomial for eʳ, and 2ⁿ built from exponent bits in two halves
    /// (so results between FLT_MAX/2 and FLT_MAX, and subnormals, come out right).
    /// Overflows to +∞, underflows to 0, passes NaN through.
    @inline(__always)
    static func vectorExp(_ x: Float) -> Float {
        let clamped = x < -104 ? -104 : (x > 89 ? 89 : x)
        let safe = x.isNaN ? 0 : clamped
        // Round safe·log₂e to an integer with the 1.5·2²³ trick: the integer lands in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = safe * 1.442_695_04 + magic
        let n = shifted - magic
        let r = safe - n * 0.693_359_375 - n * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * r * r + r + 1
        let ni = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        let half = ni &>> 1
        let s1 = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
        let s2 = Float(bitPattern: UInt32(bitPattern: (ni &- half &+ 127) &<< 23))
        let result = y * s1 * s2
        return x.isNaN ? x : result
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

    /// float64 keeps the C library's exp: exact agreement with the reference backend
    /// matters more here than speed (the float64 paths are for checking, not training).
    @inline(__always)
    static func vectorExp(_ x: Double) -> Double { Double.exp(x) }
}
