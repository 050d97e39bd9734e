import MinoCore
import MinoCPU

/// Max pooling as direct loops over each window of each `[H W]` plane, with
/// the semantics of the composites they replace (`maxPool2d`: the max of the
/// window's columns, padding read as −∞, NaN when any element is NaN;
/// `maxPool2dBackward`: each window's gradient added at its first maximum,
/// a NaN counting as the maximum, as `argmax` picks it).
enum BLASPooling {
    /// Outputs handled together (a block of whole planes): the scratch rows stay in L1/L2.
    static let blockOutputs = 4096

    /// `[N C Ho Wo]`: the largest value of each window.
    static func maxPool2d<T: BLASFloat>(_ inputs: [Operand], _ window: Window, _: T.Type) throws -> CPUStorage? {
        var w = window
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let g = try Ops.poolGeometry("maxPool2d", x.shape, &w)
        let out = CPUStorage(uninitialized: [g.batch, g.channels, g.outHeight, g.outWidth], dtype: x.dtype)
        let px = x.pointer(T.self), po = out.pointer(T.self)
        if NativePooling.forward(px, g, into: po) { return out }
        let hasNaN = containsNaN(px, x.shape.elementCount)
        if T.self == Float.self && !hasNaN && PoolingPairs.applies(g) {
            PoolingPairs.forward(px.rebound(Float.self), g, into: po.rebound(Float.self))
            return out
        }
        forEachBlock(g, T.self) { p0, planes, candidates, at, _ in
            let offset = p0 * g.outHeight * g.outWidth
            firstMaxima(px, g, planes: p0..<(p0 + planes), candidates: candidates, best: po + offset, at: at,
                        hasNaN: hasNaN)
        }
        return out
    }

    /// `[N C H W]`: the output gradient `inputs[1]` of each window added at the window's first
    /// maximum in `inputs[0]` (padded positions take no gradient).
    static func maxPool2dBackward<T: BLASFloat>(_ inputs: [Operand], _ window: Window, _: T.Type) throws
        -> CPUStorage? {
        guard inputs.count == 2 else { return nil }
        var w = window
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let up = CPUTransfer.contiguous(try inputs[1].cpu())
        let g = try Ops.poolGeometry("maxPool2dBackward", x.shape, &w)
        let out = CPUStorage(uninitialized: x.shape, dtype: x.dtype)
        let (h, wd, ho, wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let px = x.pointer(T.self), pu = up.pointer(T.self), po = out.pointer(T.self)
        if NativePooling.backward(px, pu, g, into: po) { return out }
        let hasNaN = containsNaN(px, x.shape.elementCount)
        if T.self == Float.self && !hasNaN && PoolingPairs.applies(g) {
            PoolingPairs.backward(px.rebound(Float.self), pu.rebound(Float.self), g, into: po.rebound(Float.self))
            return out
        }
        po.initialize(repeating: 0, count: x.shape.elementCount)
        let kernel = 0..<(g.kernelHeight * g.kernelWidth)
        let rows = kernel.map { $0 / g.kernelWidth }, columns = kernel.map { $0 % g.kernelWidth }
        // Offset k as a shift from the window's corner in the plane, in a buffer (no bounds checks).
        let shifts = UnsafeMutablePointer<Int>.allocate(capacity: kernel.count)
        defer { shifts.deallocate() }
        for k in kernel { shifts[k] = rows[k] * wd + columns[k] }
        forEachBlock(g, T.self) { p0, planes, candidates, at, best in
            firstMaxima(px, g, planes: p0..<(p0 + planes), candidates: candidates, best: best, at: at, hasNaN: hasNaN)
            // Window offset k = i·kw + j of each first maximum → its position in the plane.
            let offsets = candidates.rebound(Int32.self)
            windowOffsets(at, planes * ho * wo, into: offsets)
            var o = 0
            for p in p0..<(p0 + planes) {
                let gradient = po + p * h * wd, upstream = pu + p * ho * wo
                for y in 0..<ho {
                    let top = y * g.strideHeight - g.padHeight
                    if !g.isPadded {
                        // Every window inside the plane: position = window corner + the offset's shift.
                        let row = gradient + top * wd, up = upstream + y * wo, at = offsets + o
                        for xx in 0..<wo {
                            row[xx &* g.strideWidth &+ shifts[Int(at[xx])]] += up[xx]
                        }
                        o += wo
                        continue
                    }
                    for xx in 0..<wo {
                        let k = Int(offsets[o])
                        let (iy, ix) = (top + rows[k], xx * g.strideWidth - g.padWidth + columns[k])
                        if iy >= 0 && iy < h && ix >= 0 && ix < wd { gradient[iy * wd + ix] += upstream[y * wo + xx] }
                        o += 1
                    }
                }
            }
        }
        return out
    }

    /// Calls `body(firstPlane, planeCount, candidates, at, best)` for blocks of whole planes with
    /// scratch rows of the block's output count (at least one plane).
    static func forEachBlock<T: BLASFloat>(_ g: ConvGeometry, _: T.Type,
                                           _ body: (Int, Int, UnsafeMutablePointer<T>, UnsafeMutablePointer<T>,
                                                    UnsafeMutablePointer<T>) -> Void) {
        let planes = g.batch * g.channels, perPlane = g.outHeight * g.outWidth
        if planes == 0 || perPlane == 0 { return }
        let step = Swift.max(1, Swift.min(planes, blockOutputs / perPlane))
        let n = step * perPlane
        let (block, size) = CPUBufferCache.shared.take(3 * n * MemoryLayout<T>.stride)
        defer { CPUBufferCache.shared.give(block, size: size) }
        let scratch = block.assumingMemoryBound(to: T.self)
        var p0 = 0
        while p0 < planes {
            let count = Swift.min(step, planes - p0)
            body(p0, count, scratch, scratch + n, scratch + 2 * n)
            p0 += count
        }
    }

    /// The window offsets `at[0..<n]` (small whole numbers of type T) as integers, converted
    /// with the concrete type's instruction (the generic conversion is a slow library call).
    static func windowOffsets<T: BLASFloat>(_ at: UnsafeMutablePointer<T>, _ n: Int,
                                            into offsets: UnsafeMutablePointer<Int32>) {
        if T.self == Float.self {
            let f = at.rebound(Float.self)
            for o in 0..<n { offsets[o] = Int32(f[o]) }
        } else if T.self == Double.self {
            let d = at.rebound(Double.self)
            for o in 0..<n { offsets[o] = Int32(d[o]) }
        } else {
            for o in 0..<n { offsets[o] = Int32(at[o]) }
        }
    }

    /// Whether every one of `p[0..<n]` is finite (`v − v` is NaN exactly for ±∞ and NaN).
    static func allFinite<T: BLASFloat>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> Bool {
        var o = 0
        if T.self == Float.self {
            let (found, done) = PoolingSIMD.containsNonFinite(p.rebound(Float.self), n)
            if found { return false }
            o = done
        } else if T.self == Double.self {
            let (found, done) = PoolingSIMD.containsNonFinite(p.rebound(Double.self), n)
            if found { return false }
            o = done
        }
        while o < n {
            if !p[o].isFinite { return false }
            o += 1
        }
        return true
    }

    /// Whether any of `p[0..<n]` is NaN.
    static func containsNaN<T: BLASFloat>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> Bool {
        var o = 0
        if T.self == Float.self {
            let (found, done) = PoolingSIMD.containsNaN(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self), n)
            if found { return true }
            o = done
        } else if T.self == Double.self {
            let (found, done) = PoolingSIMD.containsNaN(UnsafeMutableRawPointer(p).assumingMemoryBound(to: Double.self), n)
            if found { return true }
            o = done
        }
        while o < n {
            if p[o].isNaN { return true }
            o += 1
        }
        return false
    }

    /// For the outputs of `planes` (flattened, `o = (p·Ho + y)·Wo + x` from the block's first
    /// plane): each window's maximum into `best`, and the window offset `k = i·kw + j` of its
    /// first maximum into `at` (as a number of type T; offsets are small integers).
    ///
    /// For each window offset in order the candidates of every output are gathered into one row
    /// (−∞ at padded positions), then `best` and `at` are updated with SIMD selects: take `v`
    /// when `v > best`, or (inputs with NaN only) when `v` is the first NaN, as `argmax` does.
    /// Padding, −∞, is only ever taken as the first candidate. Branch-free, since the maxima of
    /// real data are unpredictable branches.
    @inline(__always)
    static func firstMaxima<T: BLASFloat>(_ x: UnsafeMutablePointer<T>, _ g: ConvGeometry, planes: Range<Int>,
                                          candidates: UnsafeMutablePointer<T>, best: UnsafeMutablePointer<T>,
                                          at: UnsafeMutablePointer<T>, hasNaN: Bool) {
        let (h, wd, ho, wo, sw) = (g.height, g.width, g.outHeight, g.outWidth, g.strideWidth)
        let n = planes.count * ho * wo
        var k = 0
        for i in 0..<g.kernelHeight {
            for j in 0..<g.kernelWidth {
                let x0 = j - g.padWidth
                let (lo, hi) = BLASConvolution.inside(x0, stride: sw, width: wd, outputs: wo)
                var row = candidates
                for p in planes {
                    let plane = x + p * h * wd
                    for y in 0..<ho {
                        let iy = y * g.strideHeight - g.padHeight + i
                        if iy < 0 || iy >= h {
                            for xx in 0..<wo { row[xx] = -T.infinity }
                        } else {
                            let src = plane + iy * wd + x0
                            for xx in 0..<lo { row[xx] = -T.infinity }
                            for xx in lo..<hi { row[xx] = src[xx &* sw] }
                            for xx in hi..<wo { row[xx] = -T.infinity }
                        }
                        row += wo
                    }
                }
                if k == 0 {
                    best.update(from: candidates, count: n)
                    at.initialize(repeating: 0, count: n)
                } else {
                    select(candidates, best, at, T(k), n, hasNaN: hasNaN)
                }
                k += 1
            }
        }
    }

    /// `best[o], at[o] = v[o], k` where `v[o]` is taken (see ``firstMaxima``).
    @inline(__always)
    static func select<T: BLASFloat>(_ v: UnsafeMutablePointer<T>, _ best: UnsafeMutablePointer<T>,
                                     _ at: UnsafeMutablePointer<T>, _ k: T, _ n: Int, hasNaN: Bool) {
        var o = 0
        if !hasNaN {
            if T.self == Float.self {
                o = PoolingSIMD.selectGreater(v.rebound(Float.self), best.rebound(Float.self), at.rebound(Float.self),
                                              Float(k), n)
            } else if T.self == Double.self {
                o = PoolingSIMD.selectGreater(v.rebound(Double.self), best.rebound(Double.self),
                                              at.rebound(Double.self), Double(k), n)
            }
        }
        while o < n {
            let c = v[o], b = best[o]
            if c > b || (c != c && b == b) {
                best[o] = c
                at[o] = k
            }
            o += 1
        }
    }
}

extension UnsafeMutablePointer {
    /// The same memory seen as elements of `U` (the caller checked that `U` is `Pointee`).
    @inline(__always)
    func rebound<U>(_: U.Type) -> UnsafeMutablePointer<U> {
        UnsafeMutableRawPointer(self).assumingMemoryBound(to: U.self)
    }
}

/// The SIMD loops of max pooling, written for the concrete types: in generic code Swift's SIMD
/// operators resolve to their scalar-loop defaults, not to vector instructions.
enum PoolingSIMD {
    /// Whether a NaN is among the first whole vectors of `p[0..<n]`, and how far that reached.
    @inline(__always)
    static func containsNaN(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> (Bool, Int) {
        var o = 0
        var found = SIMDMask<SIMD16<Int32>>(repeating: false)
        while o + 16 <= n {
            let v = UnsafeRawPointer(p + o).loadUnaligned(as: SIMD16<Float>.self)
            found = found .| (v .!= v)
            o += 16
        }
        return (any(found), o)
    }

    @inline(__always)
    static func containsNaN(_ p: UnsafeMutablePointer<Double>, _ n: Int) -> (Bool, Int) {
        var o = 0
        var found = SIMDMask<SIMD8<Int64>>(repeating: false)
        while o + 8 <= n {
            let v = UnsafeRawPointer(p + o).loadUnaligned(as: SIMD8<Double>.self)
            found = found .| (v .!= v)
            o += 8
        }
        return (any(found), o)
    }

    /// Whether a non-finite value is among the first whole vectors of `p[0..<n]`, and how far that reached.
    @inline(__always)
    static func containsNonFinite(_ p: UnsafeMutablePointer<Float>, _ n: Int) -> (Bool, Int) {
        var o = 0
        var found = SIMDMask<SIMD16<Int32>>(repeating: false)
        while o + 16 <= n {
            let v = UnsafeRawPointer(p + o).loadUnaligned(as: SIMD16<Float>.self)
            let d = v - v
            found = found .| (d .!= d)
            o += 16
        }
        return (any(found), o)
    }

    @inline(__always)
    static func containsNonFinite(_ p: UnsafeMutablePointer<Double>, _ n: Int) -> (Bool, Int) {
        var o = 0
        var found = SIMDMask<SIMD8<Int64>>(repeating: false)
        while o + 8 <= n {
            let v = UnsafeRawPointer(p + o).loadUnaligned(as: SIMD8<Double>.self)
            let d = v - v
            found = found .| (d .!= d)
            o += 8
        }
        return (any(found), o)
    }

    /// `best, at = v, k` where `v > best`, over the first whole vectors; returns how far it got.
    @inline(__always)
    static func selectGreater(_ v: UnsafeMutablePointer<Float>, _ best: UnsafeMutablePointer<Float>,
                              _ at: UnsafeMutablePointer<Float>, _ k: Float, _ n: Int) -> Int {
        let kk = SIMD16<Float>(repeating: k)
        var o = 0
        while o + 16 <= n {
            let c = UnsafeRawPointer(v + o).loadUnaligned(as: SIMD16<Float>.self)
            let b = UnsafeRawPointer(best + o).loadUnaligned(as: SIMD16<Float>.self)
            let a = UnsafeRawPointer(at + o).loadUnaligned(as: SIMD16<Float>.self)
            let take = c .> b
            UnsafeMutableRawPointer(best + o).storeBytes(of: b.replacing(with: c, where: take), as: SIMD16<Float>.self)
            UnsafeMutableRawPointer(at + o).storeBytes(of: a.replacing(with: kk, where: take), as: SIMD16<Float>.self)
            o += 16
        }
        return o
    }

    @inline(__always)
    static func selectGreater(_ v: UnsafeMutablePointer<Double>, _ best: UnsafeMutablePointer<Double>,
                              _ at: UnsafeMutablePointer<Double>, _ k: Double, _ n: Int) -> Int {
        let kk = SIMD8<Double>(repeating: k)
        var o = 0
        while o + 8 <= n {
            let c = UnsafeRawPointer(v + o).loadUnaligned(as: SIMD8<Double>.self)
            let b = UnsafeRawPointer(best + o).loadUnaligned(as: SIMD8<Double>.self)
            let a = UnsafeRawPointer(at + o).loadUnaligned(as: SIMD8<Double>.self)
            let take = c .> b
            UnsafeMutableRawPointer(best + o).storeBytes(of: b.replacing(with: c, where: take), as: SIMD8<Double>.self)
            UnsafeMutableRawPointer(at + o).storeBytes(of: a.replacing(with: kk, where: take), as: SIMD8<Double>.self)
            o += 8
        }
        return o
    }
}

/// Max pooling's most common window, 2×2 with stride 2 and no padding, on float32 inputs
/// without NaN when the native kernels are off (``NativePooling`` otherwise), as whole-vector code: the two input rows of each output row are copied into
/// two long runs (one per window row), whose even and odd elements are the window's left and
/// right values, so every comparison and every gradient write is a SIMD select over 8
/// outputs, with no gather, scatter or branch per window.
enum PoolingPairs {
    /// Outputs per block of whole planes (the runs stay in L1/L2).
    static let blockOutputs = 2048

    static func applies(_ g: ConvGeometry) -> Bool {
        g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2 && !g.isPadded
    }

    /// The maxima `[N C Ho Wo]` into `out`.
    static func forward(_ x: UnsafeMutablePointer<Float>, _ g: ConvGeometry, into out: UnsafeMutablePointer<Float>) {
        forEachBlock(x, g) { p0, n, top, bottom in
            let target = out + p0 * g.outHeight * g.outWidth
            var o = 0
            while o + 8 <= n {
                let (a, b, c, d) = window(top, bottom, o)
                let upper = a.replacing(with: b, where: b .> a), lower = c.replacing(with: d, where: d .> c)
                UnsafeMutableRawPointer(target + o).storeBytes(of: upper.replacing(with: lower, where: lower .> upper),
                                                               as: SIMD8<Float>.self)
                o += 8
            }
            while o < n {
                let (a, b, c, d) = (top[2 * o], top[2 * o + 1], bottom[2 * o], bottom[2 * o + 1])
                let upper = b > a ? b : a, lower = d > c ? d : c
                target[o] = lower > upper ? lower : upper
                o += 1
            }
        }
    }

    /// `[N C H W]` into `dx`: each window's gradient at its first maximum (order a b / c d, a
    /// later value taken only when larger), 0 elsewhere.
    static func backward(_ x: UnsafeMutablePointer<Float>, _ upstream: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                         into dx: UnsafeMutablePointer<Float>) {
        let (h, wd, ho, wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let planeSize = h * wd
        if 2 * ho < h || 2 * wo < wd {
            // Rows or a column no window covers get no gradient.
            dx.initialize(repeating: 0, count: g.batch * g.channels * planeSize)
        }
        forEachBlock(x, g) { p0, n, top, bottom in
            let up = upstream + p0 * ho * wo
            var o = 0
            let zero = SIMD8<Float>(repeating: 0)
            while o + 8 <= n {
                let (a, b, c, d) = window(top, bottom, o)
                let v = UnsafeRawPointer(up + o).loadUnaligned(as: SIMD8<Float>.self)
                // Which of a b c d is the first maximum, as four disjoint masks.
                var m = a
                let takeB = b .> m
                m = m.replacing(with: b, where: takeB)
                let takeC = c .> m
                m = m.replacing(with: c, where: takeC)
                let takeD = d .> m
                let isD = takeD, isC = takeC .& .!takeD, isB = takeB .& .!takeC .& .!takeD
                let isA = .!(takeB .| takeC .| takeD)
                var upper = SIMD16<Float>(), lower = SIMD16<Float>()
                upper.evenHalf = zero.replacing(with: v, where: isA)
                upper.oddHalf = zero.replacing(with: v, where: isB)
                lower.evenHalf = zero.replacing(with: v, where: isC)
                lower.oddHalf = zero.replacing(with: v, where: isD)
                UnsafeMutableRawPointer(top + 2 * o).storeBytes(of: upper, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(bottom + 2 * o).storeBytes(of: lower, as: SIMD16<Float>.self)
                o += 8
            }
            while o < n {
                let (a, b, c, d) = (top[2 * o], top[2 * o + 1], bottom[2 * o], bottom[2 * o + 1])
                var m = a, k = 0
                if b > m { m = b; k = 1 }
                if c > m { m = c; k = 2 }
                if d > m { k = 3 }
                let v = up[o]
                top[2 * o] = k == 0 ? v : 0
                top[2 * o + 1] = k == 1 ? v : 0
                bottom[2 * o] = k == 2 ? v : 0
                bottom[2 * o + 1] = k == 3 ? v : 0
                o += 1
            }
            // The runs, now gradients, back to the window rows of each plane.
            var r = 0
            for p in p0..<(p0 + n / (ho * wo)) {
                let plane = dx + p * planeSize
                for y in 0..<ho {
                    (plane + 2 * y * wd).update(from: top + r * 2 * wo, count: 2 * wo)
                    (plane + (2 * y + 1) * wd).update(from: bottom + r * 2 * wo, count: 2 * wo)
                    r += 1
                }
            }
        }
    }

    /// The window values `a b / c d` of outputs `o ..< o + 8` from the two runs.
    @inline(__always)
    static func window(_ top: UnsafeMutablePointer<Float>, _ bottom: UnsafeMutablePointer<Float>, _ o: Int)
        -> (SIMD8<Float>, SIMD8<Float>, SIMD8<Float>, SIMD8<Float>) {
        let upper = UnsafeRawPointer(top + 2 * o).loadUnaligned(as: SIMD16<Float>.self)
        let lower = UnsafeRawPointer(bottom + 2 * o).loadUnaligned(as: SIMD16<Float>.self)
        return (upper.evenHalf, upper.oddHalf, lower.evenHalf, lower.oddHalf)
    }

    /// Calls `body(firstPlane, outputs, top, bottom)` for blocks of whole planes, with `top` and
    /// `bottom` the runs of the block's window rows `2y` and `2y + 1` (`2·Wo` values per output row).
    static func forEachBlock(_ x: UnsafeMutablePointer<Float>, _ g: ConvGeometry,
                             _ body: (Int, Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let (h, wd, ho, wo) = (g.height, g.width, g.outHeight, g.outWidth)
        let planes = g.batch * g.channels, perPlane = ho * wo
        if planes == 0 || perPlane == 0 { return }
        let step = Swift.max(1, Swift.min(planes, blockOutputs / perPlane))
        let (block, size) = CPUBufferCache.shared.take(4 * step * perPlane * MemoryLayout<Float>.stride)
        defer { CPUBufferCache.shared.give(block, size: size) }
        let top = block.assumingMemoryBound(to: Float.self), bottom = top + 2 * step * perPlane
        var p0 = 0
        while p0 < planes {
            let count = Swift.min(step, planes - p0)
            var r = 0
            for p in p0..<(p0 + count) {
                let plane = x + p * h * wd
                for y in 0..<ho {
                    (top + r * 2 * wo).update(from: plane + 2 * y * wd, count: 2 * wo)
                    (bottom + r * 2 * wo).update(from: plane + (2 * y + 1) * wd, count: 2 * wo)
                    r += 1
                }
            }
            body(p0, count * perPlane, top, bottom)
            p0 += count
        }
    }
}
