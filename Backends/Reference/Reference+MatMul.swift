import MinoCore
import MinoCPU

extension ReferenceBackend {
    public func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        let (sa, sb) = (try a.cpu(), try b.cpu())
        switch sa.dtype {
        case .float32: return ReferenceMatMul.product(sa, sb, shape, Float.self)
        case .float64: return ReferenceMatMul.product(sa, sb, shape, Double.self)
        case .int64: throw MinoError.dtype("matmul", "needs floating-point tensors, got int64")
        }
    }
}

/// Batched matrix products with a cache-friendly loop order.
public enum ReferenceMatMul {
    /// `out[batch] = a[batch] @ b[batch]`, batch axes broadcast (stride 0).
    static func product<T: BinaryFloatingPoint>(_ a: CPUStorage, _ b: CPUStorage, _ shape: Shape,
                                                _: T.Type) -> CPUStorage {
        let out = CPUStorage(uninitialized: shape, dtype: a.dtype)
        let rank = shape.rank
        let (m, n) = (shape[rank - 2], shape[rank - 1])
        let k = a.shape[a.rank - 1]
        // Each matrix must have unit column stride for the inner loop; copy when not.
        let ca = a.strides[a.rank - 1] == 1 ? a : CPUTransfer.contiguous(a)
        let cb = b.strides[b.rank - 1] == 1 ? b : CPUTransfer.contiguous(b)
        let batchShape = Shape(Array(shape.dims.dropLast(2)))
        func batchStrides(_ s: CPUStorage) -> [Int] {
            let batchOnly = s.view(shape: Shape(Array(s.shape.dims.dropLast(2))), strides: Array(s.strides.dropLast(2)),
                                   offset: 0)
            return batchOnly.broadcastStrides(to: batchShape)
        }
        let (rowA, rowB) = (ca.strides[ca.rank - 2], cb.strides[cb.rank - 2])
        let pa = ca.pointer(T.self), pb = cb.pointer(T.self), po = out.pointer(T.self)
        if m * n == 0 { return out }
        let loop = StridedLoop(shape: batchShape, strides: [batchStrides(ca), batchStrides(cb),
                                                            batchShape.contiguousStrides.map { $0 * m * n }])
        let inner = loop.innerStrides
        let (ia, ib, io) = (inner[0], inner[1], inner[2])
        loop.forEachRow { bases, count in
            for i in 0..<count {
                let matrixA: UnsafeMutablePointer<T> = pa + (bases[0] + i * ia)
                let matrixB: UnsafeMutablePointer<T> = pb + (bases[1] + i * ib)
                let matrixC: UnsafeMutablePointer<T> = po + (bases[2] + i * io)
                gemm(m, n, k, matrixA, rowA, matrixB, rowB, matrixC)
            }
        }
        return out
    }

    /// `c = a @ b` for one `m×k` by `k×n` product with unit column strides;
    /// `c` is contiguous.
    ///
    /// Blocks of 4 rows of `c` (8 columns of float32, 4 of float64: what fits in
    /// SSE registers) stay in local accumulators while `p` runs over `k`, and the
    /// compiler packs them into vector registers: per step, a few elements of a
    /// row of `b`, four of `a`, and a multiply-add per accumulator, instead of
    /// reloading and storing rows of `c` every time. Columns and rows left over
    /// take the plain loop. Each element of `c` is summed over `p` in order
    /// either way, so the results do not depend on the blocking.
    static func gemm<T: BinaryFloatingPoint>(_ m: Int, _ n: Int, _ k: Int,
                                              _ a: UnsafeMutablePointer<T>, _ lda: Int,
                                              _ b: UnsafeMutablePointer<T>, _ ldb: Int,
                                              _ c: UnsafeMutablePointer<T>) {
        if MemoryLayout<T>.size <= 4 {
            blocked(m, n, k, a, lda, b, ldb, c, Row8<T>.self)
        } else {
            blocked(m, n, k, a, lda, b, ldb, c, Row4<T>.self)
        }
    }

    @inline(__always)
    static func blocked<T: BinaryFloatingPoint, R: RowBlock>(_ m: Int, _ n: Int, _ k: Int,
                                                              _ a: UnsafeMutablePointer<T>, _ lda: Int,
                                                              _ b: UnsafeMutablePointer<T>, _ ldb: Int,
                                                              _ c: UnsafeMutablePointer<T>, _: R.Type) where R.Scalar == T {
        let blockedColumns = n - n % R.width
        let blockedRows = m - m % 4
        guard blockedColumns > 0, blockedRows > 0 else {
            plain(0, m, from: 0, m, n, k, a, lda, b, ldb, c)
            return
        }
        var i = 0
        while i < blockedRows {
            let a0 = a + i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda
            var j = 0
            while j < blockedColumns {
                var r0 = R(), r1 = R(), r2 = R(), r3 = R()
                for p in 0..<k {
                    let row = b + p * ldb + j
                    r0.add(a0[p], row)
                    r1.add(a1[p], row)
                    r2.add(a2[p], row)
                    r3.add(a3[p], row)
                }
                r0.store(c + i * n + j)
                r1.store(c + (i + 1) * n + j)
                r2.store(c + (i + 2) * n + j)
                r3.store(c + (i + 3) * n + j)
                j += R.width
            }
            i += 4
        }
        // What the blocks left: the columns right of them in blocked rows, then the last rows.
        plain(0, blockedRows, from: blockedColumns, m, n, k, a, lda, b, ldb, c)
        plain(blockedRows, m, from: 0, m, n, k, a, lda, b, ldb, c)
    }

    /// Rows `rowStart..<rowEnd`, columns `columnStart..<n` of `c = a @ b`: each row of
    /// `c` accumulated from rows of `b`, the inner loop contiguous.
    static func plain<T: BinaryFloatingPoint>(_ rowStart: Int, _ rowEnd: Int, from columnStart: Int,
                                              _ m: Int, _ n: Int, _ k: Int,
                                              _ a: UnsafeMutablePointer<T>, _ lda: Int,
                                              _ b: UnsafeMutablePointer<T>, _ ldb: Int,
                                              _ c: UnsafeMutablePointer<T>) {
        guard columnStart < n, rowStart < rowEnd else { return }
        let width = n - columnStart
        for i in rowStart..<rowEnd {
            let ci = c + i * n + columnStart
            ci.initialize(repeating: 0, count: width)
            for p in 0..<k {
                let ai = a[i * lda + p]
                let row = b + p * ldb + columnStart
                for j in 0..<width { ci[j] += ai * row[j] }
            }
        }
    }
}

/// The accumulators of one row of a block of `c`: plain scalars, so that debug
/// builds stay fast (SIMD types are function calls there) while release builds
/// vectorise them.
protocol RowBlock {
    associatedtype Scalar: BinaryFloatingPoint
    static var width: Int { get }
    init()
    /// `self += x · row[0..<width]`.
    mutating func add(_ x: Scalar, _ row: UnsafeMutablePointer<Scalar>)
    func store(_ target: UnsafeMutablePointer<Scalar>)
}

struct Row8<Scalar: BinaryFloatingPoint>: RowBlock {
    static var width: Int { 8 }
    var v0: Scalar = 0, v1: Scalar = 0, v2: Scalar = 0, v3: Scalar = 0
    var v4: Scalar = 0, v5: Scalar = 0, v6: Scalar = 0, v7: Scalar = 0

    @inline(__always)
    mutating func add(_ x: Scalar, _ row: UnsafeMutablePointer<Scalar>) {
        v0 += x * row[0]; v1 += x * row[1]; v2 += x * row[2]; v3 += x * row[3]
        v4 += x * row[4]; v5 += x * row[5]; v6 += x * row[6]; v7 += x * row[7]
    }

    @inline(__always)
    func store(_ target: UnsafeMutablePointer<Scalar>) {
        target[0] = v0; target[1] = v1; target[2] = v2; target[3] = v3
        target[4] = v4; target[5] = v5; target[6] = v6; target[7] = v7
    }
}

struct Row4<Scalar: BinaryFloatingPoint>: RowBlock {
    static var width: Int { 4 }
    var v0: Scalar = 0, v1: Scalar = 0, v2: Scalar = 0, v3: Scalar = 0

    @inline(__always)
    mutating func add(_ x: Scalar, _ row: UnsafeMutablePointer<Scalar>) {
        v0 += x * row[0]; v1 += x * row[1]; v2 += x * row[2]; v3 += x * row[3]
    }

    @inline(__always)
    func store(_ target: UnsafeMutablePointer<Scalar>) {
        target[0] = v0; target[1] = v1; target[2] = v2; target[3] = v3
    }
}
