import XCTest
import Mino
@testable import MinoBLAS

/// The direct stride-1 float32 convolution kernels (`BLAS+DirectConvolution.swift`,
/// `Kernels/Convolution.c`): forward, input gradient and weight gradient against the reference
/// backend and against the blas backend with the native kernels off, over geometries that leave
/// every kind of tile remainder, at one and two threads, and with ±∞ and NaN in the data.
final class NativeConvolutionTests: NativeKernelTestCase {
    let reference = ReferenceBackend()

    struct Case: CustomStringConvertible {
        var batch, channels, height, width, outChannels, kernelHeight, kernelWidth: Int
        var padding = 0, dilation = 1, groups = 1

        var x: Shape { [batch, channels, height, width] }
        var w: Shape { [outChannels, channels / groups, kernelHeight, kernelWidth] }
        var description: String {
            "x \(x) w \(w) pad \(padding) dil \(dilation) groups \(groups)"
        }
    }

    /// Geometries: channels 1…9, kernels 1…5 (square and not), odd and even planes, padding 0…2,
    /// output channels that leave 1…7 channels past the 8-channel tiles and widths that leave partial
    /// 16-lane vectors, batch 1 and 3, dilation 2 and groups 2 on some.
    var cases: [Case] {
        var out: [Case] = []
        var i = 0
        for channels in [1, 2, 3, 6, 9] {
            for kernel in 1...5 {
                for padding in 0...2 {
                    i += 1
                    let side = kernel + 2 + (i * 7) % 19  // 3 … 25, odd and even
                    let kw = kernel == 1 ? 1 : kernel - i % 2  // 1×1, square and kh × (kh − 1)
                    out.append(Case(batch: i % 2 == 0 ? 1 : 3, channels: channels, height: side,
                                    width: side + i % 3, outChannels: 1 + (i * 5) % 19, kernelHeight: kernel,
                                    kernelWidth: kw, padding: padding))
                }
            }
        }
        out.append(Case(batch: 3, channels: 4, height: 11, width: 12, outChannels: 6, kernelHeight: 3,
                         kernelWidth: 3, padding: 1, dilation: 2))
        out.append(Case(batch: 2, channels: 6, height: 9, width: 10, outChannels: 10, kernelHeight: 3,
                        kernelWidth: 2, padding: 0, groups: 2))
        out.append(Case(batch: 3, channels: 4, height: 9, width: 7, outChannels: 4, kernelHeight: 2,
                        kernelWidth: 3, padding: 2, dilation: 2, groups: 4))
        // LeNet's two layers (the training benchmark) and a padded 3×3 over many channels.
        out.append(Case(batch: 3, channels: 1, height: 32, width: 32, outChannels: 6, kernelHeight: 3, kernelWidth: 3))
        out.append(Case(batch: 3, channels: 6, height: 15, width: 15, outChannels: 16, kernelHeight: 3,
                        kernelWidth: 3))
        out.append(Case(batch: 2, channels: 32, height: 16, width: 16, outChannels: 32, kernelHeight: 3,
                        kernelWidth: 3, padding: 1))
        return out
    }

    /// The output and the gradients of x, w and b for `loss = Σ upstream · conv2d(x, w, b)`.
    /// On `dtype` (the inputs cast), the results cast back to float32 on the blas backend.
    func forwardAndGradients(_ c: Case, _ x: Tensor, _ w: Tensor, _ b: Tensor, _ upstream: Tensor,
                             on backend: any Backend, dtype: DType = .float32) throws -> [Tensor] {
        let leaves = try [x, w, b].map { t -> Tensor in
            let leaf = try t.to(backend).cast(to: dtype).detached()  // a fresh leaf per run: no gradients add up
            leaf.requiresGrad = true
            return leaf
        }
        let y = try leaves[0].conv2d(leaves[1], leaves[2], padding: [c.padding], dilation: [c.dilation],
                                     groups: c.groups)
        try y.backward(try upstream.to(backend).cast(to: dtype))
        return try ([y] + leaves.map { try XCTUnwrap($0.grad, "no gradient") }).map {
            try $0.cast(to: .float32).to(blas)
        }
    }

    func testForwardAndGradientsMatchTheReferenceAndTheGemmPath() throws {
        for threads in [1, 2] {
            BLASThreads.count = threads
            for c in cases {
                let g = RandomGenerator(seed: UInt64(c.x.elementCount + c.w.elementCount))
                let x = try Tensor.randn(c.x, generator: g, on: blas)
                let w = try Tensor.randn(c.w, generator: g, on: blas)
                let b = try Tensor.randn([c.outChannels], generator: g, on: blas)
                var window = Window(padding: [c.padding], dilation: [c.dilation], groups: c.groups)
                let geometry = try Ops.conv2dGeometry("conv2d", c.x, c.w, [c.outChannels], &window)
                // The case must reach the direct kernels, not a fallback.
                let plan = BLASConvolution.Plan(geometry)
                XCTAssertNotNil(DirectConvolution.shape(geometry, channels: plan.cg, height: geometry.paddedHeight,
                                                        width: geometry.paddedWidth, outChannels: plan.og), "\(c)")
                let upstream = try Tensor.randn([c.batch, c.outChannels, geometry.outHeight, geometry.outWidth],
                                                generator: g, on: blas)
                let native = try forwardAndGradients(c, x, w, b, upstream, on: blas)
                let gemm = try NativeKernels.with(enabled: false) {
                    try forwardAndGradients(c, x, w, b, upstream, on: blas)
                }
                // The oracle sums in float64: a float32 sum of a thousand terms drifts past the tolerance by itself.
                let oracle = try forwardAndGradients(c, x, w, b, upstream, on: reference, dtype: .float64)
                for (i, name) in ["output", "∂x", "∂w", "∂b"].enumerated() {
                    try Closeness.assertClose(native[i], oracle[i], "\(c) \(threads) threads: \(name)")
                    try Closeness.assertClose(native[i], gemm[i], "\(c) \(threads) threads, native vs gemm: \(name)")
                }
            }
        }
    }

    /// ±∞ and NaN in the input, the weight and the output gradient: each op gives what the
    /// reference gives (0·∞ = NaN only where the reference multiplies that pair too).
    func testInfinityAndNaNBehaveAsTheReference() throws {
        let specials: [Double] = [.infinity, -.infinity, .nan]
        for threads in [1, 2] {
            BLASThreads.count = threads
            for c in [Case(batch: 3, channels: 2, height: 7, width: 9, outChannels: 5, kernelHeight: 3, kernelWidth: 3),
                      Case(batch: 2, channels: 3, height: 6, width: 6, outChannels: 9, kernelHeight: 2, kernelWidth: 3,
                           padding: 1),
                      Case(batch: 1, channels: 2, height: 20, width: 19, outChannels: 3, kernelHeight: 5,
                           kernelWidth: 4, padding: 2)] {
                let g = RandomGenerator(seed: 21)
                var window = Window(padding: [c.padding])
                let geometry = try Ops.conv2dGeometry("conv2d", c.x, c.w, [c.outChannels], &window)
                let outShape: Shape = [c.batch, c.outChannels, geometry.outHeight, geometry.outWidth]
                func with(_ shape: Shape, specials: [Double], at positions: [Int]) throws -> Tensor {
                    var values = try Tensor.randn(shape, generator: g, on: blas).toHost().doubles
                    for (k, p) in positions.enumerated() { values[p % values.count] = specials[k % specials.count] }
                    return try Tensor(doubles: values, shape: shape, dtype: .float32, on: blas)
                }
                // Specials at a corner, an edge (a padded neighbour), the last column and inside.
                let n = c.x.elementCount
                let x = try with(c.x, specials: specials, at: [0, c.width - 1, n / 2, n - 1])
                let xFinite = try Tensor.randn(c.x, generator: g, on: blas)
                let w = try Tensor.randn(c.w, generator: g, on: blas)
                let wSpecial = try with(c.w, specials: specials, at: [0, c.w.elementCount - 1])
                let b = try Tensor.randn([c.outChannels], generator: g, on: blas)
                let up = try Tensor.randn(outShape, generator: g, on: blas)
                let upSpecial = try with(outShape, specials: specials, at: [0, outShape.elementCount / 3, 7])
                var a = OpAttributes()
                a.window = Window(padding: [c.padding])
                let zero = try Tensor.zeros([c.channels], on: blas)
                let runs: [(String, OpDefinition, [Tensor], OpAttributes)] = [
                    ("conv2d x", Ops.conv2d, [x, w, b], a),
                    ("conv2d w", Ops.conv2d, [xFinite, wSpecial, b], a),
                    ("∂w x", Ops.conv2dWeightBackward, [x, w, up], a),
                    ("∂w ∂out", Ops.conv2dWeightBackward, [xFinite, w, upSpecial], a),
                    ("∂x ∂out", Ops.convTranspose2d, [upSpecial, w, zero], a),
                    ("∂x w", Ops.convTranspose2d, [up, wSpecial, zero], a),
                ]
                for (name, op, inputs, attributes) in runs {
                    let native = try withoutGradients { try Dispatch.apply(op, inputs, attributes) }
                    let oracle = try withoutGradients {
                        try Dispatch.apply(op, try inputs.map { try $0.to(reference) }, attributes)
                    }
                    try Closeness.assertClose(native, try oracle.to(blas), "\(c) \(threads) threads: \(name)")
                }
            }
        }
    }
}
