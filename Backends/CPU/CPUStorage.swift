import MinoCore

/// Host-memory tensor data shared by the CPU backends (reference and blas):
/// a block of memory and a strided view into it.
///
/// A new tensor's storage owns its block, taken from and given back to
/// ``CPUBufferCache/shared`` (64-byte aligned), so steady-state loops reuse
/// blocks. Views (`permute`, `expand`, `slice`, most `reshape`s) keep the
/// owning storage alive through ``base`` and change only `strides` and
/// `offset`; a stride of 0 repeats an element (broadcasting). Kernels read any
/// view and write contiguous results.
public final class CPUStorage: BackendStorage {
    /// The first byte of the block (this storage's own, or its base's).
    public let raw: UnsafeMutableRawPointer
    /// The storage that owns the block, when this one is a view of it.
    public let base: CPUStorage?
    /// The block's size (its size class), when this storage owns it.
    private let capacity: Int
    public let dtype: DType
    public let shape: Shape
    /// Element strides per axis.
    public let strides: [Int]
    /// Element offset of the first element in the block.
    public let offset: Int
    /// Row-major with no gaps: `strides == shape.contiguousStrides` (ignoring axes of size 1).
    public let isContiguous: Bool

    /// A new contiguous, uninitialized tensor.
    public init(uninitialized shape: Shape, dtype: DType) {
        (raw, capacity) = CPUBufferCache.shared.take(shape.elementCount * dtype.byteSize)
        base = nil
        self.dtype = dtype
        self.shape = shape
        strides = shape.contiguousStrides
        offset = 0
        isContiguous = true  // row-major by construction
    }

    /// A view of `owner`'s block.
    private init(viewOf owner: CPUStorage, dtype: DType, shape: Shape, strides: [Int], offset: Int) {
        raw = owner.raw
        base = owner
        capacity = 0
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.offset = offset
        isContiguous = CPUStorage.contiguous(shape: shape, strides: strides)
    }

    deinit {
        if base == nil { CPUBufferCache.shared.give(raw, size: capacity) }
    }

    public var rank: Int { shape.rank }

    static func contiguous(shape: Shape, strides: [Int]) -> Bool {
        var expected = 1
        for axis in stride(from: shape.rank - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// The first element, typed. The caller picks `T` matching `dtype`.
    @inlinable @inline(__always)
    public func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        raw.assumingMemoryBound(to: T.self) + offset
    }

    /// A view of the same block.
    public func view(shape: Shape, strides: [Int], offset: Int) -> CPUStorage {
        CPUStorage(viewOf: base ?? self, dtype: dtype, shape: shape, strides: strides, offset: offset)
    }

    /// The strides of this view broadcast to `target` (0 along broadcast axes).
    @inlinable
    public func broadcastStrides(to target: Shape) -> [Int] {
        let lead = target.rank - shape.rank
        var out = [Int](repeating: 0, count: target.rank)
        for axis in 0..<shape.rank where shape[axis] != 1 {
            out[axis + lead] = strides[axis]
        }
        return out
    }
}

extension Operand {
    /// The CPU storage of an operand of a CPU backend.
    ///
    /// - Throws: ``MinoError`` `.backend` when the storage came from another kind of backend.
    @inline(__always)
    public func cpu() throws -> CPUStorage {
        guard let storage = storage as? CPUStorage else {
            throw MinoError(.backend, "a tensor of another backend (\(type(of: storage))) was given to a CPU backend")
        }
        return storage
    }
}
