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
    /// `c` is contiguous. Four rows of `c` at a time, `k` in the middle and
    /// `j` innermost: each row of `b` is read once per four rows of `a`, and
    /// the inner loop is a contiguous multiply-add the compiler vectorizes.
    static func gemm<T: BinaryFloatingPoint>(_ m: Int, _ n: Int, _ k: Int,
                                              _ a: UnsafeMutablePointer<T>, _ lda: Int,
                                              _ b: UnsafeMutablePointer<T>, _ ldb: Int,
                                              _ c: UnsafeMutablePointer<T>) {
        c.initialize(repeating: 0, count: m * n)
        var i = 0
        while i + 4 <= m {
            let c0 = c + i * n, c1 = c0 + n, c2 = c1 + n, c3 = c2 + n
            for p in 0..<k {
                let a0 = a[i * lda + p], a1 = a[(i + 1) * lda + p]
                let a2 = a[(i + 2) * lda + p], a3 = a[(i + 3) * lda + p]
                let row = b + p * ldb
                for j in 0..<n {
                    let v = row[j]
                    c0[j] += a0 * v
                    c1[j] += a1 * v
                    c2[j] += a2 * v
                    c3[j] += a3 * v
                }
            }
            i += 4
        }
        while i < m {
            let ci = c + i * n
            for p in 0..<k {
                let ai = a[i * lda + p]
                let row = b + p * ldb
                for j in 0..<n { ci[j] += ai * row[j] }
            }
            i += 1
        }
    }
}
