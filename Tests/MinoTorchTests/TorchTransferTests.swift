import MinoCore
import MinoTorch
import XCTest

/// Host round trips: dtype, shape and every bit of every value survive.
final class TorchTransferTests: XCTestCase {
    func testRoundTripsAreExactForEveryDTypeAndShape() throws {
        let torch = try requireTorchBackend()
        let shapes: [Shape] = [.scalar, [0], [1], [5], [2, 3], [2, 0, 4], [3, 1, 2, 2]]
        for shape in shapes {
            let n = shape.elementCount
            let floats = (0..<n).map { Float($0) * 0.37 - 1.1 }
            let doubles = (0..<n).map { Double($0) * 0.123456789012345 - 2.5 }
            let ints = (0..<n).map { Int64($0) * 1_000_000_007 - 3 }
            for array in [try HostArray(floats, shape: shape), try HostArray(doubles, shape: shape),
                          try HostArray(ints, shape: shape)] {
                let back = try Tensor(array, on: torch).toHost()
                XCTAssertEqual(back, array, "\(array.dtype) \(shape)")
            }
        }
    }

    func testSpecialValuesSurviveBitForBit() throws {
        let torch = try requireTorchBackend()
        let floats: [Float] = [.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                               .ulpOfOne, 1 / 3]
        let doubles: [Double] = [.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                                 .ulpOfOne, 1 / 3]
        let ints: [Int64] = [.min, .max, 0, -1, 1, 1 << 53 + 1]
        let f = try Tensor(HostArray(floats, shape: [8]), on: torch).toHost()
        let d = try Tensor(HostArray(doubles, shape: [8]), on: torch).toHost()
        let i = try Tensor(HostArray(ints, shape: [6]), on: torch).toHost()
        guard case .float32(let fb) = f.elements, case .float64(let db) = d.elements,
              case .int64(let ib) = i.elements else { return XCTFail("dtype changed") }
        XCTAssertEqual(fb.map(\.bitPattern), floats.map(\.bitPattern))
        XCTAssertEqual(db.map(\.bitPattern), doubles.map(\.bitPattern))
        XCTAssertEqual(ib, ints)
    }

    /// Views (a transpose, a broadcast, a strided slice) download row-major.
    func testViewsDownloadInLogicalOrder() throws {
        let torch = try requireTorchBackend()
        let x = try Tensor((0..<6).map(Double.init), shape: [2, 3], on: torch)
        XCTAssertEqual(try x.transposed().doubles(), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(try Tensor([1, 2] as [Float], shape: [2, 1], on: torch).expand([2, 3]).floats(),
                       [1, 1, 1, 2, 2, 2])
        XCTAssertEqual(try x.slice(ranges: [.all(2), SliceRange(start: 0, end: 3, step: 2)]).doubles(), [0, 2, 3, 5])
    }

    func testFullMakesEveryDType() throws {
        let torch = try requireTorchBackend()
        XCTAssertEqual(try Tensor.full(2.5, shape: [2, 2], dtype: .float32, on: torch).floats(), [2.5, 2.5, 2.5, 2.5])
        XCTAssertEqual(try Tensor.full(-7.9, shape: [3], dtype: .int64, on: torch).int64s(), [-7, -7, -7])
        XCTAssertEqual(try Tensor.full(.infinity, shape: [], dtype: .int64, on: torch).int64s(), [.max])
        XCTAssertEqual(try Tensor.zeros([0, 2], dtype: .float64, on: torch).shape, [0, 2])
    }
}
