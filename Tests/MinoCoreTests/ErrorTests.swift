import XCTest
@testable import MinoCore
import MinoReference

/// Bad input is a thrown error naming the op and the shapes; never a crash.
final class ErrorTests: XCTestCase {
    func testShapeMismatchesNameOpAndShapes() throws {
        let a = try T.f64([1, 2, 3, 4, 5, 6], [2, 3])
        let b = try T.f64([1, 2, 3, 4], [2, 2])
        XCTAssertMinoError(.shape, ["matmul", "[2 3]", "[2 2]", "inner dimensions 3 and 2"]) { try a.matmul(b) }
        XCTAssertMinoError(.shape, ["add", "[2 3]", "[2 2]"]) { try a + b }
        XCTAssertMinoError(.shape, ["concat"]) { try Tensor.concat([a, b], axis: 0) }
        XCTAssertMinoError(.shape, ["reshape"]) { try a.reshape([4, 2]) }
        XCTAssertMinoError(.shape, ["expand"]) { try a.expand([4, 3]) }
        XCTAssertMinoError(.shape, ["crossEntropy"]) { try Loss.crossEntropy(a, T.i64([0, 1, 2], [3])) }
        XCTAssertMinoError(.shape, ["linear"]) { try a.linear(b, T.f64([0, 0], [2])) }
    }

    func testBadArguments() throws {
        let a = try T.f64([1, 2, 3, 4, 5, 6], [2, 3])
        XCTAssertMinoError(.argument, ["sum", "axis 2"]) { try a.sum(axes: [2]) }
        XCTAssertMinoError(.argument, ["permute"]) { try a.permute([0, 0]) }
        XCTAssertMinoError(.argument, ["slice", "step"]) { try a.slice(axis: 0, step: 0) }
        XCTAssertMinoError(.argument, ["dropout"]) {
            try Dispatch.apply(Ops.dropout, [a, a], { var x = OpAttributes(); x.scalar = 1.5; return x }())
        }
        XCTAssertMinoError(.argument, ["takes 2 tensors, got 1"]) { try Dispatch.apply(Ops.add, [a]) }
    }

    func testIndicesAreCheckedAgainstTheData() throws {
        let table = try T.f64([1, 2, 3, 4], [2, 2])
        XCTAssertMinoError(.argument, ["indexSelect", "index 5"]) { try table.indexSelect(axis: 0, indices: T.i64([0, 5], [2])) }
        XCTAssertMinoError(.argument, ["gather", "index -1"]) { try table.gather(axis: 1, indices: T.i64([0, -1], [2, 1])) }
        XCTAssertMinoError(.argument, ["gather"]) { try Loss.crossEntropy(table, T.i64([0, 2], [2])) }
        XCTAssertMinoError(.dtype, ["int64"]) { try table.indexSelect(axis: 0, indices: T.f64([0, 1], [2])) }
    }

    func testUnknownNamesAndDTypes() throws {
        XCTAssertMinoError(.dtype, ["complex128"]) { try DType(parsing: "complex128") }
        XCTAssertMinoError(.unknownName, ["sigmod"]) { try OpRegistry.shared.op(named: "sigmod") }
        let registry = BackendRegistry()
        registry.register("reference") { ReferenceBackend() }
        XCTAssertMinoError(.unknownName, ["cuda-magic", "available backends: reference"]) {
            try registry.backend(named: "cuda-magic")
        }
        // Float-only ops compute integers in float32 rather than refusing them.
        XCTAssertEqual(try T.i64([2], [1, 1]).matmul(T.i64([3], [1, 1])).dtype, .float32)
        XCTAssertMinoError(.argument, ["cast", "target dtype"]) { try Dispatch.apply(Ops.cast, [T.i64([1], [1])]) }
    }

    func testTensorsOfDifferentBackendsDoNotMix() throws {
        let other = ReferenceBackend(name: "other")
        let a = try T.f64([1], [1])
        let b = try Tensor([1.0], shape: [1], on: other)
        XCTAssertMinoError(.backend, ["different backends", "reference", "other"]) { try a + b }
        XCTAssertEqual(try (a + b.to(T.backend)).doubles(), [2])
    }

    func testHostDataIsValidated() {
        XCTAssertMinoError(.shape, ["6 elements", "5"]) { try HostArray([1, 2, 3, 4, 5] as [Double], shape: [2, 3]) }
        XCTAssertMinoError(.argument, ["negative"]) { try Tensor.zeros([2, -1], on: T.backend) }
        XCTAssertMinoError(.io) { try HostArray(littleEndianBytes: [1, 2, 3], dtype: .float32, shape: [1]) }
        XCTAssertMinoError(.argument, ["item"]) { try T.f64([1, 2], [2]).item() }
    }
}
