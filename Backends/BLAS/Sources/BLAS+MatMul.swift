import MinoCore
import MinoCPU

extension BLASBackend {
    public func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        let (sa, sb) = (try a.cpu(), try b.cpu())
        switch sa.dtype {
        case .float32: return try BLASMatMul.product(sa, sb, shape, Float.self)
        case .float64: return try BLASMatMul.product(sa, sb, shape, Double.self)
        case .int64: throw MinoError.dtype("matmul", "needs floating-point tensors, got int64")
        }
    }
}

/// How one matrix operand is laid out in memory, as BLAS sees it.
struct MatrixLayout {
    /// Stored as its transpose (column-major): pass `CblasTrans`.
    let transposed: Bool
    /// The leading dimension: the stride between stored rows.
    let ld: Int

    /// The layout of a `rows × cols` matrix with these element strides, or nil
    /// when BLAS cannot read it as it is (broadcast rows, two non-unit strides).
    ///
    /// A row-major matrix (unit column stride) is read as it is; a transposed
    /// view (unit row stride, from `transposed()` or `permute`) is read with
    /// `CblasTrans`, without a copy. An axis of size 1 accepts any stride.
    static func of(rows: Int, cols: Int, rowStride: Int, colStride: Int) -> MatrixLayout? {
        if cols == 1 || colStride == 1 {
            let ld = rows == 1 ? Swift.max(cols, 1) : rowStride
            if ld >= Swift.max(cols, 1) { return MatrixLayout(transposed: false, ld: ld) }
        }
        if rows == 1 || rowStride == 1 {
            let ld = cols == 1 ? Swift.max(rows, 1) : colStride
            if ld >= Swift.max(rows, 1) { return MatrixLayout(transposed: true, ld: ld) }
        }
        return nil
    }

    /// The layout of the last two axes of `s`.
    static func of(_ s: CPUStorage) -> MatrixLayout? {
        let r = s.rank
        return of(rows: s.shape[r - 2], cols: s.shape[r - 1], rowStride: s.strides[r - 2], colStride: s.strides[r - 1])
    }
}

/// Matrix products through `cblas_?gemm`.
enum BLASMatMul {
    /// BLAS takes 32-bit sizes (`blasint`); larger ones are refused, never truncated.
    static func int32(_ value: Int, _ what: String) throws -> Int32 {
        guard let v = Int32(exactly: value) else {
            throw MinoError(.backend, "matmul: \(what) \(value) exceeds what CBLAS (32-bit sizes) accepts")
        }
        return v
    }

    /// `s` with a BLAS-readable layout for its last two axes: itself, or a contiguous copy.
    static func readable(_ s: CPUStorage) -> (CPUStorage, MatrixLayout) {
        if let layout = MatrixLayout.of(s) { return (s, layout) }
        let copy = CPUTransfer.contiguous(s)
        // A contiguous matrix is always row-major readable.
        return (copy, MatrixLayout.of(copy) ?? MatrixLayout(transposed: false, ld: Swift.max(copy.shape[copy.rank - 1], 1)))
    }

    /// `out[batch] = a[batch] @ b[batch]`, batch axes broadcast.
    static func product<T: BLASFloat>(_ a: CPUStorage, _ b: CPUStorage, _ shape: Shape, _: T.Type) throws -> CPUStorage {
        try BLASLibrary.ensureActive()
        let out = CPUStorage(uninitialized: shape, dtype: a.dtype)
        let rank = shape.rank
        let (m, n) = (shape[rank - 2], shape[rank - 1])
        let k = a.shape[a.rank - 1]
        let total = shape.elementCount
        if total == 0 { return out }
        if k == 0 {
            out.pointer(T.self).initialize(repeating: 0, count: total)
            return out
        }
        let (ca, la) = readable(a)
        let (cb, lb) = readable(b)
        let pa = ca.pointer(T.self), pb = cb.pointer(T.self), po = out.pointer(T.self)
        let (n32, k32) = (try int32(n, "dimension"), try int32(k, "dimension"))
        let (lda, ldb) = (try int32(la.ld, "leading dimension"), try int32(lb.ld, "leading dimension"))

        let batch = total / (m * n)
        if batch == 1 {
            T.gemm(transA: la.transposed, transB: lb.transposed, m: try int32(m, "dimension"), n: n32, k: k32, alpha: 1,
                   a: pa, lda: lda, b: pb, ldb: ldb, beta: 0, c: po, ldc: n32)
            return out
        }
        // `b` shared by the whole batch and `a`'s rows evenly spaced: the batch folds into m.
        if cb.shape.elementCount == k * n, let rows = foldedRows(ca, la, batch: batch, m: m, k: k) {
            T.gemm(transA: false, transB: lb.transposed, m: try int32(rows, "dimension"), n: n32, k: k32, alpha: 1,
                   a: pa, lda: lda, b: pb, ldb: ldb, beta: 0, c: po, ldc: n32)
            return out
        }
        let m32 = try int32(m, "dimension")
        let batchShape = Shape(Array(shape.dims.dropLast(2)))
        let loop = StridedLoop(shape: batchShape, strides: [batchStrides(ca, batchShape), batchStrides(cb, batchShape),
                                                            batchShape.contiguousStrides.map { $0 * m * n }])
        let inner = loop.innerStrides
        let (ia, ib, io) = (inner[0], inner[1], inner[2])
        loop.forEachRow { bases, count in
            for i in 0..<count {
                T.gemm(transA: la.transposed, transB: lb.transposed, m: m32, n: n32, k: k32, alpha: 1,
                       a: pa + (bases[0] + i * ia), lda: lda, b: pb + (bases[1] + i * ib), ldb: ldb,
                       beta: 0, c: po + (bases[2] + i * io), ldc: n32)
            }
        }
        return out
    }

    /// The row count of `a` seen as one `[batch·m, k]` row-major matrix with
    /// leading dimension `layout.ld`, when its axes allow it; else nil.
    static func foldedRows(_ a: CPUStorage, _ layout: MatrixLayout, batch: Int, m: Int, k: Int) -> Int? {
        guard !layout.transposed, a.shape.elementCount == batch * m * k else { return nil }
        var expected = layout.ld
        for axis in stride(from: a.rank - 2, through: 0, by: -1) where a.shape[axis] != 1 {
            if a.strides[axis] != expected { return nil }
            expected *= a.shape[axis]
        }
        return batch * m
    }

    /// The element strides of `s`'s batch axes, broadcast to `batch` (0 where `s` repeats).
    static func batchStrides(_ s: CPUStorage, _ batch: Shape) -> [Int] {
        let own = s.rank - 2
        let lead = batch.rank - own
        var out = [Int](repeating: 0, count: batch.rank)
        for axis in 0..<own where s.shape[axis] != 1 {
            out[axis + lead] = s.strides[axis]
        }
        return out
    }
}
