import Foundation
import XCTest
@testable import MinoCore

/// Foreign ops: a forward supplied per call, whose derivative reads what that call saved.
final class ForeignOpTests: XCTestCase {
    /// What one call of `scale` kept: the factor it used, as a foreign graph would.
    final class Saved { let factor: Double; init(_ f: Double) { factor = f } }

    /// y = factor · x · w, computed on the host (outside Mino's ops), with a factor
    /// chosen per call: the derivative can only get it from `saved`.
    func scale(_ x: Tensor, _ w: Tensor, factor: Double, calls: inout Int) throws -> Tensor {
        let op = OpDefinition(foreign: "scale", summary: "factor · x · w") { c in
            guard let s = c.saved as? Saved else { throw MinoError(.autodiff, "nothing saved") }
            // ∂y/∂x = factor · w, ∂y/∂w = factor · Σ x (w has one element).
            let gx = try c.upstream * c.inputs[1] * s.factor
            let gw = try (c.upstream * c.inputs[0] * s.factor).sum()
            return [c.needsGradient[0] ? gx : nil, c.needsGradient[1] ? try gw.reshape([1]) : nil]
        }
        var ran = 0
        let y = try Dispatch.applyForeign(op, [x, w]) { inputs, recording in
            ran += 1
            let xs = try inputs[0].doubles(), wv = try inputs[1].doubles()[0]
            let out = try Tensor(xs.map { $0 * wv * factor }, shape: inputs[0].shape, on: inputs[0].backend)
            return (out, recording ? Saved(factor) : nil)
        }
        calls += ran
        return y
    }

    func testGradientsFlowThroughWhatTheForwardSaved() throws {
        let x = try T.f64([1, 2, 3], [3], grad: true)
        let w = try T.f64([0.5], [1], grad: true)
        var calls = 0
        let y = try scale(x, w, factor: 4, calls: &calls)
        XCTAssertEqual(try y.doubles(), [2, 4, 6])
        XCTAssertNotNil(y.creator?.saved)
        try (y * y).sum().backward()
        // L = Σ (4 w x)², ∂L/∂x = 2·(4wx)·4w, ∂L/∂w = Σ 2·(4wx)·4x.
        XCTAssertClose(try x.grad!.doubles(), [2 * 2 * 2, 2 * 4 * 2, 2 * 6 * 2])
        XCTAssertClose(try w.grad!.doubles(), [2 * (2 * 4 + 4 * 8 + 6 * 12)])
        XCTAssertEqual(calls, 1)
    }

    func testNothingIsRecordedWithoutGradients() throws {
        let x = try T.f64([1, 2], [2], grad: true)
        let w = try T.f64([1], [1])
        var calls = 0
        let y = try GradMode.withoutGradients { try scale(x, w, factor: 2, calls: &calls) }
        XCTAssertNil(y.creator)
        XCTAssertFalse(y.requiresGrad)
    }

    func testAForeignOpRefusesTheRegisteredPath() throws {
        let op = OpDefinition(foreign: "f", summary: "") { _ in [] }
        XCTAssertThrowsError(try Dispatch.apply(op, [try T.f64([1], [1])])) { error in
            XCTAssertTrue("\(error)".contains("foreign"), "\(error)")
        }
    }
}
