import XCTest
import MinoBLAS
import MinoKernels

/// The native float32 product `C += A·B` (`mino_sgemm`, and `mino_sgemm_packed` over B packed
/// by `mino_sgemm_pack_b`) against a float64 product of the same float32 values, over the
/// shapes where a register-tiled kernel goes wrong: every row remainder of the 8-row tile,
/// column counts around the 16- and 32-wide vectors, depths around the 256-deep block, empty
/// sides, padded strides (whose padding must be neither read nor written) and C's previous
/// contents kept (beta 1).
final class NativeGemmTests: NativeKernelTestCase {
    /// A product's operands in padded row-major buffers: padding is NaN in A and B (a kernel
    /// that reads it turns results NaN) and a sentinel in C (one that writes it changes it).
    struct Case {
        let m, n, k, lda, ldb, ldc: Int
        var a: [Float], b: [Float], c: [Float]
        static let sentinel: Float = -12345

        init(m: Int, n: Int, k: Int, padding: Int, seed: UInt64) {
            (self.m, self.n, self.k) = (m, n, k)
            (lda, ldb, ldc) = (k + padding, n + padding, n + padding)
            var state = seed
            func next() -> Float {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int(state >> 40) % 2001 - 1000) / 1000
            }
            a = [Float](repeating: .nan, count: Swift.max(m * lda, 1))
            b = [Float](repeating: .nan, count: Swift.max(k * ldb, 1))
            c = [Float](repeating: Case.sentinel, count: Swift.max(m * ldc, 1))
            for i in 0..<m { for p in 0..<k { a[i * lda + p] = next() } }
            for p in 0..<k { for j in 0..<n { b[p * ldb + j] = next() } }
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = next() } }
        }

        /// C + A·B in float64, and for each element Σ|a·b| (to bound float32 rounding).
        func expected() -> (values: [Double], magnitudes: [Double]) {
            var values = c.map(Double.init), magnitudes = [Double](repeating: 0, count: c.count)
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0, magnitude = Swift.abs(Double(c[i * ldc + j]))
                    for p in 0..<k {
                        let product = Double(a[i * lda + p]) * Double(b[p * ldb + j])
                        sum += product
                        magnitude += Swift.abs(product)
                    }
                    values[i * ldc + j] += sum
                    magnitudes[i * ldc + j] = magnitude
                }
            }
            return (values, magnitudes)
        }

        /// Fails with the first element off by more than float32 summation allows, or
        /// padding of C that changed.
        func check(_ result: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
            let (values, magnitudes) = expected()
            for i in 0..<Swift.max(m, 1) where m > 0 {
                for j in 0..<ldc {
                    let index = i * ldc + j, got = result[index]
                    if j >= n {
                        if got != Case.sentinel {
                            return XCTFail("\(label): padding C[\(i)][\(j)] written: \(got)", file: file, line: line)
                        }
                        continue
                    }
                    // |error| ≤ (k + 1)·u·Σ|terms| for any summation order, u = 2⁻²⁴.
                    let bound = Double(k + 2) * 0x1p-24 * magnitudes[index] + 1e-30
                    if !(Swift.abs(Double(got) - values[index]) <= bound) {
                        return XCTFail("\(label): C[\(i)][\(j)] = \(got), expected \(values[index]) ± \(bound)",
                                       file: file, line: line)
                    }
                }
            }
        }

        func unpacked() -> [Float] {
            var result = c
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    result.withUnsafeMutableBufferPointer { pc in
                        mino_sgemm(m, n, k, pa.baseAddress, lda, pb.baseAddress, ldb, pc.baseAddress, ldc)
                    }
                }
            }
            return result
        }

        /// B packed from its row-major layout, or from its transpose (`Bᵀ` laid out row-major,
        /// as the recurrent layers pack `W_hh`), multiplied panel range by panel range.
        func packed(fromTranspose: Bool, panelSplits: [Int]) -> [Float] {
            var source = b, rowStride = ldb, columnStride = 1
            if fromTranspose {
                // Bᵀ (N×K) with rows k + 3 apart, padding NaN.
                let ldt = k + 3
                source = [Float](repeating: .nan, count: Swift.max(n * ldt, 1))
                for p in 0..<k { for j in 0..<n { source[j * ldt + p] = b[p * ldb + j] } }
                (rowStride, columnStride) = (1, ldt)
            }
            // Packed and multiplied in the same panel ranges, as threads take them.
            let bounds = [0] + panelSplits + [(n + 31) / 32]
            var packedB = [Float](repeating: .nan, count: Swift.max(mino_sgemm_packed_count(k, n), 1))
            source.withUnsafeBufferPointer { ps in
                packedB.withUnsafeMutableBufferPointer { pp in
                    for (first, end) in zip(bounds, bounds.dropFirst()) {
                        mino_sgemm_pack_b(k, n, ps.baseAddress, rowStride, columnStride, pp.baseAddress, first, end)
                    }
                }
            }
            var result = c
            a.withUnsafeBufferPointer { pa in
                packedB.withUnsafeBufferPointer { pp in
                    result.withUnsafeMutableBufferPointer { pc in
                        for (first, end) in zip(bounds, bounds.dropFirst()) {
                            mino_sgemm_packed(m, n, k, pa.baseAddress, lda, pp.baseAddress, first, end,
                                              pc.baseAddress, ldc)
                        }
                    }
                }
            }
            return result
        }
    }

    func testEveryRowRemainderAndColumnEdge() {
        var seed: UInt64 = 1
        for m in 0...13 {
            for n in [0, 1, 15, 16, 17, 31, 32, 33, 48, 64, 70] {
                for k in [0, 1, 7, 300] {
                    seed += 1
                    let product = Case(m: m, n: n, k: k, padding: 0, seed: seed)
                    product.check(product.unpacked(), "\(m)×\(n)×\(k)")
                    product.check(product.packed(fromTranspose: false, panelSplits: []), "packed \(m)×\(n)×\(k)")
                }
            }
        }
    }

    func testEveryColumnCount() {
        for n in 1...70 {
            for m in [1, 8, 13] {
                let product = Case(m: m, n: n, k: 33, padding: 0, seed: UInt64(n * 100 + m))
                product.check(product.unpacked(), "\(m)×\(n)×33")
                product.check(product.packed(fromTranspose: true, panelSplits: []), "packed Bᵀ \(m)×\(n)×33")
            }
        }
    }

    /// Depths across the 256-deep blocks, and strides wider than the rows.
    func testDepthsAndPaddedStrides() {
        for k in [2, 255, 256, 257, 513, 600] {
            for (m, n, padding) in [(5, 37, 3), (9, 64, 16), (16, 33, 1)] {
                let product = Case(m: m, n: n, k: k, padding: padding, seed: UInt64(k * 7 + m))
                product.check(product.unpacked(), "\(m)×\(n)×\(k) padded \(padding)")
                product.check(product.packed(fromTranspose: true, panelSplits: []), "packed \(m)×\(n)×\(k) padded \(padding)")
            }
        }
    }

    /// Panel ranges multiplied separately (as threads take them) add up to the whole product,
    /// at the recurrent layers' shapes.
    func testPanelRangesCoverTheProduct() {
        for (m, n, k, splits) in [(32, 1024, 256, [3, 16]), (32, 256, 1024, [4]), (7, 100, 40, [1, 2, 3]),
                                  (3, 65, 9, [2])] {
            let product = Case(m: m, n: n, k: k, padding: 2, seed: UInt64(m + n + k))
            product.check(product.packed(fromTranspose: true, panelSplits: splits), "\(m)×\(n)×\(k) split \(splits)")
            product.check(product.packed(fromTranspose: false, panelSplits: splits), "\(m)×\(n)×\(k) split \(splits)")
        }
    }

    /// Packing lays out ⌈N/32⌉ panels of K rows of 32 columns, zero past N, from B or from Bᵀ
    /// (whose 16×16 blocks are transposed in registers: depths and widths around 16 here).
    func testPackedLayout() {
        for (k, n) in [(3, 40), (16, 32), (17, 47), (35, 64), (40, 17)] {
            let b = (0..<(k * n)).map { Float($0 + 1) }
            var transposed = [Float](repeating: .nan, count: n * (k + 1))
            for p in 0..<k { for j in 0..<n { transposed[j * (k + 1) + p] = b[p * n + j] } }
            let panels = (n + 31) / 32
            XCTAssertEqual(mino_sgemm_packed_count(k, n), k * panels * 32)
            XCTAssertEqual(mino_sgemm_packed_count(0, n), 0)
            for fromTranspose in [false, true] {
                var packedB = [Float](repeating: .nan, count: k * panels * 32)
                (fromTranspose ? transposed : b).withUnsafeBufferPointer { pb in
                    packedB.withUnsafeMutableBufferPointer { pp in
                        if fromTranspose {
                            mino_sgemm_pack_b(k, n, pb.baseAddress, 1, k + 1, pp.baseAddress, 0, panels)
                        } else {
                            mino_sgemm_pack_b(k, n, pb.baseAddress, n, 1, pp.baseAddress, 0, panels)
                        }
                    }
                }
                for panel in 0..<panels {
                    for p in 0..<k {
                        for j in 0..<32 {
                            let column = panel * 32 + j
                            XCTAssertEqual(packedB[panel * k * 32 + p * 32 + j], column < n ? b[p * n + column] : 0,
                                           "\(k)×\(n) transposed \(fromTranspose) panel \(panel) row \(p) column \(j)")
                        }
                    }
                }
            }
        }
    }
}
