import Foundation
import XCTest
import MinoCore
import MinoModel

/// Optimizer updates against the formulas, computed by hand in doubles.
final class OptimizerTests: XCTestCase {
    func lossGradient(_ p: Tensor, _ c: Double) throws {
        p.zeroGrad()
        try (p * p * c).sum().backward()
    }

    func testSGDWithMomentumNesterovAndWeightDecay() throws {
        for nesterov in [false, true] {
            let p = try Tensor([1.0, -2.0], shape: [2], on: backend, requiresGrad: true)
            let sgd = try SGD([p], learningRate: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: nesterov)
            var expected = [1.0, -2.0], velocity = [0.0, 0.0]
            for _ in 0..<3 {
                try lossGradient(p, 1.5)
                try sgd.step()
                for i in 0..<2 {
                    let g = 3 * expected[i] + 0.01 * expected[i]
                    velocity[i] = 0.9 * velocity[i] + g
                    expected[i] -= 0.1 * (nesterov ? g + 0.9 * velocity[i] : velocity[i])
                }
            }
            XCTAssertEqual(try p.doubles()[0], expected[0], accuracy: 1e-12)
            XCTAssertEqual(try p.doubles()[1], expected[1], accuracy: 1e-12)
        }
    }

    func testAdamAndAdamW() throws {
        for decoupled in [false, true] {
            let p = try Tensor([0.5, -1.5], shape: [2], on: backend, requiresGrad: true)
            let adam = try Adam([p], learningRate: 0.01, weightDecay: 0.1, decoupledWeightDecay: decoupled)
            var expected = [0.5, -1.5], m = [0.0, 0.0], v = [0.0, 0.0]
            for t in 1...4 {
                try lossGradient(p, 2)
                try adam.step()
                for i in 0..<2 {
                    var g = 4 * expected[i]
                    if decoupled { expected[i] *= 1 - 0.01 * 0.1 } else { g += 0.1 * expected[i] }
                    m[i] = 0.9 * m[i] + 0.1 * g
                    v[i] = 0.999 * v[i] + 0.001 * g * g
                    let mHat = m[i] / (1 - pow(0.9, Double(t))), vHat = v[i] / (1 - pow(0.999, Double(t)))
                    expected[i] -= 0.01 * mHat / (vHat.squareRoot() + 1e-8)
                }
            }
            XCTAssertEqual(try p.doubles()[0], expected[0], accuracy: 1e-12)
            XCTAssertEqual(try p.doubles()[1], expected[1], accuracy: 1e-12)
        }
    }

    func testParametersWithoutGradientsAreLeftAlone() throws {
        let p = try Tensor([1.0], shape: [1], on: backend, requiresGrad: true)
        try SGD([p], learningRate: 1).step()
        XCTAssertEqual(try p.doubles(), [1])
    }

    func testBadHyperparameters() {
        XCTAssertThrowsError(try SGD([], learningRate: -1))
        XCTAssertThrowsError(try SGD([], learningRate: .nan))
        XCTAssertThrowsError(try SGD([], learningRate: 0.1, nesterov: true))
        XCTAssertThrowsError(try Adam([], beta1: 1))
        XCTAssertThrowsError(try OptimizerKind(parsing: "lbfgs")) { error in
            XCTAssertTrue("\(error)".contains("sgd, adam, adamw"))
        }
    }
}
