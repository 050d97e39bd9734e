import MinoCore
import MinoCPU
import MinoReference

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
/// and index ops, which are not arithmetic, run the reference kernels.
///
/// Buffers come from ``CPUBufferCache``: a training loop reuses the blocks of
/// the previous step instead of allocating new ones.
public final class BLASBackend: Backend {
    public let name: String
    /// The kernels this backend shares with the reference backend.
    let reference: ReferenceBackend

    /// The library opens at the first product (``make()`` opens it at once).
    ///
    /// - Parameter threads: BLAS threads; nil keeps `MINO_THREADS`, or the library's default.
    public init(name: String = "blas", threads: Int? = nil) {
        self.name = name
        self.reference = ReferenceBackend(name: name)
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

    // MARK: Host transfer and creation

    public func upload(_ array: HostArray) throws -> any BackendStorage {
        try reference.upload(array)
    }

    public func download(_ x: Operand) throws -> HostArray {
        try reference.download(x)
    }

    public func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        try reference.full(value, shape: shape, dtype: dtype)
    }

    // MARK: Views and data movement (the reference kernels)

    public func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        try reference.reshape(x, to: shape)
    }

    public func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage {
        try reference.permute(x, permutation)
    }

    public func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        try reference.expand(x, to: shape)
    }

    public func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try reference.slice(x, ranges, shape: shape)
    }

    public func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        try reference.concat(xs, axis: axis, shape: shape)
    }

    public func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try reference.sliceScatter(source, ranges, shape: shape)
    }

    public func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        switch x.dtype {
        case .float32: return try BLASIndex.select(x, axis: axis, indices: indices, shape: shape, Float.self)
        case .float64: return try BLASIndex.select(x, axis: axis, indices: indices, shape: shape, Double.self)
        case .int64: return try reference.indexSelect(x, axis: axis, indices: indices, shape: shape)
        }
    }

    public func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        switch source.dtype {
        case .float32: return try BLASIndex.add(source, axis: axis, indices: indices, shape: shape, Float.self)
        case .float64: return try BLASIndex.add(source, axis: axis, indices: indices, shape: shape, Double.self)
        case .int64: return try reference.indexAdd(source, axis: axis, indices: indices, shape: shape)
        }
    }

    public func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        try reference.gather(x, axis: axis, indices: indices)
    }

    public func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try reference.scatterAdd(source, axis: axis, indices: indices, shape: shape)
    }
}
