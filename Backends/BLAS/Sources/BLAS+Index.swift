import MinoCore
import MinoCPU

/// `indexSelect` and `indexAdd` on a contiguous copy seen as `[outer, n, inner]`:
/// whole runs of `inner` elements move at once (one element when `inner` is 1,
/// as in im2col and col2im), with no per-index views.
enum BLASIndex {
    static func select<T: BLASFloat>(_ x: Operand, axis: Int, indices: Operand, shape: Shape, _: T.Type) throws -> CPUStorage {
        let s = CPUTransfer.contiguous(try x.cpu())
        let n = s.shape[axis]
        let positions = try CPUKernels.indices(try indices.cpu(), below: n, op: "indexSelect")
        let out = CPUStorage(uninitialized: shape, dtype: s.dtype)
        let m = positions.count
        let outer = s.shape.dims[..<axis].reduce(1, *), inner = s.shape.dims[(axis + 1)...].reduce(1, *)
        let ps = s.pointer(T.self), po = out.pointer(T.self)
        positions.withUnsafeBufferPointer { p in
            for o in 0..<outer {
                let src = ps + o * n * inner, dst = po + o * m * inner
                if inner == 1 {
                    for i in 0..<m { dst[i] = src[p[i]] }
                } else {
                    for i in 0..<m { (dst + i * inner).update(from: src + p[i] * inner, count: inner) }
                }
            }
        }
        return out
    }

    static func add<T: BLASFloat>(_ source: Operand, axis: Int, indices: Operand, shape: Shape, _: T.Type) throws -> CPUStorage {
        let s = CPUTransfer.contiguous(try source.cpu())
        let n = shape[axis]
        let positions = try CPUKernels.indices(try indices.cpu(), below: n, op: "indexAdd")
        let out = CPUTransfer.full(0, shape: shape, dtype: s.dtype)
        let m = positions.count
        let outer = shape.dims[..<axis].reduce(1, *), inner = shape.dims[(axis + 1)...].reduce(1, *)
        let ps = s.pointer(T.self), po = out.pointer(T.self)
        positions.withUnsafeBufferPointer { p in
            for o in 0..<outer {
                let src = ps + o * m * inner, dst = po + o * n * inner
                if inner == 1 {
                    for i in 0..<m { dst[p[i]] += src[i] }
                } else {
                    for i in 0..<m {
                        let d = dst + p[i] * inner, r = src + i * inner
                        for j in 0..<inner { d[j] += r[j] }
                    }
                }
            }
        }
        return out
    }
}
