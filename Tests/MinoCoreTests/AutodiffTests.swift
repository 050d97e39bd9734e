import Foundation
import XCTest
@testable import MinoCore

final class AutodiffTests: XCTestCase {
    func testGradientsOfASmallNetwork() throws {
        // y = Σ sigmoid(x @ w + b); dy/db = σ'(z) summed over rows.
        let x = try T.f64([1, 2], [1, 2])
        let w = try T.f64([0.5, -0.5], [2, 1], grad: true)
        let b = try T.f64([0.1], [1], grad: true)
        let y = try (x.matmul(w) + b).sigmoid().sum()
        try y.backward()
        let z = 1 * 0.5 + 2 * -0.5 + 0.1
        let s = 1 / (1 + Foundation.exp(-z))
        XCTAssertClose(try b.grad!.doubles(), [s * (1 - s)])
        XCTAssertClose(try w.grad!.doubles(), [s * (1 - s) * 1, s * (1 - s) * 2])
        XCTAssertNil(x.grad, "data that does not require gradients gets none")
    }

    func testGradientsAccumulateUntilZeroed() throws {
        let w = try T.f64([3], [1], grad: true)
        try (w * w).sum().backward()
        try (w * w).sum().backward()
        XCTAssertEqual(try w.grad!.doubles(), [12])
        w.zeroGrad()
        try (w * 2).sum().backward()
        XCTAssertEqual(try w.grad!.doubles(), [2])
    }

    func testReusedValuesSumTheirContributions() throws {
        let x = try T.f64([2], [1], grad: true)
        let y = try x * x + x  // dy/dx = 2x + 1
        try y.sum().backward()
        XCTAssertEqual(try x.grad!.doubles(), [5])
    }

    func testBroadcastGradientsAreSummedBack() throws {
        let x = try T.f64([1, 2, 3, 4, 5, 6], [2, 3])
        let bias = try T.f64([0, 0, 0], [3], grad: true)
        try (x + bias).sum().backward()
        XCTAssertEqual(try bias.grad!.doubles(), [2, 2, 2])
        XCTAssertEqual(bias.grad!.shape, [3])
    }

    func testNoGradScopeRecordsNothing() throws {
        let w = try T.f64([1], [1], grad: true)
        let y = try withoutGradients { try w * 2 }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(GradMode.isEnabled)
        XCTAssertMinoError(.autodiff, ["does not require gradients"]) { try y.sum().backward() }
        let detached = try (w * 2).detached()
        XCTAssertNil(detached.creator)
    }

    func testNonScalarBackwardNeedsAGradient() throws {
        let w = try T.f64([1, 2], [2], grad: true)
        let y = try w * 3
        XCTAssertMinoError(.autodiff, ["explicit gradient"]) { try y.backward() }
        try y.backward(T.f64([1, 10], [2]))
        XCTAssertEqual(try w.grad!.doubles(), [3, 30])
        XCTAssertMinoError(.shape, ["backward"]) { try (w * 3).backward(T.f64([1], [1])) }
    }

    func testSecondDerivativeWithCreateGraph() throws {
        let x = try T.f64([2], [1], grad: true)
        let y = try (x * x * x).sum()  // y' = 3x², y'' = 6x
        try y.backward(createGraph: true)
        let first = x.grad!
        XCTAssertEqual(try first.doubles(), [12])
        x.zeroGrad()
        try first.sum().backward()
        XCTAssertEqual(try x.grad!.doubles(), [12])
    }

    func testDeepGraphsDoNotOverflowTheStack() throws {
        let x = try T.f64([1], [1], grad: true)
        var y = x
        for _ in 0..<20_000 { y = try y + 0.0 }
        try y.sum().backward()
        XCTAssertEqual(try x.grad!.doubles(), [1])
    }

    func testGraphIsDataThatPrints() throws {
        let w = try T.f64([1, 2], [2], grad: true)
        w.name = "w"
        let y = try (w * 2).sum()
        let graph = Graph(root: y)
        XCTAssertEqual(graph.variables.count, 3)
        XCTAssertEqual(graph.description, """
            %0 = leaf float64 [2] w
            %1 = (mul %0 const) float64 [2]
            %2 = (sum %1) float64 []
            """)
    }

    func testGradientsOfIntegerInputsAreNotComputed() throws {
        let w = try T.f64([0.5, 1.5], [2], grad: true)
        let i = try T.i64([1, 2], [2])
        try (w * i).sum().backward()
        XCTAssertEqual(try w.grad!.doubles(), [1, 2])
    }
}
