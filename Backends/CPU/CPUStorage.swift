import MinoCore

/// An owned, 64-byte aligned block of host memory, taken from and given back
/// to ``CPUBufferCache/shared`` so that steady-state loops reuse blocks.
public final class CPUBuffer {
    public let raw: UnsafeMutableRawPointer
    public let byteCount: Int
    /// The block's real size: `byteCount` rounded up to its size class.
    public let capacity: Int

    /// Uninitialized memory for `byteCount` bytes.
    public init(byteCount: Int) {
        self.byteCount = byteCount
        (raw, capacity) = CPUBufferCache.shared.take(byteCount)
    }

    deinit { CPUBufferCache.shared.give(raw, size: capacity) }
}

/// Host-memory tensor data shared by the CPU backends (reference and blas):
/// a buffer and a strided view into it.
///
/// Views (`permute`, `expand`, `slice`, most `reshape`s) share the buffer and
/// change only `strides` and `offset`; a stride of 0 repeats an element
/// (broadcasting). Kernels read any view and write contiguous results.
public final class CPUStorage: BackendStorage {
    public let buffer: CPUBuffer
    public let dtype: DType
    public let shape: Shape
    /// Element strides per axis.
    public let strides: [Int]
    /// Element offset of the first element in `buffer`.
    public let offset: Int
    /// Row-major with no gaps: `strides == shape.contiguousStrides` (ignoring axes of size 1).
    public let isContiguous: Bool

    public init(buffer: CPUBuffer, dtype: DType, shape: Shape, strides: [Int], offset: Int) {
        self.buffer = buffer
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.isContiguous = CPUStorage.contiguous(shape: shape, strides: strides)
    }

    /// A fresh row-major storage: contiguous by construction, so the check is skipped.
    init(contiguousBuffer buffer: CPUBuffer, dtype: DType, shape: Shape) {
        self.buffer = buffer
        self.dtype = dtype
        self.shape = shape
        self.strides = shape.contiguousStrides
        self.offset = 0
        self.isContiguous = true
    }

    public var rank: Int { shape.rank }

    /// A new contiguous, uninitialized tensor.
    public convenience init(uninitialized shape: Shape, dtype: DType) {
        self.init(contiguousBuffer: CPUBuffer(byteCount: shape.elementCount * dtype.byteSize), dtype: dtype, shape: shape)
    }

    static func contiguous(shape: Shape, strides: [Int]) -> Bool {
        var expected = 1
        for axis in stride(from: shape.rank - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// The first element, typed. The caller picks `T` matching `dtype`.
    @inline(__always)
    public func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> {
        buffer.raw.assumingMemoryBound(to: T.self) + offset
    }

    /// A view of the same buffer.
    public func view(shape: Shape, strides: [Int], offset: Int) -> CPUStorage {
        CPUStorage(buffer: buffer, dtype: dtype, shape: shape, strides: strides, offset: offset)
    }

    /// The strides of this view broadcast to `target` (0 along broadcast axes).
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
