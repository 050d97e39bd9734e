import Foundation

// Max, average and adaptive average pooling over [N C H W] windows, and max pooling's
// gradient as an op of its own (maxPool2dBackward) that a backend may fuse.

// MARK: - Pooling

extension Ops {
    /// The geometry of a pooling window over `[N C H W]`: one group per channel.
    public static func poolGeometry(_ op: String, _ x: Shape, _ w: inout Window) throws -> ConvGeometry {
        guard !w.kernel.isEmpty else { throw MinoError.argument(op, "needs a kernel_size") }
        w.kernel = try windowValues(op, "kernel_size", w.kernel, count: 2, fallback: [], minimum: 1)
        w.stride = try windowValues(op, "stride", w.stride, count: 2, fallback: w.kernel, minimum: 1)
        w.padding = try windowValues(op, "padding", w.padding, count: 2, fallback: [0, 0], minimum: 0)
        w.dilation = [1, 1]
        guard x.rank == 4 else { throw MinoError.shape(op, [x], "expected an input [N C H W]") }
        for axis in 0..<2 where w.padding[axis] > w.kernel[axis] / 2 {
            throw MinoError.argument(op, "padding \(w.padding) must be at most half the kernel \(w.kernel)")
        }
        return try ConvGeometry(op, input: x, outChannels: x[1], kernel: (w.kernel[0], w.kernel[1]),
                                groups: Swift.max(x[1], 1), window: w, shapes: [x])
    }

    static func poolRule(_ op: String) -> ([TensorSpec], inout OpAttributes) throws -> TensorSpec {
        { specs, a in
            let g = try poolGeometry(op, specs[0].shape, &a.window)
            return TensorSpec([g.batch, g.channels, g.outHeight, g.outWidth], specs[0].dtype)
        }
    }

    /// The max-pool columns `[N C kh·kw L]`, padding read as −∞ (never the maximum).
    static func maxPoolColumns(_ x: Tensor, _ g: ConvGeometry) throws -> Tensor {
        guard g.isPadded else { return try g.columns(x) }
        let inside = try g.pad(Tensor.ones(x.shape, dtype: x.dtype, on: x.backend))
        return try g.columns(ofPadded: Tensor.where(inside, g.pad(x), x.scalarLike(-.infinity)))
    }

    public static let maxPool2d = OpDefinition(
        composite: "maxPool2d", aliases: ["F.max_pool2d", "torch.nn.functional.max_pool2d", "torch.max_pool2d"],
        summary: "the largest value of each kernel_size window of [N C H W] (stride, padding)",
        signature: OpSignature(inputs: [.value], attributes: .pooling, dtypes: .floating, domain: .separated),
        torch: TorchCall("F.max_pool2d", [.input(0), .kernelSize, .stride, .padding]),
        fusedKernel: .maxPool2d,
        shapeRule: poolRule("maxPool2d"),
        implementation: { x, a in
            var w = a.window
            let g = try poolGeometry("maxPool2d", x[0].shape, &w)
            return try maxPoolColumns(x[0], g).max(axes: [2]).reshape([g.batch, g.channels, g.outHeight, g.outWidth])
        },
        derivative: { c in
            [try Dispatch.apply(maxPool2dBackward, [c.inputs[0], c.upstream], c.attributes)]
        })

    private static func maxPool2dBackwardImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        // Each window's gradient goes to its first maximum (PyTorch's rule).
        var w = a.window
        let g = try poolGeometry("maxPool2dBackward", x[0].shape, &w)
        let cols = try maxPoolColumns(x[0], g)
        let first = try cols.argmax(axis: 2, keepDims: true)
        let up = try x[1].reshape([g.batch, g.channels, 1, g.columnCount])
        return try g.image(up.scatterAdd(axis: 2, indices: first, shape: cols.shape))
    }

    /// The gradient of ``maxPool2d`` as one op: `[N C H W]` from the input and the gradient of the
    /// output `[N C Ho Wo]`, each window's gradient at its first maximum. A backend may run it as one pass.
    public static let maxPool2dBackward = OpDefinition(
        composite: "maxPool2dBackward",
        summary: "the gradient of maxPool2d: [N C H W] from the input and ∂output [N C Ho Wo] (first maximum)",
        signature: OpSignature(inputs: [.value, .value], attributes: .pooling, dtypes: .floating, domain: .separated),
        torch: TorchCall("mino.max_pool2d_backward", [.input(0), .input(1), .kernelSize, .stride, .padding]),
        fusedKernel: .maxPool2dBackward,
        shapeRule: { specs, a in
            let g = try poolGeometry("maxPool2dBackward", specs[0].shape, &a.window)
            let expected = Shape([g.batch, g.channels, g.outHeight, g.outWidth])
            guard specs[1].shape == expected else {
                throw MinoError.shape("maxPool2dBackward", [specs[0].shape, specs[1].shape],
                                      "the output's gradient must be \(expected)")
            }
            return specs[0]
        },
        implementation: maxPool2dBackwardImplementation,
        derivative: recomputed(maxPool2dBackwardImplementation))

    public static let avgPool2d = OpDefinition(
        composite: "avgPool2d", aliases: ["F.avg_pool2d", "torch.nn.functional.avg_pool2d", "torch.avg_pool2d"],
        summary: "the mean of each kernel_size window of [N C H W], zero padding counted (PyTorch's default)",
        signature: OpSignature(inputs: [.value], attributes: .pooling, dtypes: .floating),
        torch: TorchCall("F.avg_pool2d", [.input(0), .kernelSize, .stride, .padding]),
        fusedKernel: .avgPool2d,
        shapeRule: poolRule("avgPool2d"),
        implementation: { x, a in
            var w = a.window
            let g = try poolGeometry("avgPool2d", x[0].shape, &w)
            return try g.columns(x[0]).mean(axes: [2]).reshape([g.batch, g.channels, g.outHeight, g.outWidth])
        },
        derivative: { c in
            var w = c.attributes.window
            let g = try poolGeometry("avgPool2d", c.inputs[0].shape, &w)
            let k = g.kernelHeight * g.kernelWidth
            let up = try c.upstream.reshape([g.batch, g.channels, 1, g.columnCount]) * (1 / Double(k))
            return [try g.image(up.expand([g.batch, g.channels, k, g.columnCount]))]
        })

    /// PyTorch's adaptive windows as an averaging matrix `[out in]`: row `i`
    /// averages `⌊i·in/out⌋ ..< ⌈(i+1)·in/out⌉`.
    static func adaptiveMatrix(_ input: Int, _ output: Int, dtype: DType, on backend: any Backend) throws -> Tensor {
        var m = [Double](repeating: 0, count: output * input)
        for i in 0..<output {
            let start = i * input / output
            let end = ((i + 1) * input + output - 1) / output
            for j in start..<end { m[i * input + j] = 1 / Double(end - start) }
        }
        return try Tensor(doubles: m, shape: [output, input], dtype: dtype, on: backend)
    }

    public static let adaptiveAvgPool2d = OpDefinition(
        composite: "adaptiveAvgPool2d",
        aliases: ["F.adaptive_avg_pool2d", "torch.nn.functional.adaptive_avg_pool2d"],
        summary: "averages of [… H W] over the windows that give output_size [Ho Wo]",
        signature: OpSignature(inputs: [.value], attributes: .outputSize, dtypes: .floating),
        torch: TorchCall("F.adaptive_avg_pool2d", [.input(0), .shape]),
        fusedKernel: .adaptiveAvgPool2d,
        shapeRule: { specs, a in
            let x = specs[0].shape
            guard x.rank == 3 || x.rank == 4 else {
                throw MinoError.shape("adaptiveAvgPool2d", [x], "expected an input [N C H W] or [C H W]")
            }
            var size = a.shape.dims
            if size.count == 1 { size = [size[0], size[0]] }
            guard size.count == 2, size.allSatisfy({ $0 >= 1 }) else {
                throw MinoError.argument("adaptiveAvgPool2d", "output_size \(a.shape) must be one or two positive sizes")
            }
            // The averaging matrices hold output × input entries each.
            _ = try checkedProduct("adaptiveAvgPool2d", Array(x.dims.dropLast(2)) + size)
            _ = try checkedProduct("adaptiveAvgPool2d", [size[0], x[x.rank - 2]])
            _ = try checkedProduct("adaptiveAvgPool2d", [size[1], x[x.rank - 1]])
            a.shape = Shape(size)
            return TensorSpec(Shape(x.dims.dropLast(2) + size), specs[0].dtype)
        },
        implementation: { x, a in
            let (h, w) = (x[0].shape[x[0].rank - 2], x[0].shape[x[0].rank - 1])
            let rows = try adaptiveMatrix(h, a.shape[0], dtype: x[0].dtype, on: x[0].backend)
            let cols = try adaptiveMatrix(w, a.shape[1], dtype: x[0].dtype, on: x[0].backend)
            return try rows.matmul(x[0]).matmul(cols.transposed())
        },
        derivative: { c in
            let x = c.inputs[0]
            let (h, w) = (x.shape[x.rank - 2], x.shape[x.rank - 1])
            let rows = try adaptiveMatrix(h, c.attributes.shape[0], dtype: x.dtype, on: x.backend)
            let cols = try adaptiveMatrix(w, c.attributes.shape[1], dtype: x.dtype, on: x.backend)
            return [try rows.transposed().matmul(c.upstream).matmul(cols)]
        })
}
