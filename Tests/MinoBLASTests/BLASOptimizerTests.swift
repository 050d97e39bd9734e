import XCTest
import Foundation
import Mino

/// The in-place optimizer kernels against the same updates written with ops
/// (PyTorch's formulas), over several steps, in float32 and float64.
final class BLASOptimizerTests: XCTestCase {
    let blas = BLASBackend()

    /// One step of the update with ops: new parameter and state.
    func opUpdate(_ kernel: OptimizerKernel, _ p: Tensor, _ g: Tensor, _ state: [Tensor]) throws -> (Tensor, [Tensor]) {
        switch kernel {
        case let .sgd(lr, momentum, weightDecay, nesterov):
            let gd = try g + p * weightDecay
            guard momentum != 0 else { return (try p - gd * lr, []) }
            let v = try state[0] * momentum + gd
            let direction = nesterov ? try gd + v * momentum : v
            return (try p - direction * lr, [v])
        case let .adam(lr, beta1, beta2, epsilon, weightDecay, decoupled, step):
            let gd = decoupled ? g : try g + p * weightDecay
            let start = decoupled ? try p * (1 - lr * weightDecay) : p
            let m = try state[0] * beta1 + gd * (1 - beta1)
            let v = try state[1] * beta2 + gd * gd * (1 - beta2)
            let c1 = 1 - Foundation.pow(beta1, Double(step)), c2 = 1 - Foundation.pow(beta2, Double(step))
            let denominator = try v.sqrt() / c2.squareRoot() + epsilon
            return (try start - m * (lr / c1) / denominator, [m, v])
        }
    }

    func run(_ make: (Int) -> OptimizerKernel, stateCount: Int, dtype: DType, shape: Shape = [7, 5]) throws {
        let g = RandomGenerator(seed: 21)
        let start = g.normal(count: shape.elementCount)
        let param = try Tensor(doubles: start, shape: shape, dtype: dtype, on: blas)
        var expected = try Tensor(doubles: start, shape: shape, dtype: dtype, on: blas)
        let state = try (0..<stateCount).map { _ in try Tensor.zeros(shape, dtype: dtype, on: blas) }
        var expectedState = state.isEmpty ? [] : try (0..<stateCount).map { _ in try Tensor.zeros(shape, dtype: dtype, on: blas) }
        for step in 1...5 {
            let grad = try Tensor(doubles: g.normal(count: shape.elementCount), shape: shape, dtype: dtype, on: blas)
            let kernel = make(step)
            XCTAssertTrue(try blas.optimizerUpdate(kernel, parameter: param.operand, gradient: grad.operand,
                                                   state: state.map(\.operand)))
            (expected, expectedState) = try opUpdate(kernel, expected, grad, expectedState)
            try Closeness.assertClose(param, expected, "\(kernel) step \(step) \(dtype): parameter")
            for (s, e) in zip(state, expectedState) {
                try Closeness.assertClose(s, e, "\(kernel) step \(step) \(dtype): state")
            }
        }
    }

    func testSGD() throws {
        for dtype in [DType.float32, .float64] {
            try run({ _ in .sgd(lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false) }, stateCount: 0, dtype: dtype)
            try run({ _ in .sgd(lr: 0.1, momentum: 0, weightDecay: 0.01, nesterov: false) }, stateCount: 0, dtype: dtype)
            try run({ _ in .sgd(lr: 0.05, momentum: 0.9, weightDecay: 0.001, nesterov: false) }, stateCount: 1, dtype: dtype)
            try run({ _ in .sgd(lr: 0.05, momentum: 0.9, weightDecay: 0, nesterov: true) }, stateCount: 1, dtype: dtype)
        }
    }

    /// Float32 runs the native AVX-512 kernel where the CPU has it, split over two threads
    /// for the large shape (a whole vector tail in [7 5], chunks of 2¹⁵ in [300 257]), and
    /// the Swift loop with the kernels off.
    func testAdamAndAdamW() throws {
        let threads = BLASThreads.count
        BLASThreads.count = 2
        defer { BLASThreads.count = threads }
        for native in NativeKernels.isSupported ? [true, false] : [false] {
            try NativeKernels.with(enabled: native) {
                for (dtype, shape) in [(DType.float32, [7, 5] as Shape), (.float32, [300, 257]), (.float64, [7, 5])] {
                    for decoupled in [false, true] {
                        for decay in [0, 0.01] {
                            try run({ .adam(lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: decay,
                                            decoupledWeightDecay: decoupled, step: $0) }, stateCount: 2, dtype: dtype,
                                    shape: shape)
                        }
                    }
                }
            }
        }
    }

    /// Layouts the kernel does not cover are declined, so the caller's op-based update runs.
    func testNonContiguousParametersAreDeclined() throws {
        let p = try Tensor.randn([4, 3], on: blas).transposed()
        let g = try Tensor.randn([3, 4], on: blas)
        XCTAssertFalse(try blas.optimizerUpdate(.sgd(lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false),
                                                parameter: p.operand, gradient: g.operand, state: []))
        XCTAssertFalse(try blas.optimizerUpdate(.adam(lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0,
                                                      decoupledWeightDecay: false, step: 1),
                                                parameter: g.operand, gradient: g.operand, state: []))
    }
}
