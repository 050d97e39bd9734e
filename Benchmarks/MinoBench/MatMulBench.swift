import CBLAS
import Mino

/// Square matrix products: the reference backend, the blas backend, and raw
/// `cblas_sgemm`/`cblas_dgemm` on plain buffers, all in this process.
enum MatMulBench {
    /// GFLOP/s of `n×n @ n×n` by Mino on `backend`.
    static func mino(n: Int, dtype: DType, on backend: any Backend, settings: BenchSettings) throws -> Double {
        let (a, b) = try operands(n: n, dtype: dtype, on: backend)
        _ = try a.matmul(b)
        let seconds = try Timing.medianSecondsPerCall(blockSeconds: settings.blockSeconds(n: n, backend: backend.name),
                                                      repeats: settings.repeats(n: n, backend: backend.name)) {
            _ = try a.matmul(b)
        }
        return gflops(n, seconds)
    }

    /// GFLOP/s of Mino on `backend` and of `cblas_?gemm` called directly (row-major,
    /// contiguous buffers), timed in alternating blocks.
    static func minoAndRaw(n: Int, dtype: DType, on backend: any Backend, settings: BenchSettings) throws -> (Double, Double) {
        let (a, b) = try operands(n: n, dtype: dtype, on: backend)
        _ = try a.matmul(b)
        let block = settings.blockSeconds(n: n, backend: backend.name)
        let repeats = settings.repeats(n: n, backend: backend.name)
        let n32 = Int32(n)
        let (ha, hb) = (try a.toHost(), try b.toHost())
        let (mino, raw): (Double, Double)
        switch dtype {
        case .float64:
            let (pa, pb) = (ha.doubles, hb.doubles)
            var c = [Double](repeating: 0, count: n * n)
            (mino, raw) = try Timing.interleavedMedians(blockSeconds: block, repeats: repeats, { _ = try a.matmul(b) }, {
                mino_cblas_dgemm(MINO_CBLAS_ROW_MAJOR, MINO_CBLAS_NO_TRANS, MINO_CBLAS_NO_TRANS, n32, n32, n32, 1, pa, n32, pb, n32, 0, &c, n32)
            })
        default:
            let (pa, pb) = (ha.floats, hb.floats)
            var c = [Float](repeating: 0, count: n * n)
            (mino, raw) = try Timing.interleavedMedians(blockSeconds: block, repeats: repeats, { _ = try a.matmul(b) }, {
                mino_cblas_sgemm(MINO_CBLAS_ROW_MAJOR, MINO_CBLAS_NO_TRANS, MINO_CBLAS_NO_TRANS, n32, n32, n32, 1, pa, n32, pb, n32, 0, &c, n32)
            })
        }
        return (gflops(n, mino), gflops(n, raw))
    }

    static func operands(n: Int, dtype: DType, on backend: any Backend) throws -> (Tensor, Tensor) {
        let g = RandomGenerator(seed: 7)
        return (try Tensor.randn([n, n], dtype: dtype, generator: g, on: backend),
                try Tensor.randn([n, n], dtype: dtype, generator: g, on: backend))
    }

    static func gflops(_ n: Int, _ seconds: Double) -> Double {
        2 * Double(n) * Double(n) * Double(n) / seconds / 1e9
    }
}
