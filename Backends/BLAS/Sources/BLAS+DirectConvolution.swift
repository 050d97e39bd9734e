import MinoCore
import MinoCPU
import MinoKernels

/// Stride-1 float32 convolutions as MinoKernels' direct kernels (`KernelConvolution.h`): no
/// im2col, no gemm, samples split over the blas threads (``ParallelLoop``). ``BLASConvolution``
/// asks these first and keeps its gemm paths for what they decline: other dtypes, the native
/// kernels off, strides above 1, or a sample too large for the kernels' cache-resident sweep.
///
/// Padding is a zero-padded copy of each sample (``mino_conv_embed``), so every kernel runs an
/// unpadded convolution; the input gradient is the forward kernel on the output gradient embedded
/// in zeros, with the kernel transposed and flipped:
/// `∂x[c][y][x] = Σ_{o,i,j} w[o][c][i][j] · ∂out[o][y + ph − i·dh][x + pw − j·dw]`, which is
/// `Σ_{o,i',j'} w[o][c][kh−1−i'][kw−1−j'] · ∂out_embedded[o][y + i'·dh][x + j'·dw]` with `∂out`
/// shifted by `(kh−1)·dh − ph` rows and `(kw−1)·dw − pw` columns.
enum DirectConvolution {
    /// The largest per-sample, per-group input (padded) the kernels take: a tile of 8 output
    /// channels sweeps all of it, so it should stay in L2.
    static let sampleBytesLimit = 512 << 10

    /// Multiply-adds a chunk of samples should hold before it is worth a thread of its own.
    static let chunkWork = 1 << 17

    /// The kernels' shape of an unpadded convolution of `channels` planes `height × width`, or
    /// nil when the native kernels are off or a size does not suit them.
    static func shape(_ g: ConvGeometry, channels: Int, height: Int, width: Int, outChannels: Int)
        -> MinoConvShape? {
        guard NativeKernels.isEnabled, g.strideHeight == 1, g.strideWidth == 1, channels > 0, outChannels > 0 else {
            return nil
        }
        let sizes = [channels, height, width, outChannels, g.kernelHeight, g.kernelWidth, g.dilationHeight,
                     g.dilationWidth]
        guard sizes.allSatisfy({ $0 <= Int(Int32.max) }) else { return nil }
        guard let bytes = try? Ops.checkedProduct("conv2d", [height, width, channels, MemoryLayout<Float>.stride]),
              bytes <= sampleBytesLimit else { return nil }
        return MinoConvShape(channels: Int32(channels), height: Int32(height), width: Int32(width),
                             outChannels: Int32(outChannels), kernelHeight: Int32(g.kernelHeight),
                             kernelWidth: Int32(g.kernelWidth), dilationHeight: Int32(g.dilationHeight),
                             dilationWidth: Int32(g.dilationWidth))
    }

    /// The smallest chunk of samples worth a thread, for `work` multiply-adds per sample (nil: too many to count).
    static func minimumChunk(work: Int?) -> Int { Swift.max(1, chunkWork / Swift.max(work ?? Int.max, 1)) }

    // MARK: conv2d

    /// `conv2d` of `x` `[N C H W]` by `weight` `[O C/g kh kw]` plus the bias into `out` `[N O Ho Wo]`;
    /// false (nothing written) where the direct kernels do not apply.
    static func conv2d<T: BLASFloat>(_ px: UnsafeMutablePointer<T>, _ pw: UnsafeMutablePointer<T>,
                                     _ pb: UnsafeMutablePointer<T>, _ sb: Int, _ plan: BLASConvolution.Plan,
                                     into po: UnsafeMutablePointer<T>) -> Bool {
        let g = plan.g
        let (cg, og, k) = (plan.cg, plan.og, plan.k)
        let (hp, wp) = (g.paddedHeight, g.paddedWidth)
        guard T.self == Float.self, let shape = shape(g, channels: cg, height: hp, width: wp, outChannels: og) else {
            return false
        }
        let (x, bias, out) = (px.rebound(Float.self), pb.rebound(Float.self), po.rebound(Float.self))
        let packed = PackedWeights(count: g.outChannels * k)
        defer { packed.release() }
        let kernelArea = g.kernelHeight * g.kernelWidth
        for gi in 0..<g.groups {
            withUnsafePointer(to: shape) {
                mino_conv_pack_weights($0, pw.rebound(Float.self) + gi * og * k, k, kernelArea, g.kernelWidth, 1,
                                       packed.pointer + gi * og * k)
            }
        }
        let outPlane = g.outHeight * g.outWidth
        sweep(shape, packed.pointer, g, images: Images(base: x, channels: cg, height: g.height, width: g.width),
              embeddedAt: g.isPadded ? (g.padHeight, g.padWidth) : nil, bias: bias, biasPerGroup: og * sb, sb: sb,
              output: out, outputPerGroup: og * outPlane,
              work: try? Ops.checkedProduct("conv2d", [g.outChannels, k, outPlane]))
        return true
    }

    // MARK: Input gradient (convTranspose2d)

    /// `convTranspose2d` of `x` `[N O Ho Wo]` (the gradient of `g`'s output) by `weight` `[O C/g kh kw]`
    /// plus the bias into `out` `[N C H W]`; false where the direct kernels do not apply. The weight
    /// must be finite: the embedded gradient's zeros meet every weight, and 0·∞ is NaN.
    static func convTranspose2d<T: BLASFloat>(_ px: UnsafeMutablePointer<T>, _ pw: UnsafeMutablePointer<T>,
                                              _ pb: UnsafeMutablePointer<T>, _ sb: Int, _ plan: BLASConvolution.Plan,
                                              into po: UnsafeMutablePointer<T>) -> Bool {
        let g = plan.g
        let (cg, og, k) = (plan.cg, plan.og, plan.k)
        let (kh, kw) = (g.kernelHeight, g.kernelWidth)
        // The embedded gradient: the input's size plus the kernel's extent less one, each way.
        let (hq, wq) = (g.height + g.dilationHeight * (kh - 1), g.width + g.dilationWidth * (kw - 1))
        guard T.self == Float.self, let shape = shape(g, channels: og, height: hq, width: wq, outChannels: cg) else {
            return false
        }
        let (x, bias, out) = (px.rebound(Float.self), pb.rebound(Float.self), po.rebound(Float.self))
        let packed = PackedWeights(count: g.outChannels * k)
        defer { packed.release() }
        for gi in 0..<g.groups {
            // w'(c, o, i', j') = w[o][c][kh−1−i'][kw−1−j'] of the group: strides K, kh·kw, −kw, −1.
            let flipped = pw.rebound(Float.self) + gi * og * k + (kh - 1) * kw + (kw - 1)
            withUnsafePointer(to: shape) {
                mino_conv_pack_weights($0, flipped, kh * kw, k, -kw, -1, packed.pointer + gi * og * k)
            }
        }
        let plane = g.height * g.width
        sweep(shape, packed.pointer, g,
              images: Images(base: x, channels: og, height: g.outHeight, width: g.outWidth),
              embeddedAt: (g.dilationHeight * (kh - 1) - g.padHeight, g.dilationWidth * (kw - 1) - g.padWidth),
              bias: bias, biasPerGroup: cg * sb, sb: sb, output: out, outputPerGroup: cg * plane,
              work: try? Ops.checkedProduct("convTranspose2d", [g.outChannels, k, plane]))
        return true
    }

    // MARK: The forward kernel over every sample

    /// Each sample's images, `[groups · channels height width]` one sample after another.
    struct Images {
        let base: UnsafeMutablePointer<Float>
        let channels, height, width: Int

        /// Group `gi` of sample `s`, `[channels height width]`.
        func group(_ gi: Int, of s: Int, groups: Int) -> UnsafeMutablePointer<Float> {
            base + (s * groups + gi) * channels * height * width
        }
    }

    /// Runs the forward kernel with `packed` (the groups' weights one after another) for every
    /// sample and group of `g`, samples split over the blas threads: group `gi` of sample `s`
    /// reads its image, first embedded in zeros of the kernel's input size at `(top, left)` when
    /// `embeddedAt` is given, and writes `outputPerGroup` floats with the group's bias.
    static func sweep(_ shape: MinoConvShape, _ packed: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                      images: Images, embeddedAt offset: (top: Int, left: Int)?,
                      bias: UnsafeMutablePointer<Float>, biasPerGroup: Int, sb: Int,
                      output: UnsafeMutablePointer<Float>, outputPerGroup: Int, work: Int?) {
        let packedPerGroup = Int(shape.outChannels) * Int(shape.channels) * g.kernelHeight * g.kernelWidth
        let embeddedCount = offset == nil ? 0 : images.channels * Int(shape.height) * Int(shape.width)
        ParallelLoop.forEachChunk(count: g.batch, minimumChunk: minimumChunk(work: work)) { samples in
            let scratch = Scratch(count: embeddedCount)
            defer { scratch.release() }
            withUnsafePointer(to: shape) { shape in
                for s in samples {
                    for gi in 0..<g.groups {
                        var image = UnsafePointer(images.group(gi, of: s, groups: g.groups))
                        if let offset {
                            mino_conv_embed(image, Int32(images.channels), Int32(images.height), Int32(images.width),
                                            scratch.pointer, shape.pointee.height, shape.pointee.width,
                                            Int32(offset.top), Int32(offset.left))
                            image = UnsafePointer(scratch.pointer)
                        }
                        mino_conv_forward(shape, packed + gi * packedPerGroup, bias + gi * biasPerGroup, sb, image,
                                          output + (s * g.groups + gi) * outputPerGroup)
                    }
                }
            }
        }
    }

    // MARK: Weight gradient

    /// The most bytes of 16-lane partial sums (`O·K·16` floats per block of samples) the weight
    /// gradient keeps; larger weights take the gemm path.
    static let partialBytesLimit = 16 << 20

    /// Bytes of input and output gradient one weight-gradient call covers (a run of samples).
    static let runBytes = 128 << 10

    /// `∂w` `[O C/g kh kw]` of `conv2d` from `x` `[N C H W]` and the output gradient `up` `[N O Ho Wo]`;
    /// false where the direct kernels do not apply. Each thread's block of samples sums into its own
    /// partial buffer; the blocks are added in order after, so the result does not depend on timing.
    static func weightGradient<T: BLASFloat>(_ px: UnsafeMutablePointer<T>, _ pu: UnsafeMutablePointer<T>,
                                             _ plan: BLASConvolution.Plan, into po: UnsafeMutablePointer<T>) -> Bool {
        let g = plan.g
        let (cg, og, k) = (plan.cg, plan.og, plan.k)
        let (hp, wp) = (g.paddedHeight, g.paddedWidth)
        let entries = g.outChannels * k
        let blocks = Swift.max(1, Swift.min(g.batch, BLASThreads.count))
        guard T.self == Float.self, let shape = shape(g, channels: cg, height: hp, width: wp, outChannels: og),
              entries <= Int(Int32.max) / 16,
              let partialBytes = try? Ops.checkedProduct("conv2dWeightBackward",
                                                        [blocks, entries, 16, MemoryLayout<Float>.stride]),
              partialBytes <= partialBytesLimit else { return false }
        let (x, up) = (px.rebound(Float.self), pu.rebound(Float.self))
        let (plane, paddedPlane, outPlane) = (g.height * g.width, hp * wp, g.outHeight * g.outWidth)
        let partialStride = entries * 16
        let partials = Scratch(count: blocks * partialStride)
        defer { partials.release() }
        // Samples per kernel call: the tiles sweep the whole run, so it should stay in L2.
        let sampleBytes = (cg * paddedPlane + og * outPlane) * MemoryLayout<Float>.stride
        let run = Swift.max(1, Swift.min(g.batch, runBytes / Swift.max(sampleBytes, 1)))
        // Samples of block b: b·N/blocks ..< (b + 1)·N/blocks.
        ParallelLoop.forEachChunk(count: blocks) { blockRange in
            let scratch = Scratch(count: g.isPadded ? run * cg * paddedPlane : 0)
            defer { scratch.release() }
            withUnsafePointer(to: shape) { shape in
                for b in blockRange {
                    let partial = partials.pointer + b * partialStride
                    partial.initialize(repeating: 0, count: partialStride)
                    var s0 = b * g.batch / blocks
                    let end = (b + 1) * g.batch / blocks
                    while s0 < end {
                        let count = Swift.min(run, end - s0)
                        for gi in 0..<g.groups {
                            var image = UnsafePointer(x + (s0 * g.channels + gi * cg) * plane)
                            var imageStride = g.channels * plane
                            if g.isPadded {
                                for s in 0..<count {
                                    mino_conv_embed(image + s * imageStride, Int32(cg), Int32(g.height),
                                                    Int32(g.width), scratch.pointer + s * cg * paddedPlane,
                                                    Int32(hp), Int32(wp), Int32(g.padHeight), Int32(g.padWidth))
                                }
                                (image, imageStride) = (UnsafePointer(scratch.pointer), cg * paddedPlane)
                            }
                            mino_conv_weight_gradient_accumulate(shape, image, imageStride,
                                                                 up + (s0 * g.outChannels + gi * og) * outPlane,
                                                                 g.outChannels * outPlane, Int32(count),
                                                                 partial + gi * og * k * 16)
                        }
                        s0 += count
                    }
                }
            }
        }
        mino_conv_weight_gradient_reduce(partials.pointer, partialStride, Int32(blocks), Int32(entries),
                                         po.rebound(Float.self))
        return true
    }

    // MARK: Buffers

    /// Float32 scratch from the shared buffer cache (64-byte aligned), handed back by `release`.
    struct Scratch {
        let pointer: UnsafeMutablePointer<Float>
        private let block: UnsafeMutableRawPointer
        private let size: Int

        init(count: Int) {
            (block, size) = CPUBufferCache.shared.take(count * MemoryLayout<Float>.stride)
            pointer = block.assumingMemoryBound(to: Float.self)
        }

        func release() { CPUBufferCache.shared.give(block, size: size) }
    }

    typealias PackedWeights = Scratch
}
