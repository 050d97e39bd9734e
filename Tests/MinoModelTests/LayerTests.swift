import XCTest
import MinoCore
import MinoModel
import MinoReference

let backend = ReferenceBackend()

final class LayerTests: XCTestCase {
    func testMLPHasPyTorchParameterPathsAndShapes() throws {
        let model = try MLP(sizes: [64, 30, 10], activation: .sigmoid, generator: RandomGenerator(seed: 0), on: backend)
        XCTAssertEqual(model.namedParameters.map(\.name), ["0.weight", "0.bias", "2.weight", "2.bias"])
        XCTAssertEqual(model.namedParameters.map(\.tensor.shape), [[30, 64], [30], [10, 30], [10]])
        XCTAssertEqual(model.parameterCount, 64 * 30 + 30 + 30 * 10 + 10)
        XCTAssertTrue(model.parameters.allSatisfy(\.requiresGrad))
        XCTAssertEqual(try model(Tensor.zeros([5, 64], on: backend)).shape, [5, 10])
        XCTAssertThrowsError(try model.parameter("9.weight"))
    }

    func testLinearDefaultInitialisationIsPyTorchsBound() throws {
        let layer = try Linear(100, 50, generator: RandomGenerator(seed: 3), on: backend)
        let values = try layer.weight.doubles()
        XCTAssertTrue(values.allSatisfy { Swift.abs($0) <= 0.1 + 1e-7 })
        XCTAssertGreaterThan(values.map(Swift.abs).max() ?? 0, 0.09)
    }

    func testSameSeedSameModel() throws {
        let a = try MLP(sizes: [4, 3, 2], activation: .relu, generator: RandomGenerator(seed: 5), on: backend)
        let b = try MLP(sizes: [4, 3, 2], activation: .relu, generator: RandomGenerator(seed: 5), on: backend)
        for (p, q) in zip(a.parameters, b.parameters) { XCTAssertEqual(try p.floats(), try q.floats()) }
    }

    func testInitializersHaveTheirStatistics() {
        let g = RandomGenerator(seed: 1)
        let shape: Shape = [200, 300]
        let xavier = Initializer.xavierUniform(gain: 1).values(shape, generator: g)
        let bound = (6.0 / 500).squareRoot()
        XCTAssertTrue(xavier.allSatisfy { Swift.abs($0) <= bound })
        let kaiming = Initializer.kaimingNormal(gain: 2.0.squareRoot()).values(shape, generator: g)
        let std = (kaiming.map { $0 * $0 }.reduce(0, +) / Double(kaiming.count)).squareRoot()
        XCTAssertEqual(std, (2.0 / 300).squareRoot(), accuracy: 0.002)
        XCTAssertEqual(Initializer.constant(0.5).values([3], generator: g), [0.5, 0.5, 0.5])
    }

    func testBadLayerArguments() {
        XCTAssertThrowsError(try Linear(0, 3, on: backend))
        XCTAssertThrowsError(try MLP(sizes: [3], activation: .relu, on: backend))
        XCTAssertThrowsError(try Activation(parsing: "swish")) { error in
            XCTAssertTrue("\(error)".contains("sigmoid, relu, tanh"))
        }
        XCTAssertThrowsError(try Initializer.zeros.makeParameter([2], dtype: .int64, generator: RandomGenerator(seed: 0),
                                                                  on: backend, name: "w"))
    }
}
