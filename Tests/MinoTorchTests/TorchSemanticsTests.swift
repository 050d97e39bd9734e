import MinoCore
import MinoReference
import MinoTorch
import XCTest

/// Where torch's own behaviour differs from Mino's rules, the backend follows Mino's.
final class TorchSemanticsTests: XCTestCase {
    let reference = ReferenceBackend()

    /// Runs `body` on both backends and compares the host results exactly.
    func assertSame(_ label: String, _ body: (any Backend) throws -> Tensor,
                    file: StaticString = #filePath, line: UInt = #line) throws {
        let torch = try requireTorchBackend()
        let expected = try body(reference).toHost()
        let actual = try body(torch).toHost()
        assertClose(actual, expected, absolute: 0, relative: 0, label, file: file, line: line)
    }

    func testCastToInt64TruncatesAndSaturates() throws {
        let values: [Double] = [.nan, .infinity, -.infinity, 1e30, -1e30, 9.3e18, -9.3e18, 2.7, -2.7, -0.0, 0.5]
        for dtype in [DType.float32, .float64] {
            try assertSame("cast \(dtype) → int64") { b in
                try Tensor(doubles: values, shape: [values.count], dtype: dtype, on: b).cast(to: .int64)
            }
        }
        try assertSame("cast int64 → float32") { b in
            try Tensor([.max, .min, 16_777_217, -3], shape: [4], on: b).cast(to: .float32)
        }
    }

    func testComparisonsGiveOneAndZeroInTheOperandsDType() throws {
        let torch = try requireTorchBackend()
        let a = try Tensor([1, 2, .nan] as [Double], shape: [3], on: torch)
        let b = try Tensor([2, 2, .nan] as [Double], shape: [3], on: torch)
        let less = try a < b
        XCTAssertEqual(less.dtype, .float64)
        XCTAssertEqual(try less.doubles(), [1, 0, 0])
        XCTAssertEqual(try a.notEqual(b).doubles(), [1, 0, 1])
        XCTAssertEqual(try (Tensor([1, 5] as [Int64], shape: [2], on: torch) >= 2).int64s(), [0, 1])
    }

    func testSignReluAndWhereFollowTheReferenceOnNaN() throws {
        let values: [Double] = [.nan, -0.0, 0, -3, 2]
        try assertSame("sign") { b in try Tensor(values, shape: [5], on: b).sign() }
        try assertSame("relu") { b in try Tensor(values, shape: [5], on: b).relu() }
        try assertSame("where") { b in
            try Tensor.where(try Tensor(values, shape: [5], on: b), try Tensor.ones([5], dtype: .float64, on: b),
                             try Tensor.zeros([5], dtype: .float64, on: b))
        }
        try assertSame("max with NaN") { b in try Tensor(values, shape: [5], on: b).max(axes: [0]) }
        try assertSame("argmax with NaN") { b in try Tensor(values, shape: [5], on: b).argmax(axis: 0) }
    }

    func testIntegerArithmeticWrapsAround() throws {
        let big: [Int64] = [.max, .min, 1 << 62, -7]
        try assertSame("add") { b in try Tensor(big, shape: [4], on: b) + Tensor(big, shape: [4], on: b) }
        try assertSame("sub") { b in try Tensor(big, shape: [4], on: b) - Tensor([-1, 1, -(1 << 62), 3], shape: [4], on: b) }
        try assertSame("mul") { b in try Tensor(big, shape: [4], on: b) * Tensor([3, 3, 4, 2], shape: [4], on: b) }
        try assertSame("neg") { b in try Tensor(big, shape: [4], on: b).neg() }
        try assertSame("abs") { b in try Tensor(big, shape: [4], on: b).abs() }
        try assertSame("sign, relu") { b in try Tensor(big, shape: [4], on: b).sign() + Tensor(big, shape: [4], on: b).relu() }
        try assertSame("sum") { b in try Tensor(big, shape: [2, 2], on: b).sum(axes: [1]) }
    }

    func testArgmaxTakesTheFirstOfTies() throws {
        try assertSame("argmax ties") { b in
            try Tensor([1, 3, 3, 2, 2, 0] as [Float], shape: [2, 3], on: b).argmax(axis: 1)
        }
    }

    /// Empty tensors: reductions, means and losses give the reference's values, or its error.
    func testEmptyTensorsBehaveAsOnTheReference() throws {
        try assertSame("sum of nothing") { b in try Tensor.zeros([3, 0], on: b).sum(axes: [1]) }
        try assertSame("mean of nothing") { b in try Tensor.zeros([0, 2], on: b).mean() }
        try assertSame("max over an empty result") { b in try Tensor.zeros([0, 3], on: b).max(axes: [1]) }
        try assertSame("mse of nothing") { b in try Loss.mse(try Tensor.zeros([0], on: b), try Tensor.zeros([0], on: b)) }
        let torch = try requireTorchBackend()
        assertMinoError(.shape) { try Tensor.zeros([3, 0], on: torch).max(axes: [1]) }
    }

    /// Every fused kernel runs as torch's own (the backend does not decline
    /// it), and agrees with the composite's default built from primitives.
    func testFusedKernelsRunInTorchAndMatchTheirDefaults() throws {
        let torch = try requireTorchBackend()
        let g = RandomGenerator(seed: 3)
        let x = try Tensor.randn([4, 5], dtype: .float64, generator: g, on: torch)
        let w = try Tensor.randn([3, 5], dtype: .float64, generator: g, on: torch)
        let bias = try Tensor.randn([3], dtype: .float64, generator: g, on: torch)
        let p = try Tensor(doubles: g.uniform(count: 20, low: 0.1, high: 0.9), shape: [4, 5], dtype: .float64, on: torch)
        let labels = try Tensor([0, 4, 2, 4] as [Int64], shape: [4], on: torch)
        var cases: [(FusedKernel, [Tensor], OpAttributes, OpDefinition)] = [
            (.linear, [x, w, bias], .none, Ops.linear),
            (.softmax, [x], .axis(1), Ops.softmax),
            (.logSoftmax, [x], .axis(0), Ops.logSoftmax),
            (.mean, [x], .axes([0, 1]), Ops.mean),
        ]
        var convolution = OpAttributes()
        convolution.window = Window(stride: [2, 1], padding: [1], dilation: [1, 2], groups: 2)
        let image = try Tensor.randn([2, 4, 6, 7], dtype: .float64, generator: g, on: torch)
        let kernel = try Tensor.randn([6, 2, 3, 2], dtype: .float64, generator: g, on: torch)
        let kernelBias = try Tensor.randn([6], dtype: .float64, generator: g, on: torch)
        cases.append((.conv2d, [image, kernel, kernelBias], convolution, Ops.conv2d))
        var transposed = OpAttributes()
        transposed.window = Window(stride: [2], padding: [1], outputPadding: [1], groups: 2)
        let upKernel = try Tensor.randn([4, 3, 3, 2], dtype: .float64, generator: g, on: torch)
        cases.append((.convTranspose2d, [image, upKernel, kernelBias], transposed, Ops.convTranspose2d))
        var pool = OpAttributes()
        pool.window = Window(kernel: [3, 2], stride: [2, 1], padding: [1, 0])
        cases.append((.maxPool2d, [image], pool, Ops.maxPool2d))
        cases.append((.avgPool2d, [image], pool, Ops.avgPool2d))
        cases.append((.adaptiveAvgPool2d, [image], .shape([2, 3]), Ops.adaptiveAvgPool2d))
        var eps = OpAttributes()
        eps.epsilon = 1e-3
        let normWeight = try Tensor.randn([7], dtype: .float64, generator: g, on: torch)
        let normBias = try Tensor.randn([7], dtype: .float64, generator: g, on: torch)
        cases.append((.layerNorm, [image, normWeight, normBias], eps, Ops.layerNorm))
        let stats = try Tensor(doubles: [0.1, -0.2, 0.3, 0.0], shape: [4], dtype: .float64, on: torch)
        let variances = try Tensor(doubles: [1.5, 0.5, 2.0, 1.0], shape: [4], dtype: .float64, on: torch)
        let channelWeight = try Tensor.randn([4], dtype: .float64, generator: g, on: torch)
        var training = eps
        training.training = true
        for a in [eps, training] {
            cases.append((.batchNorm, [image, stats, variances, channelWeight, stats], a, Ops.batchNorm))
        }
        var slope = OpAttributes()
        slope.scalar = 0.3
        cases.append((.gelu, [x], .none, Ops.gelu))
        cases.append((.silu, [x], .none, Ops.silu))
        cases.append((.elu, [x], slope, Ops.elu))
        cases.append((.leakyRelu, [x], slope, Ops.leakyRelu))
        cases.append((.softplus, [x], slope, Ops.softplus))
        for reduction in Reduction.allCases {
            cases.append((.crossEntropy, [x, labels], .reduction(reduction), Ops.crossEntropy))
            cases.append((.mse, [x, p], .reduction(reduction), Ops.mse))
            cases.append((.binaryCrossEntropyWithLogits, [x, p], .reduction(reduction), Ops.binaryCrossEntropyWithLogits))
        }
        // The LSTM cell and its gradient: one helper call each (torch's ops, and its autograd for the gradient).
        let gates = try Tensor.randn([3, 8], dtype: .float64, generator: g, on: torch)
        let cell = try Tensor.randn([3, 2], dtype: .float64, generator: g, on: torch)
        let upstream = try Tensor.randn([3, 4], dtype: .float64, generator: g, on: torch)
        cases.append((.lstmCell, [gates, cell], .none, Ops.lstmCell))
        cases.append((.lstmCellBackward, [gates, cell, upstream], .none, Ops.lstmCellBackward))
        // The convolution, max-pool and normalization gradients: one helper call each (torch's autograd).
        func gradient(of op: OpDefinition, _ inputs: [Tensor], _ attributes: OpAttributes) throws -> Tensor {
            var normalized = attributes
            let spec = try op.shapeRule(inputs.map { TensorSpec(of: $0) }, &normalized)
            return try Tensor.randn(spec.shape, dtype: .float64, generator: g, on: torch)
        }
        cases.append((.maxPool2dBackward, [image, try gradient(of: Ops.maxPool2d, [image], pool)], pool,
                      Ops.maxPool2dBackward))
        cases.append((.conv2dWeightBackward,
                      [image, kernel, try gradient(of: Ops.conv2d, [image, kernel, kernelBias], convolution)],
                      convolution, Ops.conv2dWeightBackward))
        let imageUpstream = try Tensor.randn(image.shape, dtype: .float64, generator: g, on: torch)
        cases.append((.layerNormBackward, [image, normWeight, imageUpstream], eps, Ops.layerNormBackward))
        cases.append((.batchNormBackward, [image, channelWeight, imageUpstream], training, Ops.batchNormBackward))
        // Recurrent layers over a sequence (torch.lstm / torch.gru inside), and their backward passes.
        let (steps, batch, features, hidden) = (5, 3, 4, 3)
        func randn(_ dims: [Int]) throws -> Tensor {
            try Tensor.randn(Shape(dims), dtype: .float64, generator: g, on: torch)
        }
        let sequence = try randn([steps, batch, features])
        for (gates, kernel, backward, op, opBackward) in [(4, FusedKernel.lstm, FusedKernel.lstmBackward, Ops.lstm, Ops.lstmBackward),
                                                          (3, .gru, .gruBackward, Ops.gru, Ops.gruBackward)] {
            let (wih, whh) = (try randn([gates * hidden, features]), try randn([gates * hidden, hidden]))
            let (bih, bhh, h0) = (try randn([gates * hidden]), try randn([gates * hidden]), try randn([batch, hidden]))
            let layer = [sequence, wih, whh, bih, bhh, h0] + (gates == 4 ? [try randn([batch, hidden])] : [])
            cases.append((kernel, layer, .none, op))
            let out = try withoutGradients { try Dispatch.apply(op, layer) }
            cases.append((backward, [whh, layer[layer.count - 1], out, try randn(out.shape.dims)], .none, opBackward))
        }
        XCTAssertEqual(Set(cases.map(\.0)), Set(FusedKernel.allCases))
        for (kernel, inputs, attributes, op) in cases {
            var normalized = attributes
            let spec = try op.shapeRule(inputs.map { TensorSpec(of: $0) }, &normalized)
            guard let storage = try torch.fused(kernel, inputs.map(\.operand), normalized) else {
                XCTFail("\(kernel) declined"); continue
            }
            let fused = Tensor(storage: storage, shape: spec.shape, dtype: spec.dtype, backend: torch)
            let composite = try GradMode.withoutGradients { try op.implementation?(inputs, normalized) }
            guard let composite else { XCTFail("\(op.name) has no default"); continue }
            assertClose(try fused.toHost(), try composite.toHost(), absolute: 1e-12, relative: 1e-10, "\(kernel) \(attributes)")
        }
    }
}
