import MinoCore

/// Loops over CPU storages shared by the kernels of the CPU backends:
/// elementwise maps over strided views, and view-to-view copies.
public enum CPUKernels {
    /// `out[i] = f(x[i])` into a new contiguous storage of `dtype`.
    ///
    /// Inlinable, like `zip` and `copy`: the reference backend calls these from its
    /// own module, and only an inlinable generic is specialised there (otherwise every
    /// element goes through a closure call and generic witness tables).
    @inlinable @inline(__always)
    public static func map<T, R>(_ x: CPUStorage, to dtype: DType, _: T.Type, _: R.Type,
                                 _ f: (T) -> R) -> CPUStorage {
        let out = CPUStorage(uninitialized: x.shape, dtype: dtype)
        let src = x.pointer(T.self), dst = out.pointer(R.self)
        if x.isContiguous {
            for i in 0..<x.shape.elementCount { dst[i] = f(src[i]) }
            return out
        }
        let loop = StridedLoop(shape: x.shape, strides: [x.strides, x.shape.contiguousStrides])
        let (sx, so) = (loop.innerStrides[0], loop.innerStrides[1])
        loop.forEachRow { bases, count in
            let s = src + bases[0], d = dst + bases[1]
            for i in 0..<count { d[i * so] = f(s[i * sx]) }
        }
        return out
    }

    /// `out[i] = f(a[i], b[i])`, broadcast to `shape`, into a new contiguous storage.
    @inlinable @inline(__always)
    public static func zip<T, R>(_ a: CPUStorage, _ b: CPUStorage, shape: Shape, to dtype: DType,
                                 _: T.Type, _: R.Type, _ f: (T, T) -> R) -> CPUStorage {
        let out = CPUStorage(uninitialized: shape, dtype: dtype)
        let pa = a.pointer(T.self), pb = b.pointer(T.self), po = out.pointer(R.self)
        let n = shape.elementCount
        if a.isContiguous && b.isContiguous && a.shape == shape && b.shape == shape {
            for i in 0..<n { po[i] = f(pa[i], pb[i]) }
            return out
        }
        let loop = StridedLoop(shape: shape, strides: [a.broadcastStrides(to: shape), b.broadcastStrides(to: shape),
                                                       shape.contiguousStrides])
        let inner = loop.innerStrides
        let (sa, sb, so) = (inner[0], inner[1], inner[2])
        loop.forEachRow { bases, count in
            let ra = pa + bases[0], rb = pb + bases[1], ro = po + bases[2]
            if sb == 0 && sa == 1 && so == 1 {
                let vb = rb[0]
                for i in 0..<count { ro[i] = f(ra[i], vb) }
            } else if sa == 0 && sb == 1 && so == 1 {
                let va = ra[0]
                for i in 0..<count { ro[i] = f(va, rb[i]) }
            } else {
                for i in 0..<count { ro[i * so] = f(ra[i * sa], rb[i * sb]) }
            }
        }
        return out
    }

    /// Copies the elements of view `source` into view `destination` (one shape),
    /// combining with what is there when `accumulate` is set (`+=`).
    @inlinable
    public static func copy<T: AdditiveArithmetic>(_ source: CPUStorage, into destination: CPUStorage,
                                                   _: T.Type, accumulate: Bool = false) {
        let ps = source.pointer(T.self), pd = destination.pointer(T.self)
        let loop = StridedLoop(shape: destination.shape,
                               strides: [source.broadcastStrides(to: destination.shape), destination.strides])
        let (ss, sd) = (loop.innerStrides[0], loop.innerStrides[1])
        loop.forEachRow { bases, count in
            let s = ps + bases[0], d = pd + bases[1]
            if accumulate {
                for i in 0..<count { d[i * sd] += s[i * ss] }
            } else if ss == 1 && sd == 1 {
                d.update(from: s, count: count)
            } else {
                for i in 0..<count { d[i * sd] = s[i * ss] }
            }
        }
    }

    /// `copy` dispatched on the storages' dtype.
    public static func copy(_ source: CPUStorage, into destination: CPUStorage, accumulate: Bool = false) {
        switch destination.dtype {
        case .float32: copy(source, into: destination, Float.self, accumulate: accumulate)
        case .float64: copy(source, into: destination, Double.self, accumulate: accumulate)
        case .int64: copy(source, into: destination, Int64.self, accumulate: accumulate)
        }
    }

    /// The view of `storage` at `ranges` (one clamped range per axis).
    public static func sliceView(_ storage: CPUStorage, _ ranges: [SliceRange]) -> CPUStorage {
        var offset = storage.offset
        var strides = storage.strides
        for (axis, r) in ranges.enumerated() {
            offset += r.start * storage.strides[axis]
            strides[axis] *= r.step
        }
        return storage.view(shape: Shape(ranges.map(\.count)), strides: strides, offset: offset)
    }

    /// The view of `storage` at position `index` of `axis`, that axis removed.
    public static func subview(_ storage: CPUStorage, axis: Int, index: Int) -> CPUStorage {
        var dims = storage.shape.dims
        var strides = storage.strides
        let offset = storage.offset + index * strides[axis]
        dims.remove(at: axis)
        strides.remove(at: axis)
        return storage.view(shape: Shape(dims), strides: strides, offset: offset)
    }

    /// The int64 indices of `storage` (any layout), each checked to lie in `0..<size`.
    ///
    /// - Throws: ``MinoError`` `.argument` naming the op and the bad index.
    public static func indices(_ storage: CPUStorage, below size: Int, op: String) throws -> [Int] {
        guard storage.dtype == .int64 else {
            throw MinoError.dtype(op, "indices must be int64, got \(storage.dtype)")
        }
        let values = CPUTransfer.download(storage).int64s
        var out: [Int] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard v >= 0, v < Int64(size) else {
                throw MinoError.argument(op, "index \(v) is out of range for an axis of size \(size)")
            }
            out.append(Int(v))
        }
        return out
    }
}
