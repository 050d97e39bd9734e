import MinoCore
import MinoPython

// Host transfer: one copy each way, and never a copy of a copy.
//
// Upload: the HostArray's Swift buffer is lent to Python as a memoryview
// (no copy) for the length of one call; `torch.frombuffer` reads it in
// place and `.clone()` (cpu) or `.to(device)` (cuda) makes the one copy
// that torch owns. Lifetime rule: the Swift memory is valid only inside
// `withUnsafeBytes`, so the tensor Mino keeps must never refer to it; the
// helper drops every reference to the view before it returns, even on error.
//
// Download: Mino allocates the result array uninitialized, lends it to Python
// as a writable memoryview for one call, and `copy_` writes the tensor into
// it (from any layout, on any device): the one copy. No NumPy needed.

extension TorchBackend {
    public func upload(_ array: HostArray) throws -> any BackendStorage {
        let dtype = runtime.dtype(array.dtype)
        let shape = try tuple(array.shape.dims)
        if array.shape.elementCount == 0 {
            return try tensor("upload", try runtime.helper("empty"), [shape, dtype, device])
        }
        let upload = try runtime.helper("upload")
        func send(_ bytes: UnsafeRawBufferPointer) throws -> any BackendStorage {
            // Only read (frombuffer, then a copy); the view is writable so
            // torch does not warn about a read-only buffer.
            let view = try python.memoryView(UnsafeMutableRawBufferPointer(mutating: bytes))
            return try tensor("upload", upload, [view, dtype, shape, device])
        }
        switch array.elements {
        case .float32(let values): return try values.withUnsafeBytes(send)
        case .float64(let values): return try values.withUnsafeBytes(send)
        case .int64(let values): return try values.withUnsafeBytes(send)
        }
    }

    public func download(_ x: Operand) throws -> HostArray {
        let t = try x.torchTensor()
        let count = x.shape.elementCount
        switch x.dtype {
        case .float32: return HostArray(unchecked: x.shape, .float32(try receive(t, count, .float32, Float.self)))
        case .float64: return HostArray(unchecked: x.shape, .float64(try receive(t, count, .float64, Double.self)))
        case .int64: return HostArray(unchecked: x.shape, .int64(try receive(t, count, .int64, Int64.self)))
        }
    }

    /// `count` elements of `t`, row-major, copied once into a new array.
    private func receive<T>(_ t: PythonObject, _ count: Int, _ dtype: DType, _: T.Type) throws -> [T] {
        if count == 0 { return [] }
        let downloadInto = try runtime.helper("downloadInto")
        let torchDType = runtime.dtype(dtype)
        var failure: Error?
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            do {
                let view = try python.memoryView(UnsafeMutableRawBufferPointer(buffer))
                _ = try value("download", downloadInto, [view, t, torchDType])
                initialized = count
            } catch {
                failure = error
            }
        }
        if let failure { throw TorchErrors.mino(failure, op: "download") }
        return values
    }

    public func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        let fill: PythonConvertible = dtype.isFloatingPoint ? value : saturatingInt64(value)
        return try tensor("full", newFull[dtype.ordinal], [try tuple(shape.dims), fill])
    }
}
