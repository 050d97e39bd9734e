import MinoCore

/// Candidate input shapes, by arity. Each op keeps the tuples its shape rule
/// accepts; the order puts the most telling cases first.
enum ShapePools {
    static let unary: [Shape] = [[3, 4], [5], [], [2, 3, 4], [4, 1], [1, 3]]

    static let binary: [[Shape]] = [
        // Elementwise: same shape, broadcasting, scalars.
        [[3, 4], [3, 4]], [[3, 4], [4]], [[2, 1, 4], [3, 1]], [[], [3]], [[5], [5]], [[3, 1], [1, 4]],
        // Matrix products: plain, batched, broadcast batch.
        [[3, 4], [4, 5]], [[2, 3, 4], [4, 5]], [[2, 3, 4], [2, 4, 5]], [[1, 3, 4], [2, 4, 2]],
        // Index ops: select rows, gather columns, class labels.
        [[5, 3], [4]], [[3, 5], [4]], [[3, 4], [3, 2]], [[2, 3, 4], [2, 3, 2]], [[4, 3], [4]],
        // Scatter sources and their indices.
        [[4, 3], [4, 3]], [[2, 3], [2, 3]],
        // Mismatches (error samples for most ops).
        [[3, 4], [5, 4]], [[3, 4], [3, 5]],
    ]

    static let ternary: [[Shape]] = [
        [[3, 4], [3, 4], [3, 4]], [[3, 1], [1, 4], [4]], [[2, 3, 4], [3, 1], [4]],
        // linear: x, weight [out in], bias [out].
        [[2, 3], [4, 3], [4]], [[5, 2, 3], [4, 3], [4]], [[3], [2, 3], [2]],
        // Mismatches.
        [[2, 3], [3, 4], [4]], [[3, 4], [5, 4], [3, 4]],
    ]

    /// Layers: tuples by attribute schema, for ops whose inputs the general pools do not fit.
    static func layer(_ schema: AttributeSchema, arity: Int) -> [[Shape]]? {
        switch schema {
        case .convolution:
            // conv2d, convTranspose2d: [N C H W], weight, bias; conv1d: [N C L]. Then mismatches.
            return [
                [[2, 3, 5, 5], [4, 3, 3, 3], [4]], [[1, 4, 6, 5], [6, 2, 3, 2], [6]], [[2, 2, 4, 4], [2, 3, 2, 2], [6]], [[2, 4, 3, 3], [4, 2, 3, 3], [2]],
                [[2, 3, 7], [4, 3, 3], [4]], [[1, 4, 6], [4, 1, 2], [4]],
                [[2, 3, 5, 5], [4, 2, 3, 3], [4]], [[1, 3, 2, 2], [4, 3, 5, 5], [4]], [[2, 3, 5, 5], [4, 3, 3, 3], [3]],
                // conv2dWeightBackward: input, weight and the output's gradient for stride 1 or 2 with
                // padding 1, padding and dilation 2, stride 2, groups 2 (error samples for the others).
                [[2, 3, 5, 5], [4, 3, 3, 3], [2, 4, 3, 3]], [[2, 3, 5, 5], [4, 3, 3, 3], [2, 4, 5, 5]],
                [[2, 3, 5, 5], [4, 3, 3, 3], [2, 4, 2, 2]], [[1, 4, 6, 5], [6, 2, 3, 2], [1, 6, 6, 6]],
            ]
        case .recurrentCell where arity == 7 || arity == 6 || arity == 4:
            // lstm: x [T N I], weight_ih [4H I], weight_hh [4H H], bias_ih, bias_hh [4H], h0, c0 [N H];
            // gru: the same with 3H and no c0. Their backward ops: weight_hh, c0 (h0) and the output and
            // its gradient ([T N 6H], [T N 5H]); each op keeps the tuples its rule accepts. Then
            // mismatches (hidden states of the wrong size, a wrong input width, an empty sequence).
            let gates = arity == 6 ? 3 : 4
            func layer(_ t: Int, _ n: Int, _ i: Int, _ h: Int, h0: [Int]? = nil, c0: [Int]? = nil, wih: [Int]? = nil) -> [Shape] {
                let g = gates * h
                return [[t, n, i], Shape(wih ?? [g, i]), [g, h], [g], [g], Shape(h0 ?? [n, h])]
                    + (gates == 4 ? [Shape(c0 ?? [n, h])] : [])
            }
            let layers = [layer(3, 2, 3, 2), layer(1, 1, 2, 3), layer(4, 3, 1, 1),
                          layer(3, 2, 3, 2, h0: [2, 3]), layer(3, 2, 3, 2, c0: [3, 2]), layer(3, 2, 3, 2, wih: [4 * gates, 2]),
                          layer(0, 2, 3, 2)]
            guard arity == 4 else { return layers }
            // weight_hh [gH H], the state [N H], output and gradient [T N (g+2)H] (lstm: g 4, gru: g 3).
            func backward(_ s: [Shape], gates g: Int) -> [Shape] {
                let h = s[2][1], out = Shape([s[0][0], s[0][1], (g + 2) * h])
                return [[g * h, h], s[5], out, out]
            }
            return layers.map { backward($0, gates: 4) } + layers.map { backward($0, gates: 3) }
                + [[[8, 2], [2, 2], [3, 2, 12], [3, 2, 6]], [[6, 2], [2, 2], [3, 2, 10], [3, 2, 5]]]
        case .recurrentCell:
            // Gates [N 4H], state [N H] (and ∂[h c] [N 2H]); then mismatches.
            let steps: [[Shape]] = [[[3, 8], [3, 2]], [[2, 12], [2, 3]], [[1, 4], [1, 1]], [[3, 8], [3, 3]], [[3, 8], [2, 2]]]
            return arity == 3 ? steps.map { $0 + [Shape([$0[1][0], 2 * $0[1][1]])] } + [[[3, 8], [3, 2], [3, 2]]] : steps
        case .pooling where arity == 2:
            // maxPool2dBackward: the input and its output's gradient under each candidate window
            // (kernel 2; kernel 3×2 stride 2×1 padding 1×0; kernel 3 stride 1 padding 1); the other
            // pairings are error samples.
            return [[[2, 3, 6, 6], [2, 3, 3, 3]], [[2, 3, 6, 6], [2, 3, 3, 5]], [[1, 2, 5, 7], [1, 2, 5, 7]],
                    [[1, 2, 5, 7], [1, 2, 3, 6]], [[2, 4, 4], [2, 4, 4]]]
        case .pooling, .outputSize:
            return [[[2, 3, 6, 6]], [[1, 2, 5, 7]], [[2, 4, 4]], [[3, 5]]]
        case .normalization where arity == 5:
            // batchNorm: input [N C …], running mean and variance, weight and bias [C].
            return [[[4, 3], [3], [3], [3], [3]], [[2, 3, 4], [3], [3], [3], [3]], [[2, 2, 3, 2], [2], [2], [2], [2]],
                    [[2, 3, 4], [4], [4], [4], [4]], [[1, 3], [3], [3], [3], [3]]]
        case .normalization:
            return [[[2, 3, 4], [4], [4]], [[2, 3, 4], [3, 4], [3, 4]], [[5, 4], [4], [4]],
                    [[2, 3, 4], [3], [3]], [[2, 3, 4], [4], [5]],
                    // layerNormBackward and batchNormBackward: input, weight, the output's gradient.
                    [[2, 3, 4], [4], [2, 3, 4]], [[2, 3, 4], [3, 4], [2, 3, 4]], [[4, 3], [3], [4, 3]],
                    [[2, 3, 4], [3], [2, 3, 4]], [[2, 2, 3, 4], [2], [2, 2, 3, 4]]]
        default:
            return nil
        }
    }

    static let variadic: [[Shape]] = [
        [[2, 3], [4, 3]], [[2, 3], [2, 3], [2, 3]], [[2, 3, 4], [2, 1, 4]], [[3], [3]], [[4], [2]],
        [[2, 3], [2, 4]],
    ]
}

/// Candidate attributes for each schema, built from the input shapes.
enum AttributeCandidates {
    static func `for`(_ schema: AttributeSchema, shapes: [Shape]) -> [OpAttributes] {
        let first = shapes[0]
        switch schema {
        case .none:
            return [.none]
        case .axes:
            var list: [OpAttributes] = [.axes([]), .axes([-1], keepDims: true), .axes([0]), .axes([1])]
            if first.rank >= 3 { list.append(.axes([0, 2], keepDims: true)) }
            if first.rank >= 2 { list.append(.axes([0, -1])) }
            list.append(.axes([5]))  // out of range: an error sample
            return list
        case .axis:
            return [.axis(-1), .axis(0), .axis(1), .axis(7)]
        case .axisKeepDims:
            return [.axis(-1), .axis(0, keepDims: true), .axis(1), .axis(9)]
        case .shape:
            return shapeTargets(first).map { .shape($0) }
        case .permutation:
            let r = first.rank
            var list: [OpAttributes] = [.permutation(Array((0..<r).reversed()))]
            if r >= 3 { list.append(.permutation([1, 2, 0])) }
            list.append(.permutation(Array(0..<r) + [r]))  // wrong length
            return list
        case .slice:
            return sliceRanges(first).map { ranges in
                var a = OpAttributes()
                a.ranges = ranges
                return a
            }
        case .sliceScatter:
            // The source fills a strided box of a larger zero tensor.
            let target = Shape(first.dims.map { 2 * $0 + 1 })
            var a = OpAttributes()
            a.shape = target
            a.ranges = first.dims.map { SliceRange(start: 1, end: 1 + 2 * $0, step: 2) }
            var wrong = a
            wrong.shape = first
            wrong.ranges = first.dims.map { SliceRange(start: 0, end: $0 + 1, step: 1) }
            return [a, wrong]
        case .scatter:
            // indexAdd: the target's axis may be larger than the source's; scatterAdd likewise.
            var list: [OpAttributes] = []
            for axis in [0, 1] where axis < first.rank {
                var dims = first.dims
                dims[axis] += 2
                var a = OpAttributes.axis(axis)
                a.shape = Shape(dims)
                list.append(a)
            }
            return list
        case .dtype:
            return DType.allCases.map { .dtype($0) }
        case .reduction:
            return Reduction.allCases.map { .reduction($0) }
        case .scalar(_, let fallback):
            var a = OpAttributes()
            a.scalar = fallback
            var b = OpAttributes()
            b.scalar = 0.3
            return [a, b]
        case .convolution:
            let rank = first.rank
            func conv(_ stride: Int, _ padding: Int, _ dilation: Int, groups: Int = 1, output: Int = 0) -> OpAttributes {
                var a = OpAttributes()
                a.window = Window(stride: [stride], padding: [padding], dilation: [dilation],
                                  outputPadding: output == 0 ? [] : [output], groups: groups)
                return a
            }
            var list = [conv(1, 0, 1), conv(2, 1, 1), conv(1, 2, 2), conv(1, 1, 1, groups: 2)]
            if rank == 4 { list.append(conv(2, 0, 1, output: 1)) }
            list.append(conv(1, -1, 1))  // negative padding: an error sample
            return list
        case .pooling:
            func pool(_ kernel: [Int], _ stride: [Int], _ padding: [Int]) -> OpAttributes {
                var a = OpAttributes()
                a.window = Window(kernel: kernel, stride: stride, padding: padding)
                return a
            }
            return [pool([2], [], [0]), pool([3, 2], [2, 1], [1, 0]), pool([3], [1], [1]),
                    pool([9], [], [0]),  // larger than the input: an error sample
                    pool([2], [], [2])]  // padding over half the kernel: an error sample
        case .outputSize:
            return [.shape([2, 3]), .shape([1]), .shape([4, 4]), .shape([0, 2])]
        case .recurrentCell:
            return [.none]
        case .axisRange:
            return [.axes([1, -1]), .axes([0, -1]), .axes([0, 1]), .axes([-1, 0]), .axes([0, 7])]
        case .paddingIndex:
            var p = OpAttributes()
            p.index = 1
            var bad = OpAttributes()
            bad.index = 50
            return [.none, p, bad]
        case .normalization:
            var a = OpAttributes()
            a.epsilon = 1e-5
            var b = OpAttributes()
            b.epsilon = 0.1
            guard shapes.count == 5 else { return [a, b] }
            var training = OpAttributes()
            training.training = true
            return [training, a, b]
        case .probability:
            var a = OpAttributes()
            a.scalar = 0.25
            var b = OpAttributes()
            b.scalar = 0.5
            var bad = OpAttributes()
            bad.scalar = 1.5
            return [a, b, bad]
        }
    }

    /// Reshape and expand targets for an input shape.
    static func shapeTargets(_ shape: Shape) -> [Shape] {
        let n = shape.elementCount
        var list: [Shape] = [[-1], Shape(shape.dims.reversed())]
        if n % 2 == 0 && n > 0 { list.append([2, -1]) }
        // Expand: a new leading axis, and size-1 axes grown.
        list.append(Shape([2] + shape.dims.map { $0 == 1 ? 3 : $0 }))
        list.append(Shape(shape.dims.map { $0 == 1 ? 4 : $0 }))
        list.append([n + 1])  // wrong size: an error sample
        return list
    }

    /// Box slices of a shape: every other element from 1, and a prefix.
    static func sliceRanges(_ shape: Shape) -> [[SliceRange]] {
        let strided = shape.dims.map { d in d > 1 ? SliceRange(start: 1, end: d, step: 2) : SliceRange.all(d) }
        let prefix = shape.dims.map { d in SliceRange(start: 0, end: Swift.max(d - 1, 1), step: 1) }
        let outside = shape.dims.map { d in SliceRange(start: 0, end: d + 3, step: 1) }
        return [strided, prefix, outside]
    }
}
