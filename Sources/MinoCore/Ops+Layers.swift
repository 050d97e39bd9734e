import Foundation

// Layers for real models: activations, convolution, pooling, flattening,
// embedding, normalization and the negative log-likelihood, each a composite
// with PyTorch's semantics, built from primitives (a backend may fuse some).

// MARK: - Derivatives by recomputation

extension Ops {
    /// The derivative of a composite whose implementation is built from
    /// differentiable registered ops: runs the implementation again on fresh
    /// leaves with recording on, and takes their gradients from `upstream`.
    /// The gradient is therefore the chain rule over those ops' own derivatives.
    static func recomputed(_ implementation: @escaping ([Tensor], OpAttributes) throws -> Tensor)
        -> (DerivativeContext) throws -> [Tensor?] {
        { c in
            try GradMode.withGradients {
                let leaves: [Tensor] = c.inputs.enumerated().map { i, t in
                    let leaf = t.detached()
                    leaf.requiresGrad = c.needsGradient[i] && t.dtype.isFloatingPoint
                    return leaf
                }
                let out = try implementation(leaves, c.attributes)
                guard out.requiresGrad else { return leaves.map { _ in nil } }
                try Graph(root: out).backward(seed: c.upstream)
                return leaves.map { $0.requiresGrad ? $0.grad : nil }
            }
        }
    }

    /// `a + b + …`, throwing (naming `op`) instead of overflowing.
    static func checkedSum(_ op: String, _ terms: [Int]) throws -> Int {
        var total = 0
        for t in terms {
            let (r, overflow) = total.addingReportingOverflow(t)
            guard !overflow else { throw MinoError.argument(op, "sizes \(terms) overflow") }
            total = r
        }
        return total
    }

    /// `a · b · …`, throwing (naming `op`) instead of overflowing.
    static func checkedProduct(_ op: String, _ factors: [Int]) throws -> Int {
        var p = 1
        for f in factors {
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            guard !overflow else { throw MinoError.argument(op, "sizes \(factors) overflow") }
            p = r
        }
        return p
    }
}

// MARK: - Activations

extension Ops {
    private static func activation(_ name: String, aliases: [String], fused: FusedKernel, torch: TorchCall, summary: String,
                                   attributes: AttributeSchema = .none, domain: ValueDomain = .any,
                                   implementation: @escaping (Tensor, Double) throws -> Tensor,
                                   slope: @escaping (Tensor, Tensor, Double) throws -> Tensor) -> OpDefinition {
        OpDefinition(
            composite: name, aliases: aliases, summary: summary,
            signature: OpSignature(inputs: [.value], attributes: attributes, dtypes: .floating, domain: domain),
            torch: torch, fusedKernel: fused,
            shapeRule: ShapeRules.same,
            implementation: { x, a in try implementation(x[0], a.scalar) },
            derivative: { c in [try c.upstream * slope(c.inputs[0], c.output, c.attributes.scalar)] })
    }

    public static let leakyRelu = activation(
        "leakyRelu", aliases: ["F.leaky_relu", "torch.nn.functional.leaky_relu", "leaky_relu"],
        fused: .leakyRelu, torch: TorchCall("F.leaky_relu", [.input(0), .scalar]),
        summary: "x where x > 0, else negative_slope · x", attributes: .scalar("negative_slope", 0.01),
        domain: .separated,
        implementation: { x, slope in try Tensor.where(x > 0, x, x * slope) },
        slope: { x, _, slope in try Tensor.where(x > 0, x.scalarLike(1), x.scalarLike(slope)) })

    public static let elu = activation(
        "elu", aliases: ["F.elu", "torch.nn.functional.elu"],
        fused: .elu, torch: TorchCall("F.elu", [.input(0), .scalar]),
        summary: "x where x > 0, else α(eˣ − 1)", attributes: .scalar("alpha", 1), domain: .separated,
        implementation: { x, alpha in try Tensor.where(x > 0, x, (x.exp() - 1) * alpha) },
        slope: { x, _, alpha in try Tensor.where(x > 0, x.scalarLike(1), x.exp() * alpha) })

    /// PyTorch's threshold: above `beta·x > 20` softplus is `x` itself.
    static let softplusThreshold = 20.0

    public static let softplus = activation(
        "softplus", aliases: ["F.softplus", "torch.nn.functional.softplus"],
        fused: .softplus, torch: TorchCall("F.softplus", [.input(0), .scalar]),
        summary: "log(1 + e^(βx)) / β, and x where βx > 20", attributes: .scalar("beta", 1),
        implementation: { x, beta in
            let bx = try x * beta
            return try Tensor.where(bx > softplusThreshold, x, (bx.exp() + 1).log() * (1 / beta))
        },
        slope: { x, _, beta in
            // d/dx log(1 + e^(βx))/β = σ(βx)
            let bx = try x * beta
            return try Tensor.where(bx > softplusThreshold, x.scalarLike(1), bx.sigmoid())
        })

    public static let silu = activation(
        "silu", aliases: ["F.silu", "torch.nn.functional.silu", "swish"], fused: .silu, torch: .unary("F.silu"),
        summary: "x · σ(x)",
        implementation: { x, _ in try x * x.sigmoid() },
        slope: { x, _, _ in
            // (xσ)' = σ + xσ(1 − σ)
            let s = try x.sigmoid()
            return try s + x * s * (1 - s)
        })

    public static let gelu = activation(
        "gelu", aliases: ["F.gelu", "torch.nn.functional.gelu"], fused: .gelu, torch: .unary("F.gelu"),
        summary: "x · Φ(x), Φ the normal CDF (exact, erf)",
        implementation: { x, _ in try x * ((x * (1 / 2.0.squareRoot())).erf() + 1) * 0.5 },
        slope: { x, _, _ in
            // (xΦ)' = Φ(x) + x·φ(x), φ(x) = e^(−x²/2) / √(2π)
            let cdf = try ((x * (1 / 2.0.squareRoot())).erf() + 1) * 0.5
            let pdf = try (x * x * -0.5).exp() * (1 / (2 * Double.pi).squareRoot())
            return try cdf + x * pdf
        })

    public static let nllLoss = OpDefinition(
        composite: "nllLoss", aliases: ["F.nll_loss", "torch.nn.functional.nll_loss", "nll_loss"],
        summary: "−input[n, label[n]] of log-probabilities [N C] against int64 labels [N], reduced",
        signature: OpSignature(inputs: [.value, .index(.labels)], attributes: .reduction, dtypes: .floating),
        torch: TorchCall("F.nll_loss", [.input(0), .input(1)], keywords: [TorchKeyword("reduction", .reduction)]),
        shapeRule: { specs, a in
            let (input, labels) = (specs[0].shape, specs[1].shape)
            guard input.rank == 2, labels.rank == 1, labels[0] == input[0] else {
                throw MinoError.shape("nllLoss", [input, labels], "expected input [N C] and labels [N]")
            }
            return TensorSpec(a.reduction == .none ? labels : .scalar, specs[0].dtype)
        },
        implementation: { x, a in
            let n = x[0].shape[0]
            let picked = try x[0].gather(axis: 1, indices: x[1].reshape([n, 1]))
            return try reduce(picked.reshape([n]).neg(), a.reduction)
        },
        derivative: { c in
            // ∂/∂input[n, label[n]] = −g[n]; zero elsewhere.
            let (input, labels) = (c.inputs[0], c.inputs[1])
            let n = input.shape[0]
            let g = try lossUpstream(c.upstream, c.attributes.reduction, [n]).reshape([n, 1]).neg()
            return [try g.scatterAdd(axis: 1, indices: labels.reshape([n, 1]), shape: input.shape), nil]
        })
}

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

// MARK: - Flatten, embedding, normalization

extension Ops {
    public static let flatten = OpDefinition(
        composite: "flatten", aliases: ["torch.flatten"],
        summary: "axes start_dim … end_dim (inclusive) merged into one",
        signature: OpSignature(inputs: [.value], attributes: .axisRange),
        torch: TorchCall("torch.flatten", [.input(0), .axesElement(0), .axesElement(1)]),
        shapeRule: { specs, a in
            let x = specs[0].shape
            guard a.axes.count == 2 else {
                throw MinoError.argument("flatten", "needs start_dim and end_dim, got \(a.axes)")
            }
            if x.rank == 0 {
                // torch.flatten of a scalar is a vector of one element.
                guard a.axes.allSatisfy({ $0 == 0 || $0 == -1 }) else {
                    throw MinoError.argument("flatten", "dimension out of range for a scalar: \(a.axes)")
                }
                a.axes = [0, 0]
                return TensorSpec([1], specs[0].dtype)
            }
            let start = try x.normalizedAxis(a.axes[0], op: "flatten")
            let end = try x.normalizedAxis(a.axes[1], op: "flatten")
            guard start <= end else {
                throw MinoError.argument("flatten", "start_dim \(a.axes[0]) comes after end_dim \(a.axes[1]) for \(x)")
            }
            a.axes = [start, end]
            let merged = try checkedProduct("flatten", Array(x.dims[start...end]))
            return TensorSpec(Shape(Array(x.dims[..<start]) + [merged] + Array(x.dims[(end + 1)...])), specs[0].dtype)
        },
        implementation: { x, a in
            if x[0].rank == 0 { return try x[0].reshape([1]) }
            let d = x[0].shape.dims, (s, e) = (a.axes[0], a.axes[1])
            return try x[0].reshape(Shape(Array(d[..<s]) + [d[s...e].reduce(1, *)] + Array(d[(e + 1)...])))
        },
        derivative: { c in [try c.upstream.reshape(c.inputs[0].shape)] })

    public static let embedding = OpDefinition(
        composite: "embedding", aliases: ["F.embedding", "torch.nn.functional.embedding"],
        summary: "rows of weight [V D] at int64 ids of any shape; padding_idx's row gets no gradient",
        signature: OpSignature(inputs: [.index(.rows), .value], attributes: .paddingIndex, dtypes: .floating),
        torch: TorchCall("F.embedding", [.input(0), .input(1), .index]),
        shapeRule: { specs, a in
            let (ids, weight) = (specs[0].shape, specs[1].shape)
            guard weight.rank == 2 else {
                throw MinoError.shape("embedding", [ids, weight], "expected ids of any shape and weight [V D]")
            }
            if let p = a.index {
                guard p >= -weight[0], p < weight[0] else {
                    throw MinoError.argument("embedding", "padding_idx \(p) is outside the \(weight[0]) rows of \(weight)")
                }
                a.index = p < 0 ? p + weight[0] : p
            }
            return TensorSpec(Shape(ids.dims + [weight[1]]), specs[1].dtype)
        },
        implementation: { x, _ in
            let (ids, weight) = (x[0], x[1])
            return try weight.indexSelect(axis: 0, indices: ids.reshape([-1]))
                .reshape(Shape(ids.shape.dims + [weight.shape[1]]))
        },
        derivative: { c in
            let (ids, weight) = (c.inputs[0], c.inputs[1])
            let (v, d) = (weight.shape[0], weight.shape[1])
            var dw = try c.upstream.reshape([-1, d]).indexAdd(axis: 0, indices: ids.reshape([-1]), shape: weight.shape)
            if let p = c.attributes.index {
                var keep = [Double](repeating: 1, count: v)
                keep[p] = 0
                dw = try dw * Tensor(doubles: keep, shape: [v, 1], dtype: weight.dtype, on: weight.backend)
            }
            return [nil, dw]
        })

    private static func layerNormImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        let (input, weight, bias) = (x[0], x[1], x[2])
        let axes = Array((input.rank - weight.rank)..<input.rank)
        let centered = try input - input.mean(axes: axes, keepDims: true)
        // The biased variance, as PyTorch normalizes with.
        let variance = try (centered * centered).mean(axes: axes, keepDims: true)
        return try centered / (variance + a.epsilon).sqrt() * weight + bias
    }

    public static let layerNorm = OpDefinition(
        composite: "layerNorm", aliases: ["F.layer_norm", "torch.nn.functional.layer_norm", "layer_norm"],
        summary: "(x − mean) / √(var + ε) · weight + bias over the trailing axes of weight's shape",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .normalization, dtypes: .floating),
        torch: TorchCall("F.layer_norm", [.input(0), .inputShape(1), .optionalInput(1), .optionalInput(2), .epsilon]),
        fusedKernel: .layerNorm,
        shapeRule: { specs, a in
            let (x, w, b) = (specs[0].shape, specs[1].shape, specs[2].shape)
            guard w.rank >= 1, w.rank <= x.rank, Array(x.dims.suffix(w.rank)) == w.dims, b == w else {
                throw MinoError.shape("layerNorm", [x, w, b],
                                      "weight and bias must both have the normalized shape, the input's trailing axes")
            }
            guard a.epsilon >= 0 else { throw MinoError.argument("layerNorm", "eps \(a.epsilon) is negative") }
            return specs[0]
        },
        implementation: layerNormImplementation,
        derivative: { c in
            let (x, weight, up) = (c.inputs[0], c.inputs[1], c.upstream)
            let dx = c.needsGradient[0]
                ? try Dispatch.apply(layerNormBackward, [x, weight, up], c.attributes) : nil
            guard c.needsGradient[1] || c.needsGradient[2] else { return [dx, nil, nil] }
            // ∂weight = Σ rows up·x̂, ∂bias = Σ rows up.
            let rows = Array(0..<(x.rank - weight.rank))
            let xhat = try normalized(x, axes: Array((x.rank - weight.rank)..<x.rank), c.attributes.epsilon).xhat
            return [dx, c.needsGradient[1] ? try (up * xhat).sum(axes: rows) : nil,
                    c.needsGradient[2] ? try up.sum(axes: rows) : nil]
        })

    /// `x̂ = (x − mean) / √(var + ε)` over `axes` (biased variance), and `1 / √(var + ε)`, both kept
    /// broadcastable to `x`.
    static func normalized(_ x: Tensor, axes: [Int], _ epsilon: Double) throws -> (xhat: Tensor, rstd: Tensor) {
        let centered = try x - x.mean(axes: axes, keepDims: true)
        let rstd = try 1 / ((centered * centered).mean(axes: axes, keepDims: true) + epsilon).sqrt()
        return (try centered * rstd, rstd)
    }

    /// The input gradient of a normalization over `axes` scaled by `weight` (broadcast to `x`):
    /// `rstd · (g − mean(g) − x̂ · mean(g · x̂))` with `g = upstream · weight`.
    static func normalizationInputGradient(_ x: Tensor, _ weight: Tensor, _ upstream: Tensor, axes: [Int],
                                           _ epsilon: Double) throws -> Tensor {
        let (xhat, rstd) = try normalized(x, axes: axes, epsilon)
        let g = try upstream * weight
        return try rstd * (g - g.mean(axes: axes, keepDims: true) - xhat * (g * xhat).mean(axes: axes, keepDims: true))
    }

    private static func layerNormBackwardImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        let (input, weight) = (x[0], x[1])
        return try normalizationInputGradient(input, weight, x[2], axes: Array((input.rank - weight.rank)..<input.rank),
                                              a.epsilon)
    }

    /// The input gradient of ``layerNorm`` as one op: `∂x` from the input, the weight and the
    /// output's gradient. A backend may run it as one pass per row.
    public static let layerNormBackward = OpDefinition(
        composite: "layerNormBackward",
        summary: "the input gradient of layerNorm: ∂x from input, weight (the normalized shape) and ∂output",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .normalization, dtypes: .floating),
        torch: TorchCall("mino.layer_norm_backward", [.input(0), .input(1), .input(2), .epsilon]),
        fusedKernel: .layerNormBackward,
        shapeRule: { specs, a in
            let (x, w, up) = (specs[0].shape, specs[1].shape, specs[2].shape)
            guard w.rank >= 1, w.rank <= x.rank, Array(x.dims.suffix(w.rank)) == w.dims, up == x else {
                throw MinoError.shape("layerNormBackward", [x, w, up],
                                      "the weight must have the input's trailing axes and the output's gradient its shape")
            }
            guard a.epsilon >= 0 else { throw MinoError.argument("layerNormBackward", "eps \(a.epsilon) is negative") }
            return specs[0]
        },
        implementation: layerNormBackwardImplementation,
        derivative: recomputed(layerNormBackwardImplementation))
}

extension Ops {
    private static func batchNormImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        let input = x[0]
        let broadcast = Shape([input.shape[1]] + [Int](repeating: 1, count: input.rank - 2))
        let (mean, variance) = a.training ? try batchStatistics(input) : (x[1], x[2])
        let scale = try x[3] / (variance + a.epsilon).sqrt()
        return try (input - mean.reshape(broadcast)) * scale.reshape(broadcast) + x[4].reshape(broadcast)
    }

    /// The per-channel mean and biased variance of `[N C …]` over every axis but 1.
    static func batchStatistics(_ x: Tensor) throws -> (mean: Tensor, variance: Tensor) {
        let axes = [0] + Array(2..<x.rank)
        let mean = try x.mean(axes: axes)
        let centered = try x - mean.reshape(Shape([x.shape[1]] + [Int](repeating: 1, count: x.rank - 2)))
        return (mean, try (centered * centered).mean(axes: axes))
    }

    public static let batchNorm = OpDefinition(
        composite: "batchNorm", aliases: ["F.batch_norm", "torch.nn.functional.batch_norm", "batch_norm"],
        summary: "(x − mean) / √(var + ε) · weight + bias per channel of [N C …]: the batch's statistics "
            + "when training, else the running ones (which get no gradient)",
        signature: OpSignature(inputs: [.value, .statistic, .statistic, .value, .value], attributes: .normalization,
                               dtypes: .floating, domain: .positive),
        torch: TorchCall("mino.batch_norm", [.input(0), .input(1), .input(2), .input(3), .input(4), .training,
                                                .epsilon]),
        fusedKernel: .batchNorm,
        shapeRule: { specs, a in
            let shapes = specs.map(\.shape)
            let x = shapes[0]
            guard x.rank >= 2, shapes.dropFirst().allSatisfy({ $0 == Shape([x[1]]) }) else {
                throw MinoError.shape("batchNorm", shapes,
                                      "expected input [N C …] and running mean, running var, weight and bias [C]")
            }
            // PyTorch: eps may be 0 in evaluation, never when training (batch variances can be 0).
            guard a.epsilon > 0 || (!a.training && a.epsilon == 0) else {
                throw MinoError.argument("batchNorm", "eps \(a.epsilon) must be positive"
                                         + (a.training ? " when training" : " or 0"))
            }
            if a.training, x.elementCount / Swift.max(x[1], 1) <= 1 {
                throw MinoError.shape("batchNorm", shapes, "expected more than 1 value per channel when training")
            }
            return specs[0]
        },
        implementation: batchNormImplementation,
        derivative: { c in
            // The running statistics are buffers: no gradient, as in PyTorch.
            guard c.attributes.training else {
                var grads = try recomputed(batchNormImplementation)(c)
                grads[1] = nil
                grads[2] = nil
                return grads
            }
            // Training: ∂x by batchNormBackward; ∂weight = Σ up·x̂, ∂bias = Σ up over every axis but 1.
            let (x, weight, up) = (c.inputs[0], c.inputs[3], c.upstream)
            let dx = c.needsGradient[0]
                ? try Dispatch.apply(batchNormBackward, [x, weight, up], c.attributes) : nil
            guard c.needsGradient[3] || c.needsGradient[4] else { return [dx, nil, nil, nil, nil] }
            let axes = [0] + Array(2..<x.rank)
            let xhat = try normalized(x, axes: axes, c.attributes.epsilon).xhat
            return [dx, nil, nil, c.needsGradient[3] ? try (up * xhat).sum(axes: axes) : nil,
                    c.needsGradient[4] ? try up.sum(axes: axes) : nil]
        })

    private static func batchNormBackwardImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        let input = x[0]
        let broadcast = Shape([input.shape[1]] + [Int](repeating: 1, count: input.rank - 2))
        return try normalizationInputGradient(input, x[1].reshape(broadcast), x[2], axes: [0] + Array(2..<input.rank),
                                              a.epsilon)
    }

    /// The input gradient of ``batchNorm`` in training (batch statistics) as one op: `∂x` from the
    /// input `[N C …]`, the weight `[C]` and the output's gradient. A backend may run it as one pass
    /// per channel.
    public static let batchNormBackward = OpDefinition(
        composite: "batchNormBackward",
        summary: "the input gradient of batchNorm in training: ∂x from input [N C …], weight [C] and ∂output",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .normalization, dtypes: .floating),
        torch: TorchCall("mino.batch_norm_backward", [.input(0), .input(1), .input(2), .epsilon]),
        fusedKernel: .batchNormBackward,
        shapeRule: { specs, a in
            let (x, w, up) = (specs[0].shape, specs[1].shape, specs[2].shape)
            guard x.rank >= 2, w == Shape([x[1]]), up == x else {
                throw MinoError.shape("batchNormBackward", [x, w, up],
                                      "expected input [N C …], weight [C] and the output's gradient of the input's shape")
            }
            guard a.epsilon > 0 else { throw MinoError.argument("batchNormBackward", "eps \(a.epsilon) must be positive") }
            if x.elementCount / Swift.max(x[1], 1) <= 1 {
                throw MinoError.shape("batchNormBackward", [x, w, up], "expected more than 1 value per channel")
            }
            return specs[0]
        },
        implementation: batchNormBackwardImplementation,
        derivative: recomputed(batchNormBackwardImplementation))
}

// MARK: - The LSTM cell

extension Ops {
    /// The gates `i, f, g, o` of pre-activations `[N 4H]`, activated.
    static func lstmGates(_ a: Tensor) throws -> (i: Tensor, f: Tensor, g: Tensor, o: Tensor) {
        let h = a.shape[1] / 4
        func part(_ k: Int) throws -> Tensor { try a.narrow(axis: 1, start: k * h, length: h) }
        return (try part(0).sigmoid(), try part(1).sigmoid(), try part(2).tanh(), try part(3).sigmoid())
    }

    static func lstmCellRule(_ op: String, extra: Int) -> ([TensorSpec], inout OpAttributes) throws -> TensorSpec {
        { specs, _ in
            let shapes = specs.map(\.shape)
            let (a, c) = (shapes[0], shapes[1])
            guard a.rank == 2, c.rank == 2, a[0] == c[0], a[1] == 4 * c[1],
                  extra == 0 || shapes[2] == Shape([c[0], 2 * c[1]]) else {
                throw MinoError.shape(op, shapes, "expected gate pre-activations [N 4H] and a cell state [N H]"
                                      + (extra == 0 ? "" : " and the gradient of [h c] [N 2H]"))
            }
            return TensorSpec([c[0], (extra == 0 ? 2 : 5) * c[1]], specs[0].dtype)
        }
    }

    private static func lstmCellBackwardImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        let (pre, c, up) = (x[0], x[1], x[2])
        let h = c.shape[1]
        let (i, f, g, o) = try lstmGates(pre)
        let tc = try (f * c + i * g).tanh()
        let dh = try up.narrow(axis: 1, start: 0, length: h), dc = try up.narrow(axis: 1, start: h, length: h)
        // dc' = dc + dh·o·(1 − tanh²c'); then each gate through its own activation.
        let total = try dc + dh * o * (1 - tc * tc)
        return try Tensor.concat([total * g * i * (1 - i), total * c * f * (1 - f), total * i * (1 - g * g),
                                  dh * tc * o * (1 - o), total * f], axis: 1)
    }

    /// The gradient of ``lstmCell`` as one op: `[∂gates ∂c]` `[N 5H]` from the gates' pre-activations,
    /// the cell state and the gradient of `[h' c']`. A backend may run it as one pass.
    public static let lstmCellBackward = OpDefinition(
        composite: "lstmCellBackward", summary: "the gradient of lstmCell: [∂gates ∂c] from gates [N 4H], c [N H], ∂[h c] [N 2H]",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .recurrentCell, dtypes: .floating),
        torch: TorchCall("mino.lstm_cell_backward", [.input(0), .input(1), .input(2)]),
        fusedKernel: .lstmCellBackward,
        shapeRule: lstmCellRule("lstmCellBackward", extra: 1),
        implementation: lstmCellBackwardImplementation,
        derivative: recomputed(lstmCellBackwardImplementation))

    /// One LSTM step in PyTorch's gate order: `[h' c']` `[N 2H]` from gate pre-activations
    /// `[N 4H]` (`x W_ihᵀ + b_ih + h W_hhᵀ + b_hh`) and the cell state `c` `[N H]`:
    /// `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')`.
    public static let lstmCell = OpDefinition(
        composite: "lstmCell", summary: "one LSTM step: [h' c'] from gate pre-activations [N 4H] (i f g o) and c [N H]",
        signature: OpSignature(inputs: [.value, .value], attributes: .recurrentCell, dtypes: .floating),
        torch: TorchCall("mino.lstm_cell", [.input(0), .input(1)]),
        fusedKernel: .lstmCell,
        shapeRule: lstmCellRule("lstmCell", extra: 0),
        implementation: { x, _ in
            let (i, f, g, o) = try lstmGates(x[0])
            let c = try f * x[1] + i * g
            return try Tensor.concat([o * c.tanh(), c], axis: 1)
        },
        derivative: { c in
            let grads = try Dispatch.apply(lstmCellBackward, [c.inputs[0], c.inputs[1], c.upstream])
            let h = c.inputs[1].shape[1]
            return [c.needsGradient[0] ? try grads.narrow(axis: 1, start: 0, length: 4 * h) : nil,
                    c.needsGradient[1] ? try grads.narrow(axis: 1, start: 4 * h, length: h) : nil]
        })
}

// MARK: - The Swift API

extension Tensor {
    public func leakyRelu(negativeSlope: Double = 0.01) throws -> Tensor {
        var a = OpAttributes()
        a.scalar = negativeSlope
        return try Dispatch.apply(Ops.leakyRelu, [self], a)
    }

    public func elu(alpha: Double = 1) throws -> Tensor {
        var a = OpAttributes()
        a.scalar = alpha
        return try Dispatch.apply(Ops.elu, [self], a)
    }

    public func softplus(beta: Double = 1) throws -> Tensor {
        var a = OpAttributes()
        a.scalar = beta
        return try Dispatch.apply(Ops.softplus, [self], a)
    }

    public func silu() throws -> Tensor { try Dispatch.apply(Ops.silu, [self]) }
    public func gelu() throws -> Tensor { try Dispatch.apply(Ops.gelu, [self]) }

    /// `F.conv2d(self, weight, bias, stride, padding, dilation, groups)`; no bias is a zero bias.
    public func conv2d(_ weight: Tensor, _ bias: Tensor? = nil, stride: [Int] = [1], padding: [Int] = [0],
                       dilation: [Int] = [1], groups: Int = 1) throws -> Tensor {
        var a = OpAttributes()
        a.window = Window(stride: stride, padding: padding, dilation: dilation, groups: groups)
        let b = try bias ?? Tensor.zeros([weight.shape.dims.first ?? 0], dtype: weight.dtype, on: weight.backend)
        return try Dispatch.apply(Ops.conv2d, [self, weight, b], a)
    }

    /// `F.conv1d(self, weight, bias, stride, padding, dilation, groups)`.
    public func conv1d(_ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                       dilation: Int = 1, groups: Int = 1) throws -> Tensor {
        var a = OpAttributes()
        a.window = Window(stride: [stride], padding: [padding], dilation: [dilation], groups: groups)
        let b = try bias ?? Tensor.zeros([weight.shape.dims.first ?? 0], dtype: weight.dtype, on: weight.backend)
        return try Dispatch.apply(Ops.conv1d, [self, weight, b], a)
    }

    /// `F.conv_transpose2d(self, weight, bias, stride, padding, output_padding, groups, dilation)`.
    public func convTranspose2d(_ weight: Tensor, _ bias: Tensor? = nil, stride: [Int] = [1], padding: [Int] = [0],
                                outputPadding: [Int] = [0], groups: Int = 1, dilation: [Int] = [1]) throws -> Tensor {
        var a = OpAttributes()
        a.window = Window(stride: stride, padding: padding, dilation: dilation, outputPadding: outputPadding,
                          groups: groups)
        let outChannels = weight.rank == 4 ? weight.shape[1] * Swift.max(groups, 1) : 0
        let b = try bias ?? Tensor.zeros([outChannels], dtype: weight.dtype, on: weight.backend)
        return try Dispatch.apply(Ops.convTranspose2d, [self, weight, b], a)
    }

    /// `F.max_pool2d(self, kernel_size, stride = kernel_size, padding)`.
    public func maxPool2d(kernelSize: [Int], stride: [Int] = [], padding: [Int] = [0]) throws -> Tensor {
        var a = OpAttributes()
        a.window = Window(kernel: kernelSize, stride: stride, padding: padding)
        return try Dispatch.apply(Ops.maxPool2d, [self], a)
    }

    /// `F.avg_pool2d(self, kernel_size, stride = kernel_size, padding)` (padding counted in the mean).
    public func avgPool2d(kernelSize: [Int], stride: [Int] = [], padding: [Int] = [0]) throws -> Tensor {
        var a = OpAttributes()
        a.window = Window(kernel: kernelSize, stride: stride, padding: padding)
        return try Dispatch.apply(Ops.avgPool2d, [self], a)
    }

    public func adaptiveAvgPool2d(_ outputSize: [Int]) throws -> Tensor {
        try Dispatch.apply(Ops.adaptiveAvgPool2d, [self], .shape(Shape(outputSize)))
    }

    /// `torch.flatten(self, start_dim, end_dim)`.
    public func flatten(startDim: Int, endDim: Int = -1) throws -> Tensor {
        try Dispatch.apply(Ops.flatten, [self], .axes([startDim, endDim]))
    }

    /// `F.embedding(self, weight, padding_idx)`: rows of `weight` at these int64 ids.
    public func embedding(_ weight: Tensor, paddingIndex: Int? = nil) throws -> Tensor {
        var a = OpAttributes()
        a.index = paddingIndex
        return try Dispatch.apply(Ops.embedding, [self, weight], a)
    }

    /// `F.batch_norm(self, running_mean, running_var, weight, bias, training, momentum, eps)`. In
    /// training it normalizes with the batch's statistics and, as PyTorch does, updates the running
    /// ones in place: `running ← (1 − momentum)·running + momentum·batch`, the variance unbiased.
    public func batchNorm(runningMean: Tensor, runningVar: Tensor, weight: Tensor, bias: Tensor, training: Bool,
                          momentum: Double = 0.1, epsilon: Double = 1e-5) throws -> Tensor {
        var a = OpAttributes()
        a.epsilon = epsilon
        a.training = training
        let y = try Dispatch.apply(Ops.batchNorm, [self, runningMean, runningVar, weight, bias], a)
        if training {
            try withoutGradients {
                let (mean, variance) = try Ops.batchStatistics(detached())
                let count = Double(elementCount / Swift.max(shape[1], 1))
                let unbiased = try variance * (count / Swift.max(count - 1, 1))
                try runningMean.assign(try runningMean * (1 - momentum) + mean.cast(to: runningMean.dtype) * momentum)
                try runningVar.assign(try runningVar * (1 - momentum) + unbiased.cast(to: runningVar.dtype) * momentum)
            }
        }
        return y
    }

    /// `F.layer_norm(self, weight.shape, weight, bias, eps)`.
    public func layerNorm(_ weight: Tensor, _ bias: Tensor, epsilon: Double = 1e-5) throws -> Tensor {
        var a = OpAttributes()
        a.epsilon = epsilon
        return try Dispatch.apply(Ops.layerNorm, [self, weight, bias], a)
    }
}

extension Loss {
    /// `F.nll_loss(logProbabilities [N C], labels [N])`.
    public static func nll(_ logProbabilities: Tensor, _ labels: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try Dispatch.apply(Ops.nllLoss, [logProbabilities, labels], .reduction(reduction))
    }
}
