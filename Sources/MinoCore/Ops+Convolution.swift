import Foundation

// conv1d, conv2d and convTranspose2d as im2col and products, their geometry, and the
// weight gradient as an op of its own (conv2dWeightBackward) that a backend may fuse.

// MARK: - Convolution geometry

/// One 2-d convolution (or pooling) as an im2col product: the input
/// `[N C H W]` padded to `[N C Hp Wp]`, its patches gathered into columns
/// `[N g K L]` (`K = C/g·kh·kw` rows per group, `L = Ho·Wo` output positions),
/// and the weight `[O C/g kh kw]` read as `[g O/g K]`.
public struct ConvGeometry: Hashable, Sendable {
    public let batch, channels, height, width: Int
    public let outChannels, groups: Int
    public let kernelHeight, kernelWidth: Int
    public let strideHeight, strideWidth, padHeight, padWidth, dilationHeight, dilationWidth: Int
    public let outHeight, outWidth: Int

    public var paddedHeight: Int { height + 2 * padHeight }
    public var paddedWidth: Int { width + 2 * padWidth }
    /// Rows of one group's columns: `C/g · kh · kw`.
    public var columnRows: Int { channels / groups * kernelHeight * kernelWidth }
    /// Output positions: `Ho · Wo`.
    public var columnCount: Int { outHeight * outWidth }
    public var isPadded: Bool { padHeight > 0 || padWidth > 0 }

    /// Checks and builds the geometry of a convolution of `input` `[N C H W]`
    /// by a kernel `kh × kw` into `outChannels` in `groups`, with `window`'s
    /// stride, padding and dilation (normalized already).
    public init(_ op: String, input: Shape, outChannels: Int, kernel: (Int, Int), groups: Int, window: Window,
                shapes: [Shape]) throws {
        guard input.rank == 4 else {
            throw MinoError.shape(op, shapes, "expected an input [N C H W]")
        }
        let (n, c, h, w) = (input[0], input[1], input[2], input[3])
        let (s, p, d) = (window.stride, window.padding, window.dilation)
        // Every size here comes from the user: checked, never trapping.
        let extentH = try Ops.checkedSum(op, [try Ops.checkedProduct(op, [d[0], kernel.0 - 1]), 1])
        let extentW = try Ops.checkedSum(op, [try Ops.checkedProduct(op, [d[1], kernel.1 - 1]), 1])
        let ph = try Ops.checkedSum(op, [h, p[0], p[0]]), pw = try Ops.checkedSum(op, [w, p[1], p[1]])
        guard kernel.0 >= 1, kernel.1 >= 1, extentH <= ph, extentW <= pw else {
            throw MinoError.shape(op, shapes, "the kernel \(kernel.0)×\(kernel.1) (dilation \(d)) is larger than "
                                  + "the padded input \(ph)×\(pw)")
        }
        batch = n; channels = c; height = h; width = w
        self.outChannels = outChannels
        self.groups = groups
        kernelHeight = kernel.0; kernelWidth = kernel.1
        strideHeight = s[0]; strideWidth = s[1]; padHeight = p[0]; padWidth = p[1]
        dilationHeight = d[0]; dilationWidth = d[1]
        outHeight = (ph - extentH) / s[0] + 1
        outWidth = (pw - extentW) / s[1] + 1
        _ = try Ops.checkedProduct(op, [n, c, ph, pw])
        _ = try Ops.checkedProduct(op, [n, c, kernel.0, kernel.1, outHeight, outWidth])
    }

    /// Positions, in one padded sample flattened to `C·Hp·Wp`, of every column
    /// entry in `[C/g·g, kh, kw, Ho, Wo]` order: channel `c`, kernel offset
    /// `(i, j)` and output `(y, x)` read `c·Hp·Wp + (y·sh + i·dh)·Wp + x·sw + j·dw`.
    public func columnIndices() -> [Int64] {
        let (hp, wp) = (paddedHeight, paddedWidth)
        var out = [Int64](repeating: 0, count: channels * kernelHeight * kernelWidth * columnCount)
        var k = 0
        for c in 0..<channels {
            for i in 0..<kernelHeight {
                for j in 0..<kernelWidth {
                    for y in 0..<outHeight {
                        let row = c * hp * wp + (y * strideHeight + i * dilationHeight) * wp + j * dilationWidth
                        for x in 0..<outWidth {
                            out[k] = Int64(row + x * strideWidth)
                            k += 1
                        }
                    }
                }
            }
        }
        return out
    }

    /// The column positions as an int64 tensor on `backend` (made once per geometry and backend).
    func indexTensor(on backend: any Backend) throws -> Tensor {
        try ConvIndexCache.shared.tensor(self, on: backend)
    }

    /// `x` `[N C H W]` zero-padded to `[N C Hp Wp]`.
    func pad(_ x: Tensor) throws -> Tensor {
        guard isPadded else { return x }
        return try x.sliceScatter(paddingRanges, shape: [batch, channels, paddedHeight, paddedWidth])
    }

    /// The inverse of ``pad(_:)`` (and its adjoint): the interior of `[N C Hp Wp]`.
    func unpad(_ x: Tensor) throws -> Tensor {
        guard isPadded else { return x }
        return try x.slice(ranges: paddingRanges)
    }

    var paddingRanges: [SliceRange] {
        [.all(batch), .all(channels), SliceRange(start: padHeight, end: padHeight + height),
         SliceRange(start: padWidth, end: padWidth + width)]
    }

    /// The columns `[N g K L]` of an already padded input `[N C Hp Wp]`.
    func columns(ofPadded xp: Tensor) throws -> Tensor {
        try xp.reshape([batch, channels * paddedHeight * paddedWidth])
            .indexSelect(axis: 1, indices: indexTensor(on: xp.backend))
            .reshape([batch, groups, columnRows, columnCount])
    }

    /// im2col: the columns `[N g K L]` of `x` `[N C H W]`.
    func columns(_ x: Tensor) throws -> Tensor { try columns(ofPadded: pad(x)) }

    /// col2im, the adjoint of ``columns(_:)``: columns `[N g K L]` summed back into `[N C H W]`.
    func image(_ columns: Tensor) throws -> Tensor {
        let padded = try columns.reshape([batch, groups * columnRows * columnCount])
            .indexAdd(axis: 1, indices: indexTensor(on: columns.backend),
                      shape: [batch, channels * paddedHeight * paddedWidth])
            .reshape([batch, channels, paddedHeight, paddedWidth])
        return try unpad(padded)
    }
}

/// The im2col positions of recent geometries, uploaded once per backend: a
/// training loop calls the same few convolutions every step.
final class ConvIndexCache: @unchecked Sendable {
    static let shared = ConvIndexCache()
    private let lock = NSLock()
    private var entries: [(geometry: ConvGeometry, backend: ObjectIdentifier, tensor: Tensor)] = []
    private let capacity = 32

    func tensor(_ g: ConvGeometry, on backend: any Backend) throws -> Tensor {
        let id = ObjectIdentifier(backend)
        lock.lock()
        if let hit = entries.first(where: { $0.geometry == g && $0.backend == id }) {
            lock.unlock()
            return hit.tensor
        }
        lock.unlock()
        let indices = g.columnIndices()
        let t = try Tensor(HostArray(unchecked: [indices.count], .int64(indices)), on: backend)
        lock.lock()
        entries.append((g, id, t))
        if entries.count > capacity { entries.removeFirst() }
        lock.unlock()
        return t
    }
}

extension Ops {
    /// One or two numbers (PyTorch's `int or tuple`) as `count` numbers; `fallback` when none.
    static func windowValues(_ op: String, _ name: String, _ values: [Int], count: Int, fallback: [Int],
                             minimum: Int) throws -> [Int] {
        let expanded: [Int]
        switch values.count {
        case 0: expanded = fallback
        case 1: expanded = [Int](repeating: values[0], count: count)
        case count: expanded = values
        default: throw MinoError.argument(op, "\(name) must have 1 or \(count) values, got \(values)")
        }
        guard expanded.allSatisfy({ $0 >= minimum }) else {
            throw MinoError.argument(op, "\(name) \(expanded) must be \(minimum == 0 ? "non-negative" : "at least \(minimum)")")
        }
        return expanded
    }

    /// Fills the defaults of a convolution's window (stride 1, padding 0, dilation 1) over `count` axes.
    static func normalizeConvWindow(_ op: String, _ w: inout Window, count: Int) throws {
        let ones = [Int](repeating: 1, count: count), zeros = [Int](repeating: 0, count: count)
        w.stride = try windowValues(op, "stride", w.stride, count: count, fallback: ones, minimum: 1)
        w.padding = try windowValues(op, "padding", w.padding, count: count, fallback: zeros, minimum: 0)
        w.dilation = try windowValues(op, "dilation", w.dilation, count: count, fallback: ones, minimum: 1)
        w.outputPadding = try windowValues(op, "output_padding", w.outputPadding, count: count, fallback: zeros,
                                           minimum: 0)
        guard w.groups >= 1 else { throw MinoError.argument(op, "groups \(w.groups) must be at least 1") }
    }

    /// The geometry of `conv2d(x [N C H W], weight [O C/g kh kw], bias [O])`, checked.
    public static func conv2dGeometry(_ op: String, _ x: Shape, _ weight: Shape, _ bias: Shape,
                               _ window: inout Window) throws -> ConvGeometry {
        let shapes = [x, weight, bias]
        try normalizeConvWindow(op, &window, count: 2)
        guard x.rank == 4, weight.rank == 4 else {
            throw MinoError.shape(op, shapes, "expected input [N C H W] and weight [O C/groups kh kw]")
        }
        let g = window.groups
        guard x[1] % g == 0, weight[0] % g == 0, weight[1] * g == x[1] else {
            throw MinoError.shape(op, shapes, "the input's \(x[1]) channels must equal the weight's \(weight[1]) "
                                  + "per group × \(g) groups, and its \(weight[0]) outputs must divide by \(g)")
        }
        guard bias == Shape([weight[0]]) else {
            throw MinoError.shape(op, shapes, "the bias must be [\(weight[0])]")
        }
        return try ConvGeometry(op, input: x, outChannels: weight[0], kernel: (weight[2], weight[3]),
                                groups: g, window: window, shapes: shapes)
    }

    /// The geometry of `conv_transpose2d(x [N Cin H W], weight [Cin Cout/g kh kw], bias [Cout])`:
    /// the convolution whose input gradient it is, from an input `[N Cout Ho Wo]`.
    public static func convTranspose2dGeometry(_ x: Shape, _ weight: Shape, _ bias: Shape,
                                        _ window: inout Window) throws -> ConvGeometry {
        let op = "convTranspose2d", shapes = [x, weight, bias]
        try normalizeConvWindow(op, &window, count: 2)
        guard x.rank == 4, weight.rank == 4 else {
            throw MinoError.shape(op, shapes, "expected input [N Cin H W] and weight [Cin Cout/groups kh kw]")
        }
        let g = window.groups
        guard x[1] == weight[0], x[1] % g == 0 else {
            throw MinoError.shape(op, shapes, "the input's \(x[1]) channels must equal the weight's first axis "
                                  + "and divide by \(g) groups")
        }
        let outChannels = try checkedProduct(op, [weight[1], g])
        guard bias == Shape([outChannels]) else {
            throw MinoError.shape(op, shapes, "the bias must be [\(outChannels)]")
        }
        let (s, p, d, op2) = (window.stride, window.padding, window.dilation, window.outputPadding)
        for axis in 0..<2 where op2[axis] >= Swift.max(s[axis], d[axis]) {
            throw MinoError.argument(op, "output_padding \(op2) must be smaller than the stride \(s) or the dilation \(d)")
        }
        var size: [Int] = []
        for axis in 0..<2 {
            // (H − 1)·s − 2p + d·(k − 1) + output_padding + 1
            let o = try checkedSum(op, [try checkedProduct(op, [x[2 + axis] - 1, s[axis]]),
                                        -(try checkedProduct(op, [2, p[axis]])),
                                        try checkedProduct(op, [d[axis], weight[2 + axis] - 1]), op2[axis], 1])
            guard o >= 1 else {
                throw MinoError.shape(op, shapes, "the output would be empty (padding \(p) too large)")
            }
            size.append(o)
        }
        let geometry = try ConvGeometry(op, input: [x[0], outChannels, size[0], size[1]], outChannels: x[1],
                                        kernel: (weight[2], weight[3]), groups: g, window: window, shapes: shapes)
        guard geometry.outHeight == x[2], geometry.outWidth == x[3] else {
            throw MinoError.shape(op, shapes, "inconsistent stride, padding and output_padding")
        }
        return geometry
    }

    /// The weight `[O C/g kh kw]` as `[g O/g K]`.
    static func groupedWeight(_ w: Tensor, _ g: ConvGeometry) throws -> Tensor {
        try w.reshape([g.groups, g.outChannels / g.groups, g.columnRows])
    }
}

// MARK: - Convolution

extension Ops {
    public static let conv2d = OpDefinition(
        composite: "conv2d", aliases: ["F.conv2d", "torch.nn.functional.conv2d", "torch.conv2d"],
        summary: "2-d cross-correlation of [N C H W] with weight [O C/groups kh kw] plus bias [O] "
            + "(stride, padding, dilation, groups)",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .convolution, dtypes: .floating),
        torch: TorchCall("F.conv2d", [.input(0), .input(1), .optionalInput(2), .stride, .padding, .dilation, .groups]),
        fusedKernel: .conv2d,
        shapeRule: { specs, a in
            let g = try conv2dGeometry("conv2d", specs[0].shape, specs[1].shape, specs[2].shape, &a.window)
            return TensorSpec([g.batch, g.outChannels, g.outHeight, g.outWidth], specs[0].dtype)
        },
        implementation: { x, a in
            var window = a.window
            let g = try conv2dGeometry("conv2d", x[0].shape, x[1].shape, x[2].shape, &window)
            // [g O/g K] @ [N g K L] → [N g O/g L]
            let out = try groupedWeight(x[1], g).matmul(g.columns(x[0]))
            return try out.reshape([g.batch, g.outChannels, g.outHeight, g.outWidth])
                + x[2].reshape([g.outChannels, 1, 1])
        },
        derivative: { c in
            var window = c.attributes.window
            let (x, w) = (c.inputs[0], c.inputs[1])
            let g = try conv2dGeometry("conv2d", x.shape, w.shape, c.inputs[2].shape, &window)
            // ∂x: col2im(wᵀ · g), which is conv_transpose2d of g by the same weight; ∂w: Σₙ g · columnsᵀ
            // (conv2dWeightBackward); ∂b: Σ g over N, H, W (positions first: two sums over adjacent axes).
            let dx = c.needsGradient[0] ? try inputGradient(of: g, window, c.upstream, w) : nil
            let dw = c.needsGradient[1]
                ? try Dispatch.apply(conv2dWeightBackward, [x, w, c.upstream], c.attributes) : nil
            let db = c.needsGradient[2]
                ? try c.upstream.reshape([g.batch, g.outChannels, g.columnCount]).sum(axes: [2]).sum(axes: [0]) : nil
            return [dx, dw, db]
        })

    private static func conv2dWeightBackwardImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        var window = a.window
        let (input, weight) = (x[0], x[1])
        let g = try conv2dGeometry("conv2dWeightBackward", input.shape, weight.shape, [weight.shape[0]], &window)
        // Σₙ g [N g O/g L] · columnsᵀ [N g L K] → [g O/g K]
        let up = try x[2].reshape([g.batch, g.groups, g.outChannels / g.groups, g.columnCount])
        return try up.matmul(g.columns(input).transposed()).sum(axes: [0]).reshape(weight.shape)
    }

    /// The weight gradient of ``conv2d`` as one op: `[O C/g kh kw]` from the input `[N C H W]`, the
    /// weight (for its shape) and the output's gradient `[N O Ho Wo]`. A backend may run it as one
    /// gemm per block of samples over cached im2col columns.
    public static let conv2dWeightBackward = OpDefinition(
        composite: "conv2dWeightBackward",
        summary: "the weight gradient of conv2d: [O C/groups kh kw] from input [N C H W], weight and ∂output [N O Ho Wo]",
        signature: OpSignature(inputs: [.value, .statistic, .value], attributes: .convolution, dtypes: .floating),
        torch: TorchCall("mino.conv2d_weight_backward", [.input(0), .input(1), .input(2), .stride, .padding, .dilation,
                                                          .groups]),
        fusedKernel: .conv2dWeightBackward,
        shapeRule: { specs, a in
            let shapes = specs.map(\.shape)
            guard shapes[1].rank == 4 else {
                throw MinoError.shape("conv2dWeightBackward", shapes, "expected a weight [O C/groups kh kw]")
            }
            let g = try conv2dGeometry("conv2dWeightBackward", shapes[0], shapes[1], [shapes[1][0]], &a.window)
            let expected = Shape([g.batch, g.outChannels, g.outHeight, g.outWidth])
            guard shapes[2] == expected else {
                throw MinoError.shape("conv2dWeightBackward", shapes, "the output's gradient must be \(expected)")
            }
            return TensorSpec(shapes[1], specs[0].dtype)
        },
        implementation: conv2dWeightBackwardImplementation,
        derivative: { c in
            // Linear in the input and in the gradient; the weight only gives the shape.
            var grads = try recomputed(conv2dWeightBackwardImplementation)(c)
            grads[1] = nil
            return grads
        })

    /// The input gradient of a convolution: `conv_transpose2d(upstream, weight)` with the output
    /// padding that restores the input's `H × W` (`H + 2p − d(k − 1) − 1 − (Ho − 1)s`, below the stride).
    static func inputGradient(of g: ConvGeometry, _ window: Window, _ upstream: Tensor, _ weight: Tensor) throws
        -> Tensor {
        var a = OpAttributes()
        a.window = window
        a.window.outputPadding = [
            g.height + 2 * g.padHeight - g.dilationHeight * (g.kernelHeight - 1) - 1 - (g.outHeight - 1) * g.strideHeight,
            g.width + 2 * g.padWidth - g.dilationWidth * (g.kernelWidth - 1) - 1 - (g.outWidth - 1) * g.strideWidth,
        ]
        let zero = try Tensor.zeros([g.channels], dtype: upstream.dtype, on: upstream.backend)
        return try Dispatch.apply(convTranspose2d, [upstream, weight, zero], a)
    }

    public static let convTranspose2d = OpDefinition(
        composite: "convTranspose2d",
        aliases: ["F.conv_transpose2d", "torch.nn.functional.conv_transpose2d", "torch.conv_transpose2d"],
        summary: "the adjoint of conv2d: [N Cin H W] with weight [Cin Cout/groups kh kw] plus bias [Cout]",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .convolution, dtypes: .floating),
        torch: TorchCall("F.conv_transpose2d", [.input(0), .input(1), .optionalInput(2), .stride, .padding,
                                                  .outputPadding, .groups, .dilation]),
        fusedKernel: .convTranspose2d,
        shapeRule: { specs, a in
            let g = try convTranspose2dGeometry(specs[0].shape, specs[1].shape, specs[2].shape, &a.window)
            return TensorSpec([g.batch, g.channels, g.height, g.width], specs[0].dtype)
        },
        implementation: { x, a in
            var window = a.window
            let g = try convTranspose2dGeometry(x[0].shape, x[1].shape, x[2].shape, &window)
            let x4 = try x[0].reshape([g.batch, g.groups, g.outChannels / g.groups, g.columnCount])
            return try g.image(groupedWeight(x[1], g).transposed().matmul(x4)) + x[2].reshape([g.channels, 1, 1])
        },
        derivative: { c in
            var window = c.attributes.window
            let (x, w) = (c.inputs[0], c.inputs[1])
            let g = try convTranspose2dGeometry(x.shape, w.shape, c.inputs[2].shape, &window)
            // The upstream's columns: the convolution the transpose is the adjoint of.
            let cols = try g.columns(c.upstream)
            let dx = c.needsGradient[0] ? try groupedWeight(w, g).matmul(cols).reshape(x.shape) : nil
            let dw = c.needsGradient[1]
                ? try x.reshape([g.batch, g.groups, g.outChannels / g.groups, g.columnCount])
                    .matmul(cols.transposed()).sum(axes: [0]).reshape(w.shape) : nil
            let db = c.needsGradient[2] ? try c.upstream.sum(axes: [0, 2, 3]) : nil
            return [dx, dw, db]
        })

    /// A 1-d window as the 2-d window of a height-1 image.
    static func window2d(_ w: Window) -> Window {
        Window(kernel: w.kernel.isEmpty ? [] : [1] + w.kernel, stride: [1] + w.stride, padding: [0] + w.padding,
               dilation: [1] + w.dilation, outputPadding: [0] + w.outputPadding, groups: w.groups)
    }

    private static func conv1dImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        var a2 = a
        a2.window = window2d(a.window)
        let (input, w) = (x[0].shape, x[1].shape)
        let y = try Dispatch.apply(conv2d, [x[0].reshape([input[0], input[1], 1, input[2]]),
                                            x[1].reshape([w[0], w[1], 1, w[2]]), x[2]], a2)
        return try y.reshape([y.shape[0], y.shape[1], y.shape[3]])
    }

    public static let conv1d = OpDefinition(
        composite: "conv1d", aliases: ["F.conv1d", "torch.nn.functional.conv1d", "torch.conv1d"],
        summary: "1-d cross-correlation of [N C L] with weight [O C/groups k] plus bias [O]",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .convolution, dtypes: .floating),
        torch: TorchCall("F.conv1d", [.input(0), .input(1), .optionalInput(2), .stride, .padding, .dilation, .groups]),
        shapeRule: { specs, a in
            let (x, w, b) = (specs[0].shape, specs[1].shape, specs[2].shape)
            guard x.rank == 3, w.rank == 3 else {
                throw MinoError.shape("conv1d", [x, w, b], "expected input [N C L] and weight [O C/groups k]")
            }
            try normalizeConvWindow("conv1d", &a.window, count: 1)
            var w2 = window2d(a.window)
            let g = try conv2dGeometry("conv1d", [x[0], x[1], 1, x[2]], [w[0], w[1], 1, w[2]], b, &w2)
            return TensorSpec([g.batch, g.outChannels, g.outWidth], specs[0].dtype)
        },
        implementation: conv1dImplementation,
        derivative: recomputed(conv1dImplementation))
}
