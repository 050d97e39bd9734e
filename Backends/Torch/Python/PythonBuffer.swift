import CPython

// Zero-copy memory in both directions.
//
// Swift → Python: `memoryView(_:)` wraps Swift-owned memory in a Python
// `memoryview` without copying (PyMemoryView_FromMemory). NumPy
// (`numpy.frombuffer`) and torch (`torch.frombuffer(view, dtype=...)`) can
// then use the same bytes: a write on either side is seen by the other.
// The memoryview does NOT own or retain the memory. The caller must keep it
// alive, at the same address, for as long as the memoryview or anything
// made from it (a tensor, an array) may touch it; after that, reading it
// from Python is a use after free. `torch.frombuffer` in particular keeps
// only the memoryview object, not a buffer export, so `memoryview.release()`
// does not protect such a tensor. Copy (`tensor.clone()`) whatever must
// outlive the Swift memory.
//
// Python → Swift: `withBuffer` / `withMutableBuffer` borrow an object's
// memory through the buffer protocol (PyObject_GetBuffer, C-contiguous),
// hand it to a closure, and release it (PyBuffer_Release) after, even when
// the closure throws. The pointer is valid only inside the closure. While
// the export is held, the exporter keeps its memory in place (a bytearray
// refuses to resize, a NumPy array cannot be freed). The GIL is not held
// while the closure runs (unless the caller holds it in an outer `withGIL`),
// so other Python threads may write the memory meanwhile, as they could
// in Python.

extension PythonInterpreter {
    /// A writable `memoryview` (format `B`) of Swift memory, without copying.
    /// The memory must outlive the view and everything made from it (see above).
    public func memoryView(_ buffer: UnsafeMutableRawBufferPointer) throws -> PythonObject {
        try makeMemoryView(buffer.baseAddress, buffer.count, flags: MINO_PyBUF_WRITE)
    }

    /// A read-only `memoryview` (format `B`) of Swift memory, without copying.
    /// The memory must outlive the view and everything made from it (see above).
    public func memoryView(readOnly buffer: UnsafeRawBufferPointer) throws -> PythonObject {
        try makeMemoryView(UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count,
                           flags: MINO_PyBUF_READ)
    }

    private func makeMemoryView(_ start: UnsafeMutableRawPointer?, _ count: Int, flags: Int32) throws -> PythonObject {
        // An empty buffer may have no address; the C API wants one anyway.
        let address = start ?? PythonInterpreter.emptyBytes
        return try holdingGIL {
            try adopt(mino_py.PyMemoryView_FromMemory(address.assumingMemoryBound(to: CChar.self), count, flags),
                      "making a memoryview")
        }
    }

    private static let emptyBytes = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
}

extension PythonObject {
    /// Borrows this object's memory through the buffer protocol (no copy):
    /// `body` gets the bytes, the struct-module format (`"f"` float32,
    /// `"d"` float64, `"l"`/`"q"` int64, `"B"` bytes, ...) and the shape
    /// (`[]` for a scalar). Throws BufferError for objects that have no
    /// buffer or are not C-contiguous (e.g. a transposed NumPy array).
    public func withBuffer<Result>(
        _ body: (UnsafeRawBufferPointer, _ format: String, _ shape: [Int]) throws -> Result
    ) throws -> Result {
        try borrowBuffer(writable: false) { view, format, shape in
            try body(UnsafeRawBufferPointer(view), format, shape)
        }
    }

    /// Like `withBuffer`, for writing: throws BufferError for read-only
    /// exporters such as `bytes`.
    public func withMutableBuffer<Result>(
        _ body: (UnsafeMutableRawBufferPointer, _ format: String, _ shape: [Int]) throws -> Result
    ) throws -> Result {
        try borrowBuffer(writable: true, body)
    }

    private func borrowBuffer<Result>(
        writable: Bool,
        _ body: (UnsafeMutableRawBufferPointer, String, [Int]) throws -> Result
    ) throws -> Result {
        // On the heap: an exporter may rely on the Py_buffer's address
        // staying the same between GetBuffer and Release.
        let view = UnsafeMutablePointer<MinoPyBuffer>.allocate(capacity: 1)
        view.initialize(to: MinoPyBuffer())
        defer { view.deallocate() }

        var flags = MINO_PyBUF_C_CONTIGUOUS | MINO_PyBUF_FORMAT
        if writable { flags |= MINO_PyBUF_WRITABLE }
        let (format, shape): (String, [Int]) = try holdingGIL {
            try checkStatus(mino_py.PyObject_GetBuffer(reference, view, flags),
                            "getting the buffer of \(typeName(of: reference))")
            // A broken exporter must not become a crash in Swift.
            guard view.pointee.len >= 0, view.pointee.buf != nil || view.pointee.len == 0,
                  view.pointee.ndim >= 0 else {
                mino_py.PyBuffer_Release(view)
                throw PythonError(kind: .invalidArgument, typeName: "BufferError",
                                  message: "\(typeName(of: reference)) exported an invalid buffer",
                                  context: "getting a buffer")
            }
            let format = view.pointee.format.map { String(cString: $0) } ?? "B"
            let ndim = Int(view.pointee.ndim)
            var shape: [Int] = []
            if let sizes = view.pointee.shape {
                shape = (0..<ndim).map { sizes[$0] }
            } else if ndim == 1 {
                shape = [view.pointee.len / max(view.pointee.itemsize, 1)]
            }
            return (format, shape)
        }
        defer { holdingGIL { mino_py.PyBuffer_Release(view) } }
        let bytes = UnsafeMutableRawBufferPointer(start: view.pointee.buf, count: view.pointee.len)
        return try body(bytes, format, shape)
    }
}
