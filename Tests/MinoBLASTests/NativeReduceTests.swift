import XCTest
import Foundation
@testable import MinoBLAS
import MinoCore
import MinoCPU

/// The native float32 sums against the Swift loops (both accumulate in float64) in each
/// layout they take: rows summed, rows of a block added together, one block split in
/// column strips over two threads; empty axes, vector tails, ±∞ and NaN.
final class NativeReduceTests: NativeKernelTestCase {
    func sum(_ values: [Float], _ shape: Shape, axes: [Int], native: Bool) throws -> [Float] {
        let s = CPUStorage(uninitialized: shape, dtype: .float32)
        let p = s.pointer(Float.self)
        for (i, v) in values.enumerated() { p[i] = v }
        let out = try NativeKernels.with(enabled: native) {
            try blas.reduce(.sum, Operand(storage: s, shape: shape, dtype: .float32), axes: axes, keepDims: false)
        }
        let c = try XCTUnwrap(out as? CPUStorage)
        return (0..<c.shape.elementCount).map { c.pointer(Float.self)[$0] }
    }

    func testSumsAgreeWithTheSwiftLoops() throws {
        BLASThreads.count = 2
        let cases: [(Shape, [Int])] = [
            ([3, 17], [1]), ([5, 40_000], [1]), ([40_000, 7], [0]), ([2, 300, 70], [1]), ([64, 16, 169], [2]),
            ([64, 16], [0]), ([1000, 513], [0]), ([4, 0, 3], [1]), ([0, 5], [1]), ([3, 5, 0], [1]), ([6, 33], [0, 1]),
        ]
        let g = RandomGenerator(seed: 5)
        for (shape, axes) in cases {
            let values = (0..<shape.elementCount).map { _ in Float(g.nextNormal() * 100) }
            let native = try sum(values, shape, axes: axes, native: true)
            let swift = try sum(values, shape, axes: axes, native: false)
            XCTAssertEqual(native.count, swift.count, "\(shape) over \(axes)")
            for (i, (n, s)) in zip(native, swift).enumerated() {
                // Both round one float64 sum to float32: equal, or one ulp apart where the two
                // orders of float64 additions straddle a rounding boundary.
                XCTAssertLessThanOrEqual(abs(n - s), s.ulp, "\(shape) over \(axes), output \(i)")
            }
        }
    }

    func testInfinitiesAndNaNPropagate() throws {
        var values = [Float](repeating: 1, count: 4 * 50)
        values[3] = .infinity  // row 0
        values[60] = .infinity
        values[61] = -.infinity  // row 1: ∞ − ∞
        values[120] = .nan  // row 2
        let rows = try sum(values, [4, 50], axes: [1], native: true)
        XCTAssertEqual(rows[0], .infinity)
        XCTAssertTrue(rows[1].isNaN)
        XCTAssertTrue(rows[2].isNaN)
        XCTAssertEqual(rows[3], 50)
        let columns = try sum(values, [50, 4], axes: [0], native: true)
        XCTAssertEqual(columns[3], .infinity, "column 3 holds the first ∞")
        XCTAssertTrue(columns[0].isNaN, "column 0 holds ∞ (60) and NaN (120)")
        XCTAssertEqual(columns[1], -.infinity)
        XCTAssertEqual(columns[2], 50)
    }
}
