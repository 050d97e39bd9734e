import XCTest
import Mino
import MinoConformance

/// The fused kernels against the composites' default implementations (run on
/// the same backend), on the conformance samples and on training shapes.
final class BLASFusedTests: XCTestCase {
    let blas = BLASBackend()

    /// The op's default implementation on `inputs`, bypassing any fused kernel.
    func unfused(_ op: OpDefinition, _ inputs: [Tensor], _ attributes: OpAttributes) throws -> Tensor {
        var a = attributes
        _ = try op.shapeRule(inputs.map { TensorSpec(of: $0) }, &a)
        let implementation = try XCTUnwrap(op.implementation, "\(op.name) has no default implementation")
        return try withoutGradients { try implementation(inputs, a) }
    }

    func testEveryFusedKernelMatchesItsDefault() throws {
        var checked = Set<String>()
        var failures: [String] = []
        for op in OpRegistry.shared.all where op.fusedKernel != nil {
            for dtype in [DType.float32, .float64] {
                for sample in SampleInputs.samples(for: op, dtype: dtype) {
                    let inputs = try sample.tensors(on: blas)
                    let fused = try withoutGradients { try Dispatch.apply(op, inputs, sample.attributes) }
                    let plain = try unfused(op, inputs, sample.attributes)
                    if let problem = Closeness.mismatch(try fused.toHost(), try plain.toHost()) {
                        failures.append("\(sample): \(problem)")
                    }
                    checked.insert(op.name)
                }
            }
        }
        XCTAssertEqual(failures, [])
        XCTAssertEqual(checked, Set(FusedKernel.allCases.map(\.rawValue)))
    }

    /// The kernels take the fused path on these shapes (not just a fallback).
    func testFusedKernelsRunOnTrainingShapes() throws {
        let g = RandomGenerator(seed: 11)
        let x = try Tensor.randn([64, 784], generator: g, on: blas)
        let w = try Tensor.randn([512, 784], std: 0.05, generator: g, on: blas)
        let b = try Tensor.randn([512], generator: g, on: blas)
        let inputs = [x, w, b].map(\.operand)
        XCTAssertNotNil(try blas.fused(.linear, inputs, .none))
        let logits = try Tensor.randn([64, 10], generator: g, on: blas)
        let labels = try Tensor((0..<64).map { Int64($0 % 10) }, shape: [64], on: blas)
        XCTAssertNotNil(try blas.fused(.crossEntropy, [logits.operand, labels.operand], .reduction(.mean)))
        XCTAssertNotNil(try blas.fused(.softmax, [logits.operand], .axis(1)))

        try Closeness.assertClose(try x.linear(w, b), try unfused(Ops.linear, [x, w, b], .none), "linear")
        // The weight given as a transposed view of a [in, out] matrix.
        let wt = try Tensor.randn([784, 512], std: 0.05, generator: g, on: blas).transposed()
        try Closeness.assertClose(try x.linear(wt, b), try unfused(Ops.linear, [x, wt, b], .none), "linear, wᵀ view")
        // A batch of sequences: [2, 32, 784].
        let x3 = try x.reshape([2, 32, 784])
        try Closeness.assertClose(try x3.linear(w, b), try unfused(Ops.linear, [x3, w, b], .none), "linear, rank 3")
        for reduction in Reduction.allCases {
            try Closeness.assertClose(try Loss.crossEntropy(logits, labels, reduction: reduction),
                                      try unfused(Ops.crossEntropy, [logits, labels], .reduction(reduction)),
                                      "crossEntropy \(reduction)")
        }
    }

    func testExtremeLogitsStayFinite() throws {
        let logits = try Tensor([1000, -1000, 0, -80, 88, 89, -104, 3] as [Float], shape: [2, 4], on: blas)
        let labels = try Tensor([1, 2] as [Int64], shape: [2], on: blas)
        let loss = try Loss.crossEntropy(logits, labels, reduction: .none)
        let oracle = ReferenceBackend()
        let reference = try Loss.crossEntropy(try logits.to(oracle), try labels.to(oracle), reduction: .none)
        try Closeness.assertClose(loss, reference, "cross-entropy of extreme logits")
        let e = try Tensor([-200, -104, -90, -87.5, -1e-3, 0, 1e-3, 50, 88.5, 88.7, 88.8, 200, .nan, .infinity,
                            -.infinity] as [Float], shape: [15], on: blas)
        try Closeness.assertClose(try e.exp(), try e.to(oracle).exp(), "exp at the edges")
        try Closeness.assertClose(try e.sigmoid(), try e.to(oracle).sigmoid(), "sigmoid at the edges")
    }

    func testOutOfRangeLabelsAreAnError() throws {
        let logits = try Tensor.randn([3, 4], on: blas)
        for bad in [[0, 4, 1], [0, -1, 2]] as [[Int64]] {
            let labels = try Tensor(bad, shape: [3], on: blas)
            XCTAssertThrowsError(try Loss.crossEntropy(logits, labels)) { error in
                XCTAssertEqual((error as? MinoError)?.kind, .argument, "\(error)")
            }
        }
    }

    /// conv2d → ReLU → max-pool on LeNet-like shapes (and strided, padded, dilated, grouped and 1×1
    /// convolutions), forward and every gradient, against the reference backend's composites. The ReLU
    /// makes windows of equal zeros, so the max-pool gradient's first-maximum rule is exercised.
    func testConvolutionAndPoolingGradientsMatchTheReference() throws {
        let oracle = ReferenceBackend()
        let cases: [(x: Shape, w: Shape, stride: Int, padding: Int, dilation: Int, groups: Int, pool: [Int])] = [
            ([5, 1, 14, 14], [6, 1, 3, 3], 1, 0, 1, 1, [2]),
            ([3, 6, 9, 9], [16, 6, 3, 3], 1, 0, 1, 1, [2]),
            ([2, 4, 9, 8], [6, 2, 3, 2], 2, 1, 1, 2, [3]),
            ([2, 3, 9, 9], [4, 3, 3, 3], 1, 2, 2, 1, [2]),
            ([2, 5, 6, 6], [7, 5, 1, 1], 1, 0, 1, 1, [2]),
            ([3, 3, 10, 9], [4, 3, 3, 2], 1, 0, 2, 1, [2]),
            ([40, 4, 12, 12], [6, 2, 3, 3], 1, 0, 1, 2, [2]),
            ([1, 3, 20, 20], [4, 3, 3, 3], 2, 1, 1, 1, [2]),
        ]
        for dtype in [DType.float32, .float64] {
            for c in cases {
                let g = RandomGenerator(seed: 5)
                let x = try Tensor.randn(c.x, dtype: dtype, generator: g, on: blas)
                let w = try Tensor.randn(c.w, dtype: dtype, generator: g, on: blas)
                let b = try Tensor.randn([c.w[0]], dtype: dtype, generator: g, on: blas)
                func run(_ backend: any Backend) throws -> [Tensor] {
                    let leaves = try [x, w, b].map { t -> Tensor in
                        let leaf = try t.to(backend)
                        leaf.requiresGrad = true
                        return leaf
                    }
                    let y = try leaves[0].conv2d(leaves[1], leaves[2], stride: [c.stride], padding: [c.padding],
                                                 dilation: [c.dilation], groups: c.groups).relu()
                        .maxPool2d(kernelSize: c.pool)
                    let weight = try Tensor(GradientCheck.lossWeight(for: y.shape, dtype: dtype), on: backend)
                    try y.backward(weight)
                    return [y] + leaves.map { $0.grad ?? y }
                }
                let (fast, slow) = (try run(blas), try run(oracle))
                for (i, name) in ["output", "∂x", "∂w", "∂b"].enumerated() {
                    try Closeness.assertClose(fast[i], try slow[i].to(blas), "\(dtype) \(c): \(name)")
                }
            }
        }
    }

    /// Max pooling with NaN, −∞ and ties (every window of a constant plane ties), padded and not,
    /// forward and gradient, against the composites (NaN the maximum, gradient at the first maximum).
    func testMaxPoolEdgeValuesMatchTheComposite() throws {
        let values: [Double] = [.nan, 1, 1, -.infinity, 2, 2, 0, 0, -.infinity, -.infinity, 3, .nan, 0, 0, 0, 0,
                                5, 5, 5, 5, -1, -1, -.infinity, -1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]
        // Also without the NaNs: float32 2×2 windows then take the SIMD path.
        for (dtype, values) in [(DType.float32, values), (.float64, values), (.float32, values.map { $0.isNaN ? 7 : $0 })] {
            let x = try Tensor(doubles: values, shape: [1, 1, 6, 6], dtype: dtype, on: blas)
            for (kernel, stride, padding) in [([2], [Int](), [0]), ([3], [1], [1]), ([3, 2], [2, 1], [1, 0])] {
                var a = OpAttributes()
                a.window = Window(kernel: kernel, stride: stride, padding: padding)
                let y = try withoutGradients { try Dispatch.apply(Ops.maxPool2d, [x], a) }
                try Closeness.assertClose(y, try unfused(Ops.maxPool2d, [x], a), "\(dtype) maxPool2d \(a.window)")
                let up = try Tensor.randn(y.shape, dtype: dtype, generator: RandomGenerator(seed: 2), on: blas)
                let dx = try withoutGradients { try Dispatch.apply(Ops.maxPool2dBackward, [x, up], a) }
                try Closeness.assertClose(dx, try unfused(Ops.maxPool2dBackward, [x, up], a),
                                          "\(dtype) maxPool2dBackward \(a.window)")
            }
        }
    }

    /// Average pooling over every kernel 1…4 (square and not), stride 1…3 and padding 0…kernel/2
    /// on odd, even and small planes, against the composite (zero padding counted in the divisor):
    /// each takes the fused path, and a transposed (non-contiguous) input gives the same means.
    func testAvgPoolMatchesTheCompositeOverGeometries() throws {
        for dtype in [DType.float32, .float64] {
            let g = RandomGenerator(seed: 12)
            for shape in [[2, 3, 7, 9], [1, 2, 5, 4], [3, 1, 8, 8], [1, 1, 1, 3], [2, 3, 3, 3]] as [Shape] {
                let x = try Tensor.randn(shape, dtype: dtype, generator: g, on: blas)
                // The same values through a view: the last two axes of a transposed copy, swapped back.
                let view = try Tensor.randn([shape[0], shape[1], shape[3], shape[2]], dtype: dtype, generator: g,
                                            on: blas).transposed()
                for kernel in [[1], [2], [3], [4], [3, 2], [1, 4], [2, 3]] {
                    for stride in 1...3 {
                        for ph in 0...(kernel[0] / 2) {
                            for pw in 0...(kernel.last! / 2) {
                                let kh = kernel[0], kw = kernel.last!
                                guard shape[2] + 2 * ph >= kh, shape[3] + 2 * pw >= kw else { continue }
                                var a = OpAttributes()
                                a.window = Window(kernel: kernel, stride: [stride], padding: [ph, pw])
                                for input in [x, view] {
                                    XCTAssertNotNil(try blas.fused(.avgPool2d, [input.operand], a))
                                    let y = try withoutGradients { try Dispatch.apply(Ops.avgPool2d, [input], a) }
                                    try Closeness.assertClose(y, try unfused(Ops.avgPool2d, [input], a),
                                                              "\(dtype) avgPool2d \(shape) \(a.window)")
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Average pooling of ∞, −∞ and NaN: a window with ∞ is ∞, with both infinities or a NaN NaN,
    /// as the composite's sums give.
    func testAvgPoolEdgeValuesMatchTheComposite() throws {
        let values: [Double] = [.nan, 1, 2, 3, 4, 5, .infinity, 1, 2, -.infinity, 3, 4, .infinity, 0, 0, 0,
                                1, 2, 3, 4, 5, 6, 7, 8, 9]
        for dtype in [DType.float32, .float64] {
            let x = try Tensor(doubles: values, shape: [1, 1, 5, 5], dtype: dtype, on: blas)
            for (kernel, stride, padding) in [([2], [Int](), [0]), ([3], [1], [1]), ([3, 2], [2, 1], [1, 0])] {
                var a = OpAttributes()
                a.window = Window(kernel: kernel, stride: stride, padding: padding)
                let y = try withoutGradients { try Dispatch.apply(Ops.avgPool2d, [x], a) }
                try Closeness.assertClose(y, try unfused(Ops.avgPool2d, [x], a), "\(dtype) avgPool2d \(a.window)")
            }
        }
    }

    /// Adaptive average pooling with output sizes that divide the input and that do not, output 1,
    /// outputs larger than the input, rank 3 and 4, and a transposed (non-contiguous) input, against
    /// the composite (PyTorch's windows ⌊i·H/Ho⌋ ..< ⌈(i+1)·H/Ho⌉ as averaging matrices).
    func testAdaptiveAvgPoolMatchesTheComposite() throws {
        for dtype in [DType.float32, .float64] {
            let g = RandomGenerator(seed: 13)
            for shape in [[2, 3, 7, 9], [1, 2, 8, 6], [3, 1, 1, 5], [2, 6, 4]] as [Shape] {
                let x = try Tensor.randn(shape, dtype: dtype, generator: g, on: blas)
                var swapped = shape.dims
                swapped.swapAt(shape.rank - 2, shape.rank - 1)
                let view = try Tensor.randn(Shape(swapped), dtype: dtype, generator: g, on: blas).transposed()
                for size in [[1, 1], [2, 3], [3, 2], [4, 4], [7, 9], [5, 1], [10, 11], [1, 12]] {
                    let a = OpAttributes.shape(Shape(size))
                    for input in [x, view] {
                        XCTAssertNotNil(try blas.fused(.adaptiveAvgPool2d, [input.operand], a))
                        let y = try withoutGradients { try Dispatch.apply(Ops.adaptiveAvgPool2d, [input], a) }
                        try Closeness.assertClose(y, try unfused(Ops.adaptiveAvgPool2d, [input], a),
                                                  "\(dtype) adaptiveAvgPool2d \(shape) → \(size)")
                    }
                }
            }
        }
    }

    /// The weight gradient of a stride-1 convolution whose input has ∞ in its last column, and the
    /// input gradient with ∞ in the weight: the wide-column kernels must not turn the zeros of their
    /// extra columns into NaN (0·∞).
    func testConvolutionWeightGradientWithInfiniteInputMatchesTheComposite() throws {
        for dtype in [DType.float32, .float64] {
            let g = RandomGenerator(seed: 8)
            var values = try Tensor.randn([2, 2, 5, 6], dtype: dtype, generator: g, on: blas).toHost().doubles
            values[5] = .infinity
            let x = try Tensor(doubles: values, shape: [2, 2, 5, 6], dtype: dtype, on: blas)
            let w = try Tensor.randn([3, 2, 2, 3], dtype: dtype, generator: g, on: blas)
            let up = try Tensor.randn([2, 3, 4, 4], dtype: dtype, generator: g, on: blas)
            var a = OpAttributes()
            a.window = Window(stride: [1], padding: [0], dilation: [1])
            let fused = try withoutGradients { try Dispatch.apply(Ops.conv2dWeightBackward, [x, w, up], a) }
            try Closeness.assertClose(fused, try unfused(Ops.conv2dWeightBackward, [x, w, up], a), "\(dtype)")
            // The input gradient (conv_transpose2d) with ∞ in the weight: likewise no 0·∞ from wide columns.
            var weights = try w.toHost().doubles
            weights[0] = .infinity
            let wInf = try Tensor(doubles: weights, shape: w.shape, dtype: dtype, on: blas)
            let zero = try Tensor.zeros([2], dtype: dtype, on: blas)
            let dx = try withoutGradients { try Dispatch.apply(Ops.convTranspose2d, [up, wInf, zero], a) }
            try Closeness.assertClose(dx, try unfused(Ops.convTranspose2d, [up, wInf, zero], a), "\(dtype) ∂x")
        }
    }

    /// layerNorm and batchNorm (training and evaluation) on layer-sized inputs with a large common
    /// offset (the statistics must not cancel), against the composites.
    func testNormalizationMatchesTheCompositeOnLayerShapes() throws {
        for dtype in [DType.float32, .float64] {
            let g = RandomGenerator(seed: 9)
            let x = try Tensor.randn([8, 16, 5, 5], dtype: dtype, generator: g, on: blas) + 100
            let c = [16]
            let (mean, variance) = (try Tensor.randn(Shape(c), dtype: dtype, generator: g, on: blas) + 100,
                                    try Tensor.randn(Shape(c), dtype: dtype, generator: g, on: blas).abs() + 0.5)
            let (w, b) = (try Tensor.randn(Shape(c), dtype: dtype, generator: g, on: blas),
                          try Tensor.randn(Shape(c), dtype: dtype, generator: g, on: blas))
            for training in [true, false] {
                var a = OpAttributes()
                a.epsilon = 1e-5
                a.training = training
                let inputs = [x, mean, variance, w, b]
                let y = try withoutGradients { try Dispatch.apply(Ops.batchNorm, inputs, a) }
                try Closeness.assertClose(y, try unfused(Ops.batchNorm, inputs, a), "\(dtype) batchNorm training \(training)")
            }
            let rows = try Tensor.randn([4, 7, 32], dtype: dtype, generator: g, on: blas) * 3 + 50
            let (lw, lb) = (try Tensor.randn([7, 32], dtype: dtype, generator: g, on: blas),
                            try Tensor.randn([7, 32], dtype: dtype, generator: g, on: blas))
            var a = OpAttributes()
            a.epsilon = 1e-5
            let y = try withoutGradients { try Dispatch.apply(Ops.layerNorm, [rows, lw, lb], a) }
            try Closeness.assertClose(y, try unfused(Ops.layerNorm, [rows, lw, lb], a), "\(dtype) layerNorm")
        }
    }

    /// Every gradient of batchNorm (training and evaluation) and layerNorm on blas against the
    /// reference backend (whose derivatives run the composites).
    func testNormalizationGradientsMatchTheReference() throws {
        let oracle = ReferenceBackend()
        for dtype in [DType.float32, .float64] {
            let g = RandomGenerator(seed: 12)
            let host = try [[6, 4, 3, 3], [4], [4], [4], [4], [5, 3, 8], [3, 8], [3, 8]].map { dims -> HostArray in
                try Tensor.randn(Shape(dims), dtype: dtype, generator: g, on: oracle).toHost()
            }
            func run(_ backend: any Backend, training: Bool) throws -> [Tensor] {
                let t = try host.map { try Tensor($0, on: backend) }
                let runningVar = try t[2].abs() + 0.5
                for i in [0, 3, 4, 5, 6, 7] { t[i].requiresGrad = true }
                let bn = try t[0].batchNorm(runningMean: t[1], runningVar: runningVar, weight: t[3], bias: t[4],
                                            training: training)
                let ln = try t[5].layerNorm(t[6], t[7])
                let loss = try (bn * bn).sum() + (ln * ln * ln).sum()
                try loss.backward()
                return [bn, ln] + [0, 3, 4, 5, 6, 7].map { t[$0].grad ?? loss }
            }
            for training in [true, false] {
                let (fast, slow) = (try run(blas, training: training), try run(oracle, training: training))
                for (i, name) in ["batchNorm", "layerNorm", "∂x", "∂w", "∂b", "∂x (layer)", "∂w (layer)", "∂b (layer)"]
                    .enumerated() {
                    try Closeness.assertClose(fast[i], try slow[i].to(blas), "\(dtype) training \(training): \(name)")
                }
            }
        }
    }
}
