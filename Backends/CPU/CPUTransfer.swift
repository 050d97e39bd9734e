import MinoCore

/// Host transfer, filling and copying for CPU storages, shared by the CPU backends.
public enum CPUTransfer {
    /// Copies host data into a new contiguous storage.
    public static func upload(_ array: HostArray) -> CPUStorage {
        let out = CPUStorage(uninitialized: array.shape, dtype: array.dtype)
        func fill<T>(_ values: [T]) {
            values.withUnsafeBufferPointer { src in
                if let base = src.baseAddress {
                    out.pointer(T.self).update(from: base, count: src.count)
                }
            }
        }
        switch array.elements {
        case .float32(let v): fill(v)
        case .float64(let v): fill(v)
        case .int64(let v): fill(v)
        }
        return out
    }

    /// Copies a storage's elements, row-major, to the host.
    public static func download(_ storage: CPUStorage) -> HostArray {
        let n = storage.shape.elementCount
        let source = contiguous(storage)
        func read<T>(_: T.Type) -> [T] {
            Array(UnsafeBufferPointer(start: source.pointer(T.self), count: n))
        }
        switch storage.dtype {
        case .float32: return HostArray(unchecked: storage.shape, .float32(read(Float.self)))
        case .float64: return HostArray(unchecked: storage.shape, .float64(read(Double.self)))
        case .int64: return HostArray(unchecked: storage.shape, .int64(read(Int64.self)))
        }
    }

    /// A new contiguous storage filled with `value`.
    public static func full(_ value: Double, shape: Shape, dtype: DType) -> CPUStorage {
        let out = CPUStorage(uninitialized: shape, dtype: dtype)
        let n = shape.elementCount
        switch dtype {
        case .float32: out.pointer(Float.self).initialize(repeating: Float(value), count: n)
        case .float64: out.pointer(Double.self).initialize(repeating: value, count: n)
        case .int64: out.pointer(Int64.self).initialize(repeating: saturatingInt64(value), count: n)
        }
        return out
    }

    /// The storage itself when contiguous, else a contiguous copy.
    public static func contiguous(_ storage: CPUStorage) -> CPUStorage {
        if storage.isContiguous { return storage }
        let out = CPUStorage(uninitialized: storage.shape, dtype: storage.dtype)
        switch storage.dtype {
        case .float32: copy(storage, into: out.pointer(Float.self))
        case .float64: copy(storage, into: out.pointer(Double.self))
        case .int64: copy(storage, into: out.pointer(Int64.self))
        }
        return out
    }

    /// Writes the elements of a view, row-major, to `destination`.
    public static func copy<T>(_ storage: CPUStorage, into destination: UnsafeMutablePointer<T>) {
        let source = storage.pointer(T.self)
        let loop = StridedLoop(shape: storage.shape, strides: [storage.strides, storage.shape.contiguousStrides])
        let (si, di) = (loop.innerStrides[0], loop.innerStrides[1])
        loop.forEachRow { bases, count in
            let s = source + bases[0], d = destination + bases[1]
            if si == 1 && di == 1 {
                d.update(from: s, count: count)
            } else {
                for i in 0..<count { d[i * di] = s[i * si] }
            }
        }
    }

    /// A view of `storage` at `shape` when its layout allows one, else nil
    /// (the caller copies): a contiguous storage reshapes freely.
    public static func reshapedView(_ storage: CPUStorage, to shape: Shape) -> CPUStorage? {
        guard storage.isContiguous else { return nil }
        return storage.view(shape: shape, strides: shape.contiguousStrides, offset: storage.offset)
    }
}
