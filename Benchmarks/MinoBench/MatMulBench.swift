import CBLAS
import Mino

/// Square matrix products: the reference backend, the blas backend, and raw
/// `cblas_sgemm`/`cblas_dgemm` on plain buffers, all in this process.
enum MatMulBench {
    /// GFLOP/s of `n×n @ n×n` by Mino on `backend`.
    static func mino(n: Int, dtype: DType, on backend: any Backend, settings: BenchSettings) throws -> Double {
        let g = RandomGenerator(seed: 7)
        let a = try Tensor.randn([n, n], dtype: dtype, generator: g, on: backend)
        let b = try Tensor.randn([n, n], dtype: dtype, generator: g, on: backend)
        _ = try a.matmul(b)
        let seconds = try Timing.medianSecondsPerCall(blockSeconds: settings.blockSeconds(n: n, backend: backend.name),
                                                      repeats: settings.repeats(n: n, backend: backend.name)) {
            _ = try a.matmul(b)
        }
        return gflops(n, seconds)
    }

    /// GFLOP/s of `cblas_?gemm` called directly, row-major, on contiguous buffers.
    static func raw(n: Int, dtype: DType, settings: BenchSettings) -> Double {
        let count = n * n
        let g = RandomGenerator(seed: 7)
        let n32 = Int32(n)
        let seconds: Double
        switch dtype {
        case .float64:
            let a = g.normal(count: count), b = g.normal(count: count)
            var c = [Double](repeating: 0, count: count)
            seconds = Timing.medianSecondsPerCall(blockSeconds: settings.blockSeconds(n: n, backend: "raw"),
                                                  repeats: settings.repeats(n: n, backend: "raw")) {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n32, n32, n32, 1, a, n32, b, n32, 0, &c, n32)
            }
        default:
            let a = g.normal(count: count).map(Float.init), b = g.normal(count: count).map(Float.init)
            var c = [Float](repeating: 0, count: count)
            seconds = Timing.medianSecondsPerCall(blockSeconds: settings.blockSeconds(n: n, backend: "raw"),
                                                  repeats: settings.repeats(n: n, backend: "raw")) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n32, n32, n32, 1, a, n32, b, n32, 0, &c, n32)
            }
        }
        return gflops(n, seconds)
    }

    static func gflops(_ n: Int, _ seconds: Double) -> Double {
        2 * Double(n) * Double(n) * Double(n) / seconds / 1e9
    }
}
