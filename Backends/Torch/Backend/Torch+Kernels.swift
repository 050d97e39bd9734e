import MinoCore
import MinoPython

// The primitive kernels: each is one call of the function TorchOpTable names.
// Core has checked shapes and dtypes and promoted the operands to one dtype,
// so these pass tensors straight through; torch's broadcasting and result
// shapes agree with Core's for every call it makes.

extension TorchBackend {
    // MARK: Elementwise

    public func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        try tensor(kernel.rawValue, try function(runtime.unary[kernel], kernel.rawValue), [try x.torchTensor()])
    }

    public func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        let f = try function(runtime.binary[kernel], kernel.rawValue)
        switch kernel {
        case .add, .sub, .mul, .div, .pow, .maximum, .minimum:
            return try tensor(kernel.rawValue, f, [try a.torchTensor(), try b.torchTensor()])
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual:
            // The helpers write into a new tensor of the result's shape.
            return try tensor(kernel.rawValue, f, [try a.torchTensor(), try b.torchTensor(), try tuple(shape.dims)])
        }
    }

    public func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try tensor("where", try runtime.primitive("select"),
                   [try condition.torchTensor(), try a.torchTensor(), try b.torchTensor()])
    }

    public func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage {
        try tensor("cast", try runtime.primitive("cast"), [try x.torchTensor(), runtime.dtype(dtype)])
    }

    // MARK: Products and reductions

    public func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try tensor("matmul", try runtime.primitive("matmul"), [try a.torchTensor(), try b.torchTensor()])
    }

    public func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        let out = x.shape.reduced(over: axes, keepDims: keepDims)
        if x.shape.elementCount == 0 {
            // torch refuses an empty reduction axis even when the result is empty
            // too; Core's shape rule refuses a max only with something to fill.
            if out.elementCount == 0 { return try empty(out, x.dtype) }
        }
        return try tensor(kernel.rawValue, try function(runtime.reduce[kernel], kernel.rawValue),
                          [try x.torchTensor(), try tuple(axes), keepDims])
    }

    public func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        let out = x.shape.reduced(over: [axis], keepDims: keepDims)
        if out.elementCount == 0 { return try empty(out, .int64) }
        return try tensor("argmax", try runtime.primitive("argmax"), [try x.torchTensor(), axis, keepDims])
    }

    // MARK: Shapes (torch views where torch can)
    // A reshape, permutation or expansion that changes nothing (the gradient
    // of `linear` reshapes to `[-1, out]`, which is often the shape already)
    // returns the operand's own storage: no Python call. Mino never writes a
    // result in place, and torch would have returned a view of the same memory.

    public func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        if x.shape == shape { _ = try x.torchTensor(); return x.storage }
        return try tensor("reshape", try runtime.primitive("reshape"), [try x.torchTensor(), try tuple(shape.dims)])
    }

    public func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage {
        if permutation.enumerated().allSatisfy({ $0.offset == $0.element }) { _ = try x.torchTensor(); return x.storage }
        return try tensor("permute", try runtime.primitive("permute"), [try x.torchTensor(), try tuple(permutation)])
    }

    public func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        if x.shape == shape { _ = try x.torchTensor(); return x.storage }
        return try tensor("expand", try runtime.primitive("expand"), [try x.torchTensor(), try tuple(shape.dims)])
    }

    public func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        let tensors = try xs.map { try $0.torchTensor() as PythonConvertible? }
        return try tensor("concat", try runtime.primitive("concat"), [PythonList(tensors), axis])
    }

    public func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try tensor("slice", try runtime.primitive("slice"), [try x.torchTensor(), try tuple(flat(ranges))])
    }

    public func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try tensor("sliceScatter", try runtime.primitive("sliceScatter"),
                   [try source.torchTensor(), try tuple(flat(ranges)), try tuple(shape.dims)])
    }

    // MARK: Indexing (the helpers check bounds: `.argument` for a bad index)

    public func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try tensor("indexSelect", try runtime.primitive("indexSelect"),
                   [try x.torchTensor(), axis, try indices.torchTensor()])
    }

    public func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try tensor("indexAdd", try runtime.primitive("indexAdd"),
                   [try source.torchTensor(), axis, try indices.torchTensor(), try tuple(shape.dims)])
    }

    public func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        try tensor("gather", try runtime.primitive("gather"), [try x.torchTensor(), axis, try indices.torchTensor()])
    }

    public func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try tensor("scatterAdd", try runtime.primitive("scatterAdd"),
                   [try source.torchTensor(), axis, try indices.torchTensor(), try tuple(shape.dims)])
    }

    // MARK: Helpers

    /// An uninitialized tensor (used only for empty results).
    func empty(_ shape: Shape, _ dtype: DType) throws -> any BackendStorage {
        try tensor("empty", try runtime.helper("empty"), [try tuple(shape.dims), runtime.dtype(dtype), device])
    }

    /// A shape, axes or ranges as a (cached) Python tuple.
    @inline(__always)
    func tuple(_ values: [Int]) throws -> PythonObject {
        do { return try runtime.tuples.tuple(values) } catch { throw TorchErrors.mino(error, op: "tuple") }
    }

    /// A kernel's function from the runtime's tables.
    @inline(__always)
    func function(_ entry: PythonObject?, _ name: String) throws -> PythonObject {
        guard let entry else { throw MinoError(.backend, "torch backend: no kernel for '\(name)'") }
        return entry
    }

    /// Slice ranges as `start, end, step` per axis, the helpers' layout.
    private func flat(_ ranges: [SliceRange]) -> [Int] {
        ranges.flatMap { [$0.start, $0.end, $0.step] }
    }
}
