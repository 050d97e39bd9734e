import XCTest
import Mino
@testable import MinoBLAS

/// The native 2×2 stride-2 max-pooling kernels (`Kernels/Pooling.c`) against the composites
/// (the ops' default implementations on the reference backend) and against the blas backend with
/// the native kernels off: odd and even planes, widths that leave partial vectors, ties, −∞ and
/// NaN (the maximum, and the first NaN takes the gradient), at one and two threads.
final class NativePoolingTests: NativeKernelTestCase {
    let reference = ReferenceBackend()

    func testMaxPoolForwardAndGradientMatchTheComposite() throws {
        var a = OpAttributes()
        a.window = Window(kernel: [2], stride: [2])
        let g = RandomGenerator(seed: 31)
        for threads in [1, 2] {
            BLASThreads.count = threads
            for shape in [[2, 3, 6, 6], [1, 1, 2, 2], [3, 2, 7, 5], [2, 6, 30, 30], [2, 16, 13, 13], [1, 2, 4, 66],
                          [1, 3, 5, 33], [4, 1, 3, 64], [1, 1, 9, 35]] as [Shape] {
                let n = shape.elementCount
                var values = try Tensor.randn(shape, generator: g, on: blas).toHost().doubles
                // Ties (a run of zeros, as after a ReLU) and −∞ in some windows.
                for i in stride(from: 0, to: n, by: 7) { values[i] = 0 }
                for i in stride(from: 3, to: n, by: 11) { values[i] = 0 }
                for i in stride(from: 5, to: n, by: 23) { values[i] = -.infinity }
                var withNaN = values
                for i in stride(from: 2, to: n, by: 13) { withNaN[i] = .nan }
                for data in [values, withNaN] {
                    let x = try Tensor(doubles: data, shape: shape, dtype: .float32, on: blas)
                    XCTAssertNotNil(NativePooling.sizes(try Ops.poolGeometry("maxPool2d", shape, &a.window),
                                                        Float.self), "\(shape) takes the native kernels")
                    let y = try withoutGradients { try Dispatch.apply(Ops.maxPool2d, [x], a) }
                    let up = try Tensor.randn(y.shape, generator: g, on: blas)
                    let dx = try withoutGradients { try Dispatch.apply(Ops.maxPool2dBackward, [x, up], a) }
                    let (xr, upr) = (try x.to(reference), try up.to(reference))
                    let expected = try composite(Ops.maxPool2d, [xr], a)
                    let expectedGradient = try composite(Ops.maxPool2dBackward, [xr, upr], a)
                    try Closeness.assertClose(y, try expected.to(blas), "\(shape) \(threads) threads: forward")
                    try Closeness.assertClose(dx, try expectedGradient.to(blas), "\(shape) \(threads) threads: ∂x")
                    let (yOff, dxOff) = try NativeKernels.with(enabled: false) {
                        (try withoutGradients { try Dispatch.apply(Ops.maxPool2d, [x], a) },
                         try withoutGradients { try Dispatch.apply(Ops.maxPool2dBackward, [x, up], a) })
                    }
                    try Closeness.assertClose(y, yOff, "\(shape) \(threads) threads: forward, kernels off")
                    try Closeness.assertClose(dx, dxOff, "\(shape) \(threads) threads: ∂x, kernels off")
                }
            }
        }
    }

    /// The op's default implementation (no fused kernel).
    func composite(_ op: OpDefinition, _ inputs: [Tensor], _ attributes: OpAttributes) throws -> Tensor {
        var a = attributes
        _ = try op.shapeRule(inputs.map { TensorSpec(of: $0) }, &a)
        let implementation = try XCTUnwrap(op.implementation, "\(op.name) has no default implementation")
        return try withoutGradients { try implementation(inputs, a) }
    }
}
