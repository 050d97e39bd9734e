import XCTest
@testable import MinoCore

final class ShapeTests: XCTestCase {
    func testBroadcastFollowsNumPy() throws {
        XCTAssertEqual(try Shape.broadcast([3, 4], [4], op: "t"), [3, 4])
        XCTAssertEqual(try Shape.broadcast([2, 1, 4], [3, 1], op: "t"), [2, 3, 4])
        XCTAssertEqual(try Shape.broadcast([], [5], op: "t"), [5])
        XCTAssertMinoError(.shape, ["add", "[3 4]", "[5 4]"]) { try Shape.broadcast([3, 4], [5, 4], op: "add") }
    }

    func testBroadcastAxesUndoBroadcasting() {
        XCTAssertEqual(Shape([4]).broadcastAxes(to: [3, 4]), [0])
        XCTAssertEqual(Shape([3, 1]).broadcastAxes(to: [2, 3, 4]), [0, 2])
        XCTAssertTrue(Shape([3, 1]).broadcasts(to: [2, 3, 4]))
        XCTAssertFalse(Shape([3, 2]).broadcasts(to: [3, 4]))
    }

    func testReshapeInference() throws {
        XCTAssertEqual(try Shape([2, 6]).resolvingReshape([3, -1], op: "reshape"), [3, 4])
        XCTAssertMinoError(.shape, ["reshape"]) { try Shape([2, 6]).resolvingReshape([5, -1], op: "reshape") }
        XCTAssertMinoError(.argument, ["-1"]) { try Shape([2, 6]).resolvingReshape([-1, -1], op: "reshape") }
        XCTAssertMinoError(.shape) { try Shape([2, 6]).resolvingReshape([7], op: "reshape") }
    }

    func testAxes() throws {
        XCTAssertEqual(try Shape([2, 3, 4]).normalizedAxis(-1, op: "sum"), 2)
        XCTAssertEqual(try Shape([2, 3, 4]).normalizedAxes([2, 0], op: "sum"), [0, 2])
        XCTAssertMinoError(.argument, ["sum", "axis 3"]) { try Shape([2, 3, 4]).normalizedAxis(3, op: "sum") }
        XCTAssertMinoError(.argument, ["twice"]) { try Shape([2, 3]).normalizedAxes([1, -1], op: "sum") }
        XCTAssertEqual(Shape([2, 3, 4]).reduced(over: [1], keepDims: true), [2, 1, 4])
        XCTAssertEqual(Shape([2, 3, 4]).contiguousStrides, [12, 4, 1])
        XCTAssertEqual(Shape([2, 3]).description, "[2 3]")
    }
}
