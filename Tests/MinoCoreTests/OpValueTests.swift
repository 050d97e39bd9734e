import Foundation
import XCTest
@testable import MinoCore

/// Hand-computed values for representative ops on the reference backend.
final class OpValueTests: XCTestCase {
    func testBroadcastArithmetic() throws {
        let a = try T.f64([1, 2, 3, 4, 5, 6], [2, 3])
        let b = try T.f64([10, 20, 30], [3])
        XCTAssertEqual(try (a + b).doubles(), [11, 22, 33, 14, 25, 36])
        XCTAssertEqual(try (a * 2).doubles(), [2, 4, 6, 8, 10, 12])
        XCTAssertEqual(try (1 - a).doubles(), [0, -1, -2, -3, -4, -5])
        XCTAssertEqual(try (a / b).shape, [2, 3])
        XCTAssertEqual(try a.pow(2).doubles(), [1, 4, 9, 16, 25, 36])
    }

    func testMixedDTypesPromote() throws {
        let i = try T.i64([1, 2, 3], [3])
        let f = try T.f32([0.5, 0.5, 0.5], [3])
        let sum = try i + f
        XCTAssertEqual(sum.dtype, .float32)
        XCTAssertEqual(try sum.doubles(), [1.5, 2.5, 3.5])
        // A float-only op on integers computes in float32.
        XCTAssertEqual(try i.exp().dtype, .float32)
        // Integer arithmetic stays integer.
        XCTAssertEqual(try (i * i).dtype, .int64)
        XCTAssertEqual(try (i * i).int64s(), [1, 4, 9])
    }

    func testComparisonsGiveOnesAndZeros() throws {
        let a = try T.f64([1, 2, 3], [3])
        let b = try T.f64([2, 2, 2], [3])
        XCTAssertEqual(try (a < b).doubles(), [1, 0, 0])
        XCTAssertEqual(try (a >= b).doubles(), [0, 1, 1])
        XCTAssertEqual(try a.equal(b).doubles(), [0, 1, 0])
        XCTAssertEqual(try Tensor.where(a > 1.5, a, b * 10).doubles(), [20, 2, 3])
    }

    func testUnaryValues() throws {
        let x = try T.f64([-2, 0, 3], [3])
        XCTAssertEqual(try x.relu().doubles(), [0, 0, 3])
        XCTAssertEqual(try x.abs().doubles(), [2, 0, 3])
        XCTAssertEqual(try x.sign().doubles(), [-1, 0, 1])
        XCTAssertClose(try x.sigmoid().doubles(), [1 / (1 + Foundation.exp(2)), 0.5, 1 / (1 + Foundation.exp(-3))])
        XCTAssertClose(try x.tanh().doubles(), [-2, 0, 3].map(Foundation.tanh))
        // Large logits do not overflow the sigmoid.
        XCTAssertClose(try T.f64([-1000, 1000], [2]).sigmoid().doubles(), [0, 1])
    }

    func testMatmulShapesAndValues() throws {
        let a = try T.f64([1, 2, 3, 4, 5, 6], [2, 3])
        let b = try T.f64([1, 0, 0, 1, 1, 1], [3, 2])
        XCTAssertEqual(try a.matmul(b).doubles(), [4, 5, 10, 11])
        // Vector forms, as torch.matmul.
        let v = try T.f64([1, 1, 1], [3])
        XCTAssertEqual(try a.matmul(v).doubles(), [6, 15])
        XCTAssertEqual(try a.matmul(v).shape, [2])
        XCTAssertEqual(try v.matmul(b).shape, [2])
        XCTAssertEqual(try v.matmul(v).shape, [])
        // Batched with a broadcast batch axis, and a transposed (strided) operand.
        let batch = try T.f64((0..<12).map(Double.init), [2, 2, 3])
        XCTAssertEqual(try batch.matmul(b).shape, [2, 2, 2])
        XCTAssertEqual(try batch.matmul(b).doubles(), [2, 3, 8, 9, 14, 15, 20, 21])
        let bt = try T.f64([1, 0, 1, 0, 1, 1], [2, 3]).transposed()
        XCTAssertEqual(try a.matmul(bt).doubles(), [4, 5, 10, 11])
    }

    func testReductions() throws {
        let x = try T.f64([1, 5, 2, 8, 3, 4], [2, 3])
        XCTAssertEqual(try x.sum().doubles(), [23])
        XCTAssertEqual(try x.sum(axes: [0]).doubles(), [9, 8, 6])
        XCTAssertEqual(try x.sum(axes: [1], keepDims: true).shape, [2, 1])
        XCTAssertEqual(try x.mean(axes: [1]).doubles(), [8.0 / 3, 5])
        XCTAssertEqual(try x.max(axes: [1]).doubles(), [5, 8])
        XCTAssertEqual(try x.argmax(axis: 1).int64s(), [1, 0])
        XCTAssertEqual(try x.argmax().int64s(), [3])
        XCTAssertEqual(try x.argmax(axis: 0, keepDims: true).shape, [1, 3])
    }

    func testShapeOps() throws {
        let x = try T.f64((0..<6).map(Double.init), [2, 3])
        XCTAssertEqual(try x.transposed().doubles(), [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(try x.reshape([3, -1]).shape, [3, 2])
        XCTAssertEqual(try x.expand([2, 2, 3]).doubles(), [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5])
        XCTAssertEqual(try x.slice(axis: 1, start: 1).doubles(), [1, 2, 4, 5])
        XCTAssertEqual(try x.slice(axis: 1, start: -1).doubles(), [2, 5])
        XCTAssertEqual(try x.slice(axis: 1, start: 0, end: 99, step: 2).doubles(), [0, 2, 3, 5])
        XCTAssertEqual(try Tensor.concat([x, x], axis: 0).shape, [4, 3])
        XCTAssertEqual(try Tensor.concat([x, x], axis: 1).doubles(), [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5])
        XCTAssertEqual(try Tensor.stack([x, x], axis: 1).shape, [2, 2, 3])
        XCTAssertEqual(try x.unsqueeze(0).shape, [1, 2, 3])
        XCTAssertEqual(try x.unsqueeze(-1).shape, [2, 3, 1])
        XCTAssertEqual(try x.flatten().shape, [6])
        XCTAssertEqual(try x.permute([1, 0]).reshape([-1]).doubles(), [0, 3, 1, 4, 2, 5])
    }

    func testIndexOps() throws {
        let table = try T.f64((0..<8).map(Double.init), [4, 2])
        let ids = try T.i64([3, 0, 3], [3])
        XCTAssertEqual(try table.indexSelect(axis: 0, indices: ids).doubles(), [6, 7, 0, 1, 6, 7])
        let scores = try T.f64([0.1, 0.9, 0.5, 0.3, 0.7, 0.2], [2, 3])
        let labels = try T.i64([1, 0], [2, 1])
        XCTAssertEqual(try scores.gather(axis: 1, indices: labels).doubles(), [0.9, 0.3])
        let src = try T.f64([1, 1], [2, 1])
        XCTAssertEqual(try src.scatterAdd(axis: 1, indices: labels, shape: [2, 3]).doubles(), [0, 1, 0, 1, 0, 0])
        XCTAssertEqual(try T.f64([1, 2, 3], [3, 1]).indexAdd(axis: 0, indices: ids, shape: [4, 1]).doubles(), [2, 0, 0, 4])
    }

    func testSoftmaxAndLosses() throws {
        let logits = try T.f64([1, 2, 3, 1, 1, 1], [2, 3])
        let p = try logits.softmax(axis: 1)
        XCTAssertClose(try p.sum(axes: [1]).doubles(), [1, 1])
        XCTAssertClose(try logits.logSoftmax(axis: 1).exp().doubles(), try p.doubles())
        let labels = try T.i64([2, 0], [2])
        let expected = -(Foundation.log(try p.doubles()[2]) + Foundation.log(1.0 / 3)) / 2
        XCTAssertClose(try Loss.crossEntropy(logits, labels).doubles(), [expected])
        XCTAssertEqual(try Loss.crossEntropy(logits, labels, reduction: .none).shape, [2])
        let pred = try T.f64([1, 2], [2]), target = try T.f64([0, 0], [2])
        XCTAssertClose(try Loss.mse(pred, target).doubles(), [2.5])
        XCTAssertClose(try Loss.mse(pred, target, reduction: .sum).doubles(), [5])
        // BCE with logits against the textbook formula.
        let z = try T.f64([0.3, -2], [2]), y = try T.f64([1, 0], [2])
        let s = [0.3, -2.0].map { 1 / (1 + Foundation.exp(-$0)) }
        let bce = -(Foundation.log(s[0]) + Foundation.log(1 - s[1])) / 2
        XCTAssertClose(try Loss.binaryCrossEntropyWithLogits(z, y).doubles(), [bce], tolerance: 1e-12)
        // Linear uses PyTorch's [out, in] weight layout.
        let x = try T.f64([1, 2], [1, 2]), w = try T.f64([1, 0, 0, 1, 1, 1], [3, 2]), b = try T.f64([0, 0, 1], [3])
        XCTAssertEqual(try x.linear(w, b).doubles(), [1, 2, 4])
    }

    func testDropoutIsSeededAndScaled() throws {
        let x = try Tensor.ones([1000], dtype: .float64, on: T.backend)
        let a = try x.dropout(0.5, generator: RandomGenerator(seed: 7)).doubles()
        let b = try x.dropout(0.5, generator: RandomGenerator(seed: 7)).doubles()
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.allSatisfy { $0 == 0 || $0 == 2 })
        let kept = a.filter { $0 == 2 }.count
        XCTAssertTrue((400...600).contains(kept), "kept \(kept) of 1000")
        XCTAssertEqual(try x.dropout(0.5, training: false).doubles(), try x.doubles())
    }

    func testCastSaturatesInsteadOfTrapping() throws {
        let x = try T.f64([1.9, -1.9, .nan, 1e300], [4])
        XCTAssertEqual(try x.cast(to: .int64).int64s(), [1, -1, 0, .max])
        XCTAssertEqual(try x.cast(to: .float32).dtype, .float32)
    }
}
