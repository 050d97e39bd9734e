import MinoCore
import MinoCPU

/// The BLAS backend: matrix products through `cblas_sgemm`/`cblas_dgemm` of the
/// library ``BLASLibrary`` opened (OpenBLAS with kernels chosen from the CPU's
/// features by default; `MINO_BLAS=mkl` or a path picks another),
/// vectorised Swift loops for elementwise ops and reductions, fused kernels
/// for linear layers, softmax, cross-entropy and the losses, and in-place
/// optimizer updates.
///
/// Tensors are the same ``CPUStorage`` views as the reference backend's, so
/// views (`reshape`, `permute`, `expand`, `slice`) copy nothing, and a
/// transposed view reaches gemm as `CblasTrans` without a copy. Data movement
/// and index ops, which are not arithmetic, are the shared ``CPUBackend`` kernels.
///
/// Buffers come from ``CPUBufferCache``: a training loop reuses the blocks of
/// the previous step instead of allocating new ones.
public final class BLASBackend: CPUBackend {
    public let name: String
    /// The library opens at the first product (``make()`` opens it at once).
    ///
    /// - Parameter threads: BLAS threads; nil keeps `MINO_THREADS`, or the library's default.
    public init(name: String = "blas", threads: Int? = nil) {
        self.name = name
        if let threads {
            BLASThreads.count = threads
        } else {
            BLASThreads.applyEnvironment()
        }
    }

    /// A backend whose BLAS library is open: `MINO_BLAS`'s (default OpenBLAS), or the one
    /// ``BLASLibrary/use(_:locator:)`` chose. What the backend registry calls.
    ///
    /// - Throws: ``MinoError`` `.backend` listing where it looked when the library cannot be opened.
    public static func make() throws -> BLASBackend {
        _ = try BLASLibrary.current()
        return BLASBackend()
    }

    /// The BLAS library's thread count (process-wide).
    public var threads: Int {
        get { BLASThreads.count }
        set { BLASThreads.count = newValue }
    }

    // MARK: Indexing (float runs as whole rows; int64 the shared kernels)

    public func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        switch x.dtype {
        case .float32: return try BLASIndex.select(x, axis: axis, indices: indices, shape: shape, Float.self)
        case .float64: return try BLASIndex.select(x, axis: axis, indices: indices, shape: shape, Double.self)
        case .int64: return try cpuIndexSelect(x, axis: axis, indices: indices, shape: shape)
        }
    }

    public func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        switch source.dtype {
        case .float32: return try BLASIndex.add(source, axis: axis, indices: indices, shape: shape, Float.self)
        case .float64: return try BLASIndex.add(source, axis: axis, indices: indices, shape: shape, Double.self)
        case .int64: return try cpuIndexAdd(source, axis: axis, indices: indices, shape: shape)
        }
    }
}
