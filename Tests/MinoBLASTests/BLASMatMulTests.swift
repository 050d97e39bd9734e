import XCTest
import Mino

/// Matrix products on the blas backend against the reference backend: plain,
/// transposed views (read as CblasTrans without a copy), batched, broadcast
/// batches, strided slices, vectors and empty sizes.
final class BLASMatMulTests: XCTestCase {
    let blas = BLASBackend()
    let reference = ReferenceBackend()

    /// The same random values on both backends.
    func pair(_ shape: Shape, _ dtype: DType, seed: UInt64) throws -> (Tensor, Tensor) {
        let values = RandomGenerator(seed: seed).uniform(count: shape.elementCount, low: -1, high: 1)
        return (try Tensor(doubles: values, shape: shape, dtype: dtype, on: blas),
                try Tensor(doubles: values, shape: shape, dtype: dtype, on: reference))
    }

    func check(_ aShape: Shape, _ bShape: Shape, transposeA: Bool = false, transposeB: Bool = false,
               file: StaticString = #filePath, line: UInt = #line) throws {
        for dtype in [DType.float32, .float64] {
            var (a, ra) = try pair(aShape, dtype, seed: 1)
            var (b, rb) = try pair(bShape, dtype, seed: 2)
            if transposeA { (a, ra) = (try a.transposed(), try ra.transposed()) }
            if transposeB { (b, rb) = (try b.transposed(), try rb.transposed()) }
            try Closeness.assertClose(try a.matmul(b), try ra.matmul(rb),
                                      "\(dtype) \(a.shape)\(transposeA ? "ᵀ" : "") @ \(b.shape)\(transposeB ? "ᵀ" : "")",
                                      file: file, line: line)
        }
    }

    func testPlainProducts() throws {
        try check([3, 4], [4, 5])
        try check([1, 7], [7, 1])
        try check([33, 17], [17, 65])
    }

    func testTransposedOperands() throws {
        try check([4, 3], [4, 5], transposeA: true)
        try check([3, 4], [5, 4], transposeB: true)
        try check([4, 3], [5, 4], transposeA: true, transposeB: true)
        try check([2, 6, 3], [2, 5, 6], transposeA: true, transposeB: true)
        try check([1, 3], [4, 1], transposeA: true, transposeB: true)
    }

    /// A transposed view reaches gemm as it is: the product allocates its output and nothing else.
    func testTransposedViewsAreNotCopied() throws {
        let a = try Tensor.randn([64, 32], generator: RandomGenerator(seed: 3), on: blas).transposed()
        let b = try Tensor.randn([48, 64], generator: RandomGenerator(seed: 4), on: blas).transposed()
        let cache = CPUBufferCache.shared
        let before = cache.statistics
        _ = try withoutGradients { try Dispatch.apply(Ops.matmul, [a, b]) }
        let after = cache.statistics
        XCTAssertEqual((after.hits + after.misses) - (before.hits + before.misses), 1,
                       "the product of transposed views took more than its output buffer")
    }

    func testBatchedAndBroadcastBatches() throws {
        try check([2, 3, 4], [2, 4, 5])
        try check([2, 3, 4], [4, 5])
        try check([3, 4], [2, 4, 5])
        try check([1, 3, 4], [2, 4, 2])
        try check([2, 1, 3, 4], [5, 4, 2])
        try check([2, 3, 4], [5, 4], transposeB: true)
        try check([2, 4, 3], [4, 5], transposeA: true)
    }

    func testStridedSlicesAndVectors() throws {
        for dtype in [DType.float32, .float64] {
            let (a, ra) = try pair([6, 8], dtype, seed: 5)
            let (b, rb) = try pair([8, 4], dtype, seed: 6)
            // Every other column: a column stride of 2, which BLAS cannot read; copied.
            let sa = try a.slice(axis: 1, start: 0, end: 8, step: 2)
            let sra = try ra.slice(axis: 1, start: 0, end: 8, step: 2)
            let sb = try b.slice(axis: 0, start: 1, end: 8, step: 2)
            let srb = try rb.slice(axis: 0, start: 1, end: 8, step: 2)
            try Closeness.assertClose(try sa.matmul(sb), try sra.matmul(srb), "strided \(dtype)")
            // Rows sliced: a leading dimension larger than the width, read in place.
            let rowsA = try a.slice(axis: 1, start: 2, end: 6)
            let rowsRA = try ra.slice(axis: 1, start: 2, end: 6)
            let (v, rv) = try pair([4], dtype, seed: 7)
            try Closeness.assertClose(try rowsA.matmul(v), try rowsRA.matmul(rv), "matrix @ vector \(dtype)")
            try Closeness.assertClose(try v.matmul(try b.transposed()), try rv.matmul(try rb.transposed()),
                                      "vector @ matrix \(dtype)")
        }
    }

    func testEmptySizes() throws {
        try check([3, 0], [0, 4])   // k = 0: zeros
        try check([0, 3], [3, 4])
        try check([2, 0, 3], [3, 4])
        let zeros = try Tensor.zeros([3, 0], on: blas).matmul(try Tensor.zeros([0, 4], on: blas))
        XCTAssertEqual(try zeros.floats(), [Float](repeating: 0, count: 12))
    }

    func testGradientsThroughTransposedProducts() throws {
        for dtype in [DType.float32, .float64] {
            let (a, ra) = try pair([5, 3], dtype, seed: 8)
            let (b, rb) = try pair([4, 5], dtype, seed: 9)
            for t in [a, ra, b, rb] { t.requiresGrad = true }
            try (a.transposed().matmul(try b.transposed())).sigmoid().sum().backward()
            try (ra.transposed().matmul(try rb.transposed())).sigmoid().sum().backward()
            try Closeness.assertClose(try XCTUnwrap(a.grad), try XCTUnwrap(ra.grad), "∂a \(dtype)")
            try Closeness.assertClose(try XCTUnwrap(b.grad), try XCTUnwrap(rb.grad), "∂b \(dtype)")
        }
    }
}
