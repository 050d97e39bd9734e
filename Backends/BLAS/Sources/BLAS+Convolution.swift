import MinoCore
import MinoCPU

/// Convolutions. Float32 with stride 1 (the native kernels on, a sample that fits L2) runs the
/// direct kernels of ``DirectConvolution`` (no im2col, no gemm, samples split over the blas
/// threads); everything else runs im2col plus gemm, with the column buffer from the shared
/// buffer cache (after warm-up a call allocates only its output):
/// - `conv2d`, stride 1 and no padding: "wide" columns (one contiguous copy per
///   column row, see ``wideConv2d``), a block of samples per gemm.
/// - `conv2d`, otherwise: the columns of a block of samples side by side
///   (`[K nb·L]`, `K = C/g·kh·kw`, `L = Ho·Wo`, sized to stay in L2), one gemm
///   per block, then each sample's rows to the output with the bias; a block of
///   one sample (or a 1×1 kernel, whose columns are the input itself) has gemm
///   add straight into the output preloaded with the bias.
/// - `conv2dWeightBackward`: per sample, `∂w += ∂out · colsᵀ` (gemm accumulates).
/// - `convTranspose2d` (also `conv2d`'s input gradient): per sample
///   `cols = W_gᵀ · x_g`, then col2im adds the columns into the output.
enum BLASConvolution {
    /// The sizes of one convolution, read once from its geometry.
    struct Plan {
        let g: ConvGeometry
        /// Input channels per group, output channels per group, column rows, output positions.
        let cg, og, k, l: Int

        init(_ g: ConvGeometry) {
            self.g = g
            cg = g.channels / g.groups
            og = g.outChannels / g.groups
            k = g.columnRows
            l = g.columnCount
        }

        /// A 1×1 kernel, stride 1, no padding: an image `[C/g H W]` is its own columns.
        var isPointwise: Bool { isUnitStrideUnpadded && g.kernelHeight == 1 && g.kernelWidth == 1 }

        /// Stride 1 and no padding, a kernel larger than 1×1: the wide-column paths apply
        /// (``wideConv2d``, ``wideWeightBackward``, ``wideTranspose``).
        var usesWideColumns: Bool { isUnitStrideUnpadded && !isPointwise }

        private var isUnitStrideUnpadded: Bool { g.strideHeight == 1 && g.strideWidth == 1 && !g.isPadded }
    }

    // MARK: conv2d

    /// Column bytes a block of samples may fill: about what stays in L2 between im2col and gemm.
    static let blockBytes = 384 << 10

    static func conv2d<T: BLASFloat>(_ inputs: [Operand], _ window: Window, _: T.Type) throws -> CPUStorage? {
        guard inputs.count == 3 else { return nil }
        var w = window
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let weight = CPUTransfer.contiguous(try inputs[1].cpu())
        let bias = try inputs[2].cpu()
        let g = try Ops.conv2dGeometry("conv2d", x.shape, weight.shape, bias.shape, &w)
        let plan = Plan(g)
        let out = CPUStorage(uninitialized: [g.batch, g.outChannels, g.outHeight, g.outWidth], dtype: x.dtype)
        if out.shape.elementCount == 0 { return out }
        let po = out.pointer(T.self)
        let pb = bias.pointer(T.self), sb = bias.strides.first ?? 1
        let (k, l, og) = (plan.k, plan.l, plan.og)
        if k == 0 {
            fillBias(po, bias, T.self, samples: g.batch, channels: g.outChannels, positions: l)
            return out
        }
        let px = x.pointer(T.self), pw = weight.pointer(T.self)
        if DirectConvolution.conv2d(px, pw, pb, sb, plan, into: po) { return out }
        try BLASLibrary.ensureActive()
        let (m32, k32) = (try BLASMatMul.int32(og, "dimension"), try BLASMatMul.int32(k, "dimension"))
        let pointwise = plan.isPointwise
        if plan.usesWideColumns {
            try wideConv2d(px, pw, pb, sb, plan, into: po, T.self)
            return out
        }
        // Samples per gemm: their columns side by side [K nb·L] while they fit the block; a block of
        // one sample (or a 1×1 kernel) has gemm add into the output preloaded with the bias.
        let nb = pointwise ? 1 : Swift.max(1, Swift.min(g.batch, blockBytes / Swift.max(k * l * MemoryLayout<T>.stride, 1)))
        let (colBlock, colSize) = CPUBufferCache.shared.take(pointwise ? 0 : nb * k * l * MemoryLayout<T>.stride)
        let (productBlock, productSize) = CPUBufferCache.shared.take(nb > 1 ? nb * og * l * MemoryLayout<T>.stride : 0)
        defer {
            CPUBufferCache.shared.give(colBlock, size: colSize)
            CPUBufferCache.shared.give(productBlock, size: productSize)
        }
        let cols = colBlock.assumingMemoryBound(to: T.self), product = productBlock.assumingMemoryBound(to: T.self)
        if nb == 1 { fillBias(po, bias, T.self, samples: g.batch, channels: g.outChannels, positions: l) }
        for gi in 0..<g.groups {
            var s0 = 0
            while s0 < g.batch {
                let count = Swift.min(nb, g.batch - s0)
                let width = count * l
                let n32 = try BLASMatMul.int32(width, "dimension")
                for s in s0..<(s0 + count) where !pointwise {
                    columns(of: px + (s * g.channels + gi * plan.cg) * g.height * g.width, plan,
                            into: cols + (s - s0) * l, rowStride: width)
                }
                let weights = pw + gi * og * k
                if nb == 1 {
                    // out[s, group] [O/g L] += W_g [O/g K] · cols [K L]
                    let image = px + (s0 * g.channels + gi * plan.cg) * g.height * g.width
                    T.gemm(transA: false, transB: false, m: m32, n: n32, k: k32, alpha: 1, a: weights, lda: k32,
                           b: pointwise ? image : cols, ldb: n32, beta: 1,
                           c: po + (s0 * g.outChannels + gi * og) * l, ldc: n32)
                } else {
                    // product [O/g count·L] = W_g · cols, then each sample's rows to [N O L] plus the bias.
                    T.gemm(transA: false, transB: false, m: m32, n: n32, k: k32, alpha: 1, a: weights, lda: k32,
                           b: cols, ldb: n32, beta: 0, c: product, ldc: n32)
                    for s in s0..<(s0 + count) {
                        for o in 0..<og {
                            let channel = gi * og + o
                            let v = pb[channel * sb], src = product + o * width + (s - s0) * l
                            let dst = po + (s * g.outChannels + channel) * l
                            for i in 0..<l { dst[i] = src[i] + v }
                        }
                    }
                }
                s0 += count
            }
        }
        return out
    }

    /// conv2d with stride 1 and no padding over "wide" rows: each output row is computed at all
    /// `W` input columns (the last `dw·(kw − 1)` of each are discarded), so the column row of
    /// `(c, i, j)` is one contiguous run of the image, `image[c][i·dh][j·dw] ..< + Ho·W`, copied
    /// in one piece instead of `Ho` short rows. The gemm does `W/Wo` times the useful work; the
    /// valid columns go to the output with the bias.
    static func wideConv2d<T: BLASFloat>(_ px: UnsafeMutablePointer<T>, _ pw: UnsafeMutablePointer<T>,
                                         _ pb: UnsafeMutablePointer<T>, _ sb: Int, _ plan: Plan,
                                         into po: UnsafeMutablePointer<T>, _: T.Type) throws {
        let g = plan.g
        let (k, og, wd, ho, wo) = (plan.k, plan.og, g.width, g.outHeight, g.outWidth)
        let m32 = try BLASMatMul.int32(og, "dimension"), k32 = try BLASMatMul.int32(k, "dimension")
        try forEachWideBlock(px, plan, T.self) { gi, s0, count, lw, cols, product in
            let width = count * lw
            let n32 = try BLASMatMul.int32(width, "dimension")
            T.gemm(transA: false, transB: false, m: m32, n: n32, k: k32, alpha: 1, a: pw + gi * og * k, lda: k32,
                   b: cols, ldb: n32, beta: 0, c: product, ldc: n32)
            for s in s0..<(s0 + count) {
                for o in 0..<og {
                    let channel = gi * og + o
                    let v = pb[channel * sb]
                    let src = product + o * width + (s - s0) * lw
                    let dst = po + (s * g.outChannels + channel) * ho * wo
                    for y in 0..<ho {
                        let from = src + y * wd, to = dst + y * wo
                        for xx in 0..<wo { to[xx] = from[xx] + v }
                    }
                }
            }
        }
    }

    /// Runs `body` for each group `gi` and block of `count` samples from `s0` (as many as fit
    /// ``blockBytes``), with the block's wide columns already written to `cols`
    /// `[K count·Ho·W]` (``wideColumns``) and a scratch buffer of `[O/g count·Ho·W]` elements;
    /// `lw` is `Ho·W`, one sample's width. Both buffers come from the cache, taken once.
    static func forEachWideBlock<T: BLASFloat>(
        _ px: UnsafeMutablePointer<T>, _ plan: Plan, _: T.Type,
        _ body: (_ gi: Int, _ s0: Int, _ count: Int, _ lw: Int, _ cols: UnsafeMutablePointer<T>,
                 _ scratch: UnsafeMutablePointer<T>) throws -> Void) throws {
        let g = plan.g
        let lw = g.outHeight * g.width, planeSize = g.height * g.width
        let nb = Swift.max(1, Swift.min(g.batch, blockBytes / Swift.max(plan.k * lw * MemoryLayout<T>.stride, 1)))
        let (colBlock, colSize) = CPUBufferCache.shared.take(nb * plan.k * lw * MemoryLayout<T>.stride)
        let (scratchBlock, scratchSize) = CPUBufferCache.shared.take(nb * plan.og * lw * MemoryLayout<T>.stride)
        defer {
            CPUBufferCache.shared.give(colBlock, size: colSize)
            CPUBufferCache.shared.give(scratchBlock, size: scratchSize)
        }
        let cols = colBlock.assumingMemoryBound(to: T.self), scratch = scratchBlock.assumingMemoryBound(to: T.self)
        for gi in 0..<g.groups {
            var s0 = 0
            while s0 < g.batch {
                let count = Swift.min(nb, g.batch - s0)
                for s in s0..<(s0 + count) {
                    wideColumns(of: px + (s * g.channels + gi * plan.cg) * planeSize, plan,
                                into: cols + (s - s0) * lw, rowStride: count * lw)
                }
                try body(gi, s0, count, lw, cols, scratch)
                s0 += count
            }
        }
    }

    /// The wide columns of one group of one sample (``wideConv2d``): row `(c, i, j)` is
    /// `image[c][i·dh][j·dw] ..< + Ho·W`, its last `dw·(kw − 1)` entries (past the plane) zero.
    static func wideColumns<T: BLASFloat>(of image: UnsafeMutablePointer<T>, _ plan: Plan,
                                          into cols: UnsafeMutablePointer<T>, rowStride: Int) {
        let g = plan.g
        let wd = g.width, planeSize = g.height * g.width, lw = g.outHeight * g.width
        let tail = g.dilationWidth * (g.kernelWidth - 1)
        var r = 0
        for ci in 0..<plan.cg {
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let dst = cols + r * rowStride
                    dst.update(from: image + ci * planeSize + i * g.dilationHeight * wd + j * g.dilationWidth,
                               count: lw - tail)
                    (dst + lw - tail).update(repeating: 0, count: tail)
                    r += 1
                }
            }
        }
    }

    // MARK: conv2dWeightBackward

    /// `∂w [O C/g kh kw]` of `conv2d`: `Σₙ ∂out[n, group] [O/g L] · cols(x[n, group])ᵀ [L K]`, the
    /// samples accumulated by gemm itself (beta = 1 after the first).
    static func conv2dWeightBackward<T: BLASFloat>(_ inputs: [Operand], _ window: Window, _: T.Type) throws
        -> CPUStorage? {
        guard inputs.count == 3 else { return nil }
        var w = window
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let weightShape = inputs[1].shape
        let up = CPUTransfer.contiguous(try inputs[2].cpu())
        let g = try Ops.conv2dGeometry("conv2dWeightBackward", x.shape, weightShape, [weightShape[0]], &w)
        let plan = Plan(g)
        let out = CPUStorage(uninitialized: weightShape, dtype: x.dtype)
        let count = weightShape.elementCount
        if count == 0 { return out }
        let po = out.pointer(T.self)
        if g.batch == 0 || plan.l == 0 {
            po.initialize(repeating: 0, count: count)
            return out
        }
        let px = x.pointer(T.self), pu = up.pointer(T.self)
        if DirectConvolution.weightGradient(px, pu, plan, into: po) { return out }
        try BLASLibrary.ensureActive()
        let (m32, n32, k32) = (try BLASMatMul.int32(plan.og, "dimension"), try BLASMatMul.int32(plan.k, "dimension"),
                               try BLASMatMul.int32(plan.l, "dimension"))
        let pointwise = plan.isPointwise
        // Wide columns need a finite input: their extra columns meet zero gradients, and 0·∞ is NaN.
        if plan.usesWideColumns && BLASPooling.allFinite(px, x.shape.elementCount) {
            try wideWeightBackward(px, pu, plan, into: po, T.self)
            return out
        }
        let (block, size) = CPUBufferCache.shared.take(pointwise ? 0 : plan.k * plan.l * MemoryLayout<T>.stride)
        defer { CPUBufferCache.shared.give(block, size: size) }
        let cols = block.assumingMemoryBound(to: T.self)
        for s in 0..<g.batch {
            for gi in 0..<g.groups {
                let image = px + (s * g.channels + gi * plan.cg) * g.height * g.width
                if !pointwise { columns(of: image, plan, into: cols) }
                // ∂w_g [O/g K] (+)= ∂out[s, group] [O/g L] · colsᵀ [L K]
                T.gemm(transA: false, transB: true, m: m32, n: n32, k: k32, alpha: 1,
                       a: pu + (s * g.outChannels + gi * plan.og) * plan.l, lda: k32,
                       b: pointwise ? image : cols, ldb: k32, beta: s == 0 ? 0 : 1,
                       c: po + gi * plan.og * plan.k, ldc: n32)
            }
        }
        return out
    }

    /// Spreads the `[Ho Wo]` planes of a convolution's output-shaped `source` `[N O Ho Wo]` (group
    /// `group`, `samples`) to wide rows `[O/g samples·Ho·W]`, zeros at each row's last `W − Wo`
    /// columns: the layout of a gemm against wide columns (``wideColumns``).
    static func spreadToWideRows<T: BLASFloat>(_ source: UnsafeMutablePointer<T>, _ plan: Plan, group gi: Int,
                                               samples: Range<Int>, into wide: UnsafeMutablePointer<T>) {
        let g = plan.g
        let (og, wd, ho, wo) = (plan.og, g.width, g.outHeight, g.outWidth)
        let lw = ho * wd, width = samples.count * lw
        for s in samples {
            for o in 0..<og {
                let src = source + (s * g.outChannels + gi * og + o) * ho * wo
                let dst = wide + o * width + (s - samples.lowerBound) * lw
                for y in 0..<ho {
                    let from = src + y * wo, to = dst + y * wd
                    for xx in 0..<wo { to[xx] = from[xx] }
                    for xx in wo..<wd { to[xx] = 0 }
                }
            }
        }
    }

    /// ``conv2dWeightBackward`` over wide columns (stride 1, no padding, finite input): the
    /// output gradient is spread to wide rows (zeros at the extra columns) and each block of
    /// samples is one gemm, `∂w_g (+)= ∂out_wide [O/g nb·Ho·W] · colsᵀ [nb·Ho·W K]`.
    static func wideWeightBackward<T: BLASFloat>(_ px: UnsafeMutablePointer<T>, _ pu: UnsafeMutablePointer<T>,
                                                 _ plan: Plan, into po: UnsafeMutablePointer<T>, _: T.Type) throws {
        let (k, og) = (plan.k, plan.og)
        let (m32, n32) = (try BLASMatMul.int32(og, "dimension"), try BLASMatMul.int32(k, "dimension"))
        try forEachWideBlock(px, plan, T.self) { gi, s0, count, lw, cols, wide in
            let width = count * lw
            spreadToWideRows(pu, plan, group: gi, samples: s0..<(s0 + count), into: wide)
            let k32 = try BLASMatMul.int32(width, "dimension")
            T.gemm(transA: false, transB: true, m: m32, n: n32, k: k32, alpha: 1, a: wide, lda: k32,
                   b: cols, ldb: k32, beta: s0 == 0 ? 0 : 1, c: po + gi * og * k, ldc: n32)
        }
    }

    // MARK: convTranspose2d

    static func convTranspose2d<T: BLASFloat>(_ inputs: [Operand], _ window: Window, _: T.Type) throws
        -> CPUStorage? {
        guard inputs.count == 3 else { return nil }
        var w = window
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let weight = CPUTransfer.contiguous(try inputs[1].cpu())
        let bias = try inputs[2].cpu()
        // The convolution whose adjoint this is: its input is our output, its output our input.
        let g = try Ops.convTranspose2dGeometry(x.shape, weight.shape, bias.shape, &w)
        let plan = Plan(g)
        let out = CPUStorage(uninitialized: [g.batch, g.channels, g.height, g.width], dtype: x.dtype)
        if out.shape.elementCount == 0 { return out }
        let po = out.pointer(T.self)
        let planeSize = g.height * g.width
        let px = x.pointer(T.self), pw = weight.pointer(T.self)
        // The direct kernel writes every output with its bias; it needs a finite weight (the zeros
        // around the embedded gradient meet every weight, and 0·∞ is NaN).
        if plan.k > 0 && plan.l > 0 && BLASPooling.allFinite(pw, weight.shape.elementCount)
            && DirectConvolution.convTranspose2d(px, pw, bias.pointer(T.self), bias.strides.first ?? 1, plan,
                                                 into: po) {
            return out
        }
        fillBias(po, bias, T.self, samples: g.batch, channels: g.channels, positions: planeSize)
        if plan.k == 0 || plan.l == 0 || plan.og == 0 { return out }
        try BLASLibrary.ensureActive()
        let (m32, n32, k32) = (try BLASMatMul.int32(plan.k, "dimension"), try BLASMatMul.int32(plan.l, "dimension"),
                               try BLASMatMul.int32(plan.og, "dimension"))
        let pointwise = plan.isPointwise
        // Wide columns need a finite weight: their extra columns are Wᵀ times zeros, and ∞·0 is NaN.
        if plan.usesWideColumns && BLASPooling.allFinite(pw, weight.shape.elementCount) {
            try wideTranspose(px, pw, plan, into: po, T.self)
            return out
        }
        let (block, size) = CPUBufferCache.shared.take(plan.k * plan.l * MemoryLayout<T>.stride)
        defer { CPUBufferCache.shared.give(block, size: size) }
        let cols = block.assumingMemoryBound(to: T.self)
        for s in 0..<g.batch {
            for gi in 0..<g.groups {
                let image = po + (s * g.channels + gi * plan.cg) * planeSize
                // cols [K L] = W_gᵀ [K O/g] · x[s, group] [O/g L]; a pointwise kernel adds into the image itself.
                T.gemm(transA: true, transB: false, m: m32, n: n32, k: k32, alpha: 1, a: pw + gi * plan.og * plan.k,
                       lda: m32, b: px + (s * g.outChannels + gi * plan.og) * plan.l, ldb: n32,
                       beta: pointwise ? 1 : 0, c: pointwise ? image : cols, ldc: n32)
                if !pointwise { addColumns(cols, plan, into: image) }
            }
        }
        return out
    }

    /// ``convTranspose2d`` for stride 1 without padding (a finite weight), over wide columns
    /// (``wideConv2d``): the input `[O/g Ho Wo]` of a block of samples spread to wide rows with
    /// zeros at the extra columns, one gemm `cols [K nb·Ho·W] = W_gᵀ · x_wide`, then col2im as one
    /// contiguous add per column row, `image[c][i·dh][j·dw] ..< + Ho·W` (the extra columns are zero).
    static func wideTranspose<T: BLASFloat>(_ px: UnsafeMutablePointer<T>, _ pw: UnsafeMutablePointer<T>, _ plan: Plan,
                                            into po: UnsafeMutablePointer<T>, _: T.Type) throws {
        let g = plan.g
        let (k, og, wd, ho) = (plan.k, plan.og, g.width, g.outHeight)
        let lw = ho * wd, planeSize = g.height * wd
        let run = lw - g.dilationWidth * (g.kernelWidth - 1)  // the rest of a run lies past the plane, and is 0
        let nb = Swift.max(1, Swift.min(g.batch, blockBytes / Swift.max(k * lw * MemoryLayout<T>.stride, 1)))
        let (m32, k32) = (try BLASMatMul.int32(k, "dimension"), try BLASMatMul.int32(og, "dimension"))
        let (colBlock, colSize) = CPUBufferCache.shared.take(nb * k * lw * MemoryLayout<T>.stride)
        let (inBlock, inSize) = CPUBufferCache.shared.take(nb * og * lw * MemoryLayout<T>.stride)
        defer {
            CPUBufferCache.shared.give(colBlock, size: colSize)
            CPUBufferCache.shared.give(inBlock, size: inSize)
        }
        let cols = colBlock.assumingMemoryBound(to: T.self), wide = inBlock.assumingMemoryBound(to: T.self)
        for gi in 0..<g.groups {
            var s0 = 0
            while s0 < g.batch {
                let count = Swift.min(nb, g.batch - s0)
                let width = count * lw
                spreadToWideRows(px, plan, group: gi, samples: s0..<(s0 + count), into: wide)
                let n32 = try BLASMatMul.int32(width, "dimension")
                T.gemm(transA: true, transB: false, m: m32, n: n32, k: k32, alpha: 1, a: pw + gi * og * k, lda: m32,
                       b: wide, ldb: n32, beta: 0, c: cols, ldc: n32)
                for s in s0..<(s0 + count) {
                    let image = po + (s * g.channels + gi * plan.cg) * planeSize
                    var r = 0
                    for ci in 0..<plan.cg {
                        for i in 0..<g.kernelHeight {
                            for j in 0..<g.kernelWidth {
                                let dst = image + ci * planeSize + i * g.dilationHeight * wd + j * g.dilationWidth
                                let src = cols + r * width + (s - s0) * lw
                                for p in 0..<run { dst[p] += src[p] }
                                r += 1
                            }
                        }
                    }
                }
                s0 += count
            }
        }
    }

    // MARK: im2col, col2im

    /// `out[s][c][i] = bias[c]` for every sample and position.
    @inline(__always)
    static func fillBias<T: BLASFloat>(_ po: UnsafeMutablePointer<T>, _ bias: CPUStorage, _: T.Type,
                                       samples: Int, channels: Int, positions: Int) {
        let pb = bias.pointer(T.self), sb = bias.strides.first ?? 1
        for s in 0..<samples {
            for c in 0..<channels {
                let v = pb[c * sb], row = po + (s * channels + c) * positions
                for i in 0..<positions { row[i] = v }
            }
        }
    }

    /// The output columns `[lo, hi)` whose input column `x·sw + x0` lies inside a row of `width`.
    @inline(__always)
    static func inside(_ x0: Int, stride sw: Int, width: Int, outputs wo: Int) -> (Int, Int) {
        let lo = Swift.min(x0 >= 0 ? 0 : (-x0 + sw - 1) / sw, wo)
        let hi = Swift.max(Swift.min(wo, x0 > width - 1 ? 0 : (width - 1 - x0) / sw + 1), lo)
        return (lo, hi)
    }

    /// im2col of one group of one sample, `image` `[C/g H W]` (rows `rowStride` apart, default `L`):
    /// `cols[(c·kh + i)·kw + j][y·Wo + x] = image[c][y·sh − ph + i·dh][x·sw − pw + j·dw]`, 0 outside.
    static func columns<T: BLASFloat>(of image: UnsafeMutablePointer<T>, _ plan: Plan,
                                      into cols: UnsafeMutablePointer<T>, rowStride: Int? = nil) {
        let stride = rowStride ?? plan.l
        let g = plan.g
        let (h, wd, ho, wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (sh, sw) = (g.strideHeight, g.strideWidth)
        var r = 0
        for ci in 0..<plan.cg {
            let plane = image + ci * h * wd
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let dst = cols + r * stride
                    let x0 = j * g.dilationWidth - g.padWidth
                    let (lo, hi) = inside(x0, stride: sw, width: wd, outputs: wo)
                    for y in 0..<ho {
                        let iy = y * sh - g.padHeight + i * g.dilationHeight
                        let line = dst + y * wo
                        guard iy >= 0, iy < h else {
                            for xx in 0..<wo { line[xx] = 0 }
                            continue
                        }
                        let src = plane + iy * wd + x0
                        for xx in 0..<lo { line[xx] = 0 }
                        if sw == 1 {
                            for xx in lo..<hi { line[xx] = src[xx] }
                        } else {
                            for xx in lo..<hi { line[xx] = src[xx * sw] }
                        }
                        for xx in hi..<wo { line[xx] = 0 }
                    }
                    r += 1
                }
            }
        }
    }

    /// col2im, the adjoint of ``columns(of:_:into:)``: every column entry added back at the
    /// image position it was read from (entries read from padding are dropped).
    static func addColumns<T: BLASFloat>(_ cols: UnsafeMutablePointer<T>, _ plan: Plan,
                                         into image: UnsafeMutablePointer<T>) {
        let g = plan.g
        let (h, wd, ho, wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let (sh, sw) = (g.strideHeight, g.strideWidth)
        var r = 0
        for ci in 0..<plan.cg {
            let plane = image + ci * h * wd
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let src = cols + r * plan.l
                    let x0 = j * g.dilationWidth - g.padWidth
                    let (lo, hi) = inside(x0, stride: sw, width: wd, outputs: wo)
                    for y in 0..<ho {
                        let iy = y * sh - g.padHeight + i * g.dilationHeight
                        guard iy >= 0, iy < h else { continue }
                        let line = src + y * wo, dst = plane + iy * wd + x0
                        if sw == 1 {
                            for xx in lo..<hi { dst[xx] += line[xx] }
                        } else {
                            for xx in lo..<hi { dst[xx * sw] += line[xx] }
                        }
                    }
                    r += 1
                }
            }
        }
    }
}
