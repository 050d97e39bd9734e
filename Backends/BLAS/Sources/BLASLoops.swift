import MinoCore
import MinoCPU

/// The elementwise loops of the blas backend. Common layouts (contiguous
/// operands, a scalar, a bias row repeated down a matrix, a column repeated
/// across it) run as flat loops over raw pointers that the compiler
/// vectorises; anything else walks rows with ``StridedLoop``.
///
/// These are generic over the element type and inlined into each kernel, so
/// every kernel gets its own specialised, vectorised loop.
enum BLASLoops {
    /// `out[i] = f(x[i])` into a new contiguous storage.
    @inline(__always)
    static func map<T>(_ x: CPUStorage, _ f: (T) -> T) -> CPUStorage {
        let out = CPUStorage(uninitialized: x.shape, dtype: x.dtype)
        let dst = out.pointer(T.self)
        let src = x.pointer(T.self)
        if x.isContiguous {
            for i in 0..<x.shape.elementCount { dst[i] = f(src[i]) }
            return out
        }
        let loop = StridedLoop(shape: x.shape, strides: [x.strides, x.shape.contiguousStrides])
        let sx = loop.innerStrides[0]
        loop.forEachRow { bases, count in
            let s = src + bases[0], d = dst + bases[1]
            if sx == 1 {
                for i in 0..<count { d[i] = f(s[i]) }
            } else {
                for i in 0..<count { d[i] = f(s[i * sx]) }
            }
        }
        return out
    }

    /// How an operand of a binary op repeats over the output, when it does so simply.
    enum Pattern {
        /// Contiguous, with the output's element count: read element i.
        case full
        /// One element, read everywhere.
        case scalar
        /// Contiguous, a suffix of the output's shape (a bias row): read i mod period.
        case rows(period: Int)
        /// Contiguous, a prefix of the output's shape followed by ones (a column):
        /// read i / block.
        case columns(block: Int)
    }

    /// The simple pattern of `x` broadcast to `shape`, or nil.
    @inline(__always)
    static func pattern(_ x: CPUStorage, _ shape: Shape, _ n: Int) -> Pattern? {
        let count = x.shape.elementCount
        if count == 1 { return .scalar }
        guard x.isContiguous else {
            // One element repeated everywhere (a scalar gradient expanded to a shape).
            for axis in 0..<x.rank where x.shape[axis] != 1 && x.strides[axis] != 0 { return nil }
            return .scalar
        }
        if count == n { return .full }
        // Drop x's leading ones; what remains must match the end of `shape` (rows)...
        let dims = x.shape.dims
        var first = 0
        while first < dims.count && dims[first] == 1 { first += 1 }
        let kept = dims.count - first
        if kept <= shape.rank {
            var suffix = true
            for i in 0..<kept where dims[first + i] != shape[shape.rank - kept + i] { suffix = false; break }
            if suffix { return .rows(period: count) }
        }
        // ...or the start of `shape`, followed by ones (a column).
        let offset = shape.rank - dims.count
        var split = 0
        while split < shape.rank && (split < offset ? 1 : dims[split - offset]) == shape[split] { split += 1 }
        for axis in split..<shape.rank where (axis < offset ? 1 : dims[axis - offset]) != 1 { return nil }
        return .columns(block: n / count)
    }

    /// `out[i] = f(a[i], b[i])`, broadcast to `shape`, into a new contiguous storage.
    @inline(__always)
    static func zip<T, R>(_ a: CPUStorage, _ b: CPUStorage, shape: Shape, to dtype: DType,
                          _: R.Type, _ f: (T, T) -> R) -> CPUStorage {
        let out = CPUStorage(uninitialized: shape, dtype: dtype)
        let n = shape.elementCount
        let pa = a.pointer(T.self), pb = b.pointer(T.self), po = out.pointer(R.self)
        if n == 0 { return out }
        if fastZip(pa, pattern(a, shape, n), pb, pattern(b, shape, n), po, n, f) { return out }
        let loop = StridedLoop(shape: shape, strides: [a.broadcastStrides(to: shape), b.broadcastStrides(to: shape),
                                                       shape.contiguousStrides])
        let inner = loop.innerStrides
        let (sa, sb) = (inner[0], inner[1])
        loop.forEachRow { bases, count in
            let ra = pa + bases[0], rb = pb + bases[1], ro = po + bases[2]
            if sa == 1 && sb == 1 {
                for i in 0..<count { ro[i] = f(ra[i], rb[i]) }
            } else if sa == 1 && sb == 0 {
                let vb = rb[0]
                for i in 0..<count { ro[i] = f(ra[i], vb) }
            } else if sa == 0 && sb == 1 {
                let va = ra[0]
                for i in 0..<count { ro[i] = f(va, rb[i]) }
            } else {
                for i in 0..<count { ro[i] = f(ra[i * sa], rb[i * sb]) }
            }
        }
        return out
    }

    /// The flat loops for simple patterns; false when the operands need the strided walk.
    @inline(__always)
    static func fastZip<T, R>(_ pa: UnsafeMutablePointer<T>, _ qa: Pattern?, _ pb: UnsafeMutablePointer<T>,
                              _ qb: Pattern?, _ po: UnsafeMutablePointer<R>, _ n: Int,
                              _ f: (T, T) -> R) -> Bool {
        guard let qa, let qb else { return false }
        switch (qa, qb) {
        case (.full, .full):
            for i in 0..<n { po[i] = f(pa[i], pb[i]) }
        case (.full, .scalar):
            let vb = pb[0]
            for i in 0..<n { po[i] = f(pa[i], vb) }
        case (.scalar, .full):
            let va = pa[0]
            for i in 0..<n { po[i] = f(va, pb[i]) }
        case (.scalar, .scalar) where n == 1:
            po[0] = f(pa[0], pb[0])
        case (.full, .rows(let period)):
            var start = 0
            while start < n {
                let ra = pa + start, ro = po + start
                for j in 0..<period { ro[j] = f(ra[j], pb[j]) }
                start += period
            }
        case (.rows(let period), .full):
            var start = 0
            while start < n {
                let rb = pb + start, ro = po + start
                for j in 0..<period { ro[j] = f(pa[j], rb[j]) }
                start += period
            }
        case (.full, .columns(let block)):
            for r in 0..<(n / block) {
                let vb = pb[r], ra = pa + r * block, ro = po + r * block
                for j in 0..<block { ro[j] = f(ra[j], vb) }
            }
        case (.columns(let block), .full):
            for r in 0..<(n / block) {
                let va = pa[r], rb = pb + r * block, ro = po + r * block
                for j in 0..<block { ro[j] = f(va, rb[j]) }
            }
        default:
            return false
        }
        return true
    }
}
