import MinoCore
import MinoKernels

/// 2×2 stride-2 unpadded max pooling of float32 as MinoKernels' kernels (`KernelPooling.h`),
/// planes split over the blas threads: no copies into runs and no NaN scan first (the kernels
/// take a NaN as the maximum, as the composites do). Declines (returns false, nothing written)
/// for other windows and dtypes, the native kernels off, or sizes past the kernels' ints.
enum NativePooling {
    /// Input elements a chunk of planes should hold before it is worth a thread of its own.
    static let chunkElements = 1 << 15

    /// The sizes the kernels take, or nil.
    static func sizes<T: BLASFloat>(_ g: ConvGeometry, _: T.Type) -> (planes: Int, height: Int32, width: Int32)? {
        let planes = g.batch.multipliedReportingOverflow(by: g.channels)
        guard T.self == Float.self, NativeKernels.isEnabled, PoolingPairs.applies(g), !planes.overflow,
              planes.partialValue <= Int(Int32.max), g.height <= Int(Int32.max), g.width <= Int(Int32.max) else {
            return nil
        }
        return (planes.partialValue, Int32(g.height), Int32(g.width))
    }

    /// `[N C Ho Wo]`: each window's maximum.
    static func forward<T: BLASFloat>(_ px: UnsafeMutablePointer<T>, _ g: ConvGeometry,
                                      into po: UnsafeMutablePointer<T>) -> Bool {
        guard let (planes, h, w) = sizes(g, T.self) else { return false }
        let (x, out) = (px.rebound(Float.self), po.rebound(Float.self))
        let (plane, outPlane) = (g.height * g.width, g.outHeight * g.outWidth)
        ParallelLoop.forEachChunk(count: planes, minimumChunk: Swift.max(1, chunkElements / Swift.max(plane, 1))) { r in
            mino_max_pool_2x2_forward(x + r.lowerBound * plane, Int32(r.count), h, w, out + r.lowerBound * outPlane)
        }
        return true
    }

    /// `[N C H W]`: each window's upstream gradient at its first maximum, zeros elsewhere.
    static func backward<T: BLASFloat>(_ px: UnsafeMutablePointer<T>, _ pu: UnsafeMutablePointer<T>, _ g: ConvGeometry,
                                       into po: UnsafeMutablePointer<T>) -> Bool {
        guard let (planes, h, w) = sizes(g, T.self) else { return false }
        let (x, up, dx) = (px.rebound(Float.self), pu.rebound(Float.self), po.rebound(Float.self))
        let (plane, outPlane) = (g.height * g.width, g.outHeight * g.outWidth)
        ParallelLoop.forEachChunk(count: planes, minimumChunk: Swift.max(1, chunkElements / Swift.max(plane, 1))) { r in
            mino_max_pool_2x2_backward(x + r.lowerBound * plane, up + r.lowerBound * outPlane, Int32(r.count), h, w,
                                       dx + r.lowerBound * plane)
        }
        return true
    }
}
