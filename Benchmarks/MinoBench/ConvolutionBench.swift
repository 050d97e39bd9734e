import CBLAS
import Mino

/// conv2d forward (blas, float32) against the gemms it performs.
enum ConvolutionBench {
    /// GFLOP/s of `x.conv2d(w)` and of the gemm it performs (`[O K] · [K N·L]`,
    /// K = C·kh·kw, L = Ho·Wo: the batch's columns side by side) on plain buffers,
    /// timed in alternating blocks.
    static func convAndGemm(x xs: Shape, w ws: Shape, padding: Int, on backend: any Backend,
                            settings: BenchSettings) throws -> (Double, Double) {
        let g = RandomGenerator(seed: 3)
        let x = try Tensor.randn(xs, generator: g, on: backend)
        let w = try Tensor.randn(ws, generator: g, on: backend)
        let b = try Tensor.randn([ws[0]], generator: g, on: backend)
        let y = try withoutGradients { try x.conv2d(w, b, padding: [padding]) }
        let (n, o) = (xs[0], ws[0])
        let k = ws[1] * ws[2] * ws[3]
        let l = y.shape[2] * y.shape[3]
        let a = [Float](repeating: 0.5, count: o * k), cols = [Float](repeating: 0.25, count: k * n * l)
        var c = [Float](repeating: 0, count: o * n * l)
        let (m32, n32, k32) = (Int32(o), Int32(n * l), Int32(k))
        let (conv, gemm) = try Timing.interleavedMedians(blockSeconds: settings.blockSeconds, repeats: settings.repeats, {
            _ = try withoutGradients { try x.conv2d(w, b, padding: [padding]) }
        }, {
            mino_cblas_sgemm(MINO_CBLAS_ROW_MAJOR, MINO_CBLAS_NO_TRANS, MINO_CBLAS_NO_TRANS, m32, n32, k32, 1, a, k32, cols, n32, 0, &c, n32)
        })
        let flops = 2 * Double(n) * Double(o) * Double(k) * Double(l)
        return (flops / conv / 1e9, flops / gemm / 1e9)
    }
}
