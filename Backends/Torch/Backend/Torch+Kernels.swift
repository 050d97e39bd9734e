import MinoCore
import MinoPython

// The primitive kernels: each is one call of the torch function its op declares
// (``TorchCall``), with the arguments the declaration lists. Core has checked shapes
// and dtypes and promoted the operands to one dtype, so these pass tensors straight
// through; torch's broadcasting and result shapes agree with Core's for every call.

extension TorchBackend {
    // MARK: Elementwise

    public func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        try run(.unary(kernel), [x])
    }

    public func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try run(.binary(kernel), [a, b], outputShape: shape)
    }

    public func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try run(.select, [condition, a, b], outputShape: shape)
    }

    public func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage {
        try run(.cast, [x], .dtype(dtype))
    }

    // MARK: Products and reductions

    public func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try run(.matmul, [a, b], outputShape: shape)
    }

    public func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        let out = x.shape.reduced(over: axes, keepDims: keepDims)
        if x.shape.elementCount == 0 {
            // torch refuses an empty reduction axis even when the result is empty
            // too; Core's shape rule refuses a max only with something to fill.
            if out.elementCount == 0 { return try empty(out, x.dtype) }
        }
        return try run(.reduce(kernel), [x], .axes(axes, keepDims: keepDims), outputShape: out)
    }

    public func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        let out = x.shape.reduced(over: [axis], keepDims: keepDims)
        if out.elementCount == 0 { return try empty(out, .int64) }
        return try run(.argmax, [x], .axis(axis, keepDims: keepDims), outputShape: out)
    }

    // MARK: Shapes (torch views where torch can)
    // A reshape, permutation or expansion that changes nothing (the gradient
    // of `linear` reshapes to `[-1, out]`, which is often the shape already)
    // returns the operand's own storage: no Python call. Mino never writes a
    // result in place, and torch would have returned a view of the same memory.

    public func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        if x.shape == shape { _ = try x.torchTensor(); return x.storage }
        return try run(.reshape, [x], .shape(shape), outputShape: shape)
    }

    public func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage {
        if permutation.enumerated().allSatisfy({ $0.offset == $0.element }) { _ = try x.torchTensor(); return x.storage }
        return try run(.permute, [x], .permutation(permutation))
    }

    public func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        if x.shape == shape { _ = try x.torchTensor(); return x.storage }
        return try run(.expand, [x], .shape(shape), outputShape: shape)
    }

    public func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        try run(.concat, xs, .axis(axis), outputShape: shape)
    }

    public func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try run(.slice, [x], .ranges(ranges), outputShape: shape)
    }

    public func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        var attributes = OpAttributes.ranges(ranges)
        attributes.shape = shape
        return try run(.sliceScatter, [source], attributes, outputShape: shape)
    }

    // MARK: Indexing (the helpers check bounds: `.argument` for a bad index)

    public func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try run(.indexSelect, [x, indices], .axis(axis), outputShape: shape)
    }

    public func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try run(.indexAdd, [source, indices], .scatter(axis: axis, shape: shape), outputShape: shape)
    }

    public func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        try run(.gather, [x, indices], .axis(axis), outputShape: indices.shape)
    }

    public func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try run(.scatterAdd, [source, indices], .scatter(axis: axis, shape: shape), outputShape: shape)
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

    /// Runs `kernel`: its op's torch function with the arguments its ``TorchCall`` lists,
    /// read from `inputs` and `attributes` (what the `Backend` method was given).
    func run(_ kernel: BackendKernel, _ inputs: [Operand], _ attributes: OpAttributes = .none,
             outputShape: Shape? = nil) throws -> any BackendStorage {
        let entry = try runtime.kernel(kernel)
        let f = entry.function, call = entry.call
        // Just the tensors (most elementwise kernels): as a direct call would pass them.
        if let n = entry.plainTensors, n <= inputs.count {
            switch n {
            case 1: return try tensor(kernel.opName, f, [try inputs[0].torchTensor()])
            case 2: return try tensor(kernel.opName, f, [try inputs[0].torchTensor(), try inputs[1].torchTensor()])
            default: return try tensor(kernel.opName, f, try inputs.prefix(n).map { try $0.torchTensor() })
            }
        }
        let op = kernel.opName
        func python(_ argument: TorchArgument) throws -> PythonConvertible? {
            switch argument {
            // The common arguments first, without the general resolution.
            case .input(let i) where i < inputs.count: return try inputs[i].torchTensor()
            case .axes: return try tuple(attributes.axes)
            case .keepDims: return attributes.keepDims
            case .axis: return attributes.axis
            case .outputShape where outputShape != nil: return try tuple(outputShape?.dims ?? [])
            default: break
            }
            switch argument.value(inputShapes: inputs.map(\.shape), outputShape: outputShape, attributes) {
            case .input(let i):
                guard i < inputs.count else {
                    throw MinoError(.backend, "torch backend: \(op) declares \(call), given \(inputs.count) tensors")
                }
                return try inputs[i].torchTensor()
            case .inputs(let n): return PythonList(try inputs.prefix(n).map { try $0.torchTensor() as PythonConvertible? })
            case .none: return nil
            case .integer(let v): return v
            case .integers(let v): return try tuple(v)
            case .boolean(let v): return v
            case .number(let v): return v
            case .string(let v): return v
            case .dtype(let d): return runtime.dtype(d)
            }
        }
        let args = try call.arguments.map(python)
        if call.keywords.isEmpty { return try tensor(op, f, args) }
        let keywords = try call.keywords.map { ($0.name, try python($0.value)) }
        do {
            return TorchStorage(try f.call(args, kwargs: keywords))
        } catch {
            throw TorchErrors.mino(error, op: op)
        }
    }
}

extension BackendKernel {
    /// The name errors give: the op's (`exp`, `softmax`), or the method's (`indexSelect`).
    fileprivate var opName: String {
        switch self {
        case .unary(let k): return k.rawValue
        case .binary(let k): return k.rawValue
        case .reduce(let k): return k.rawValue
        case .fused(let k): return k.rawValue
        default: return method
        }
    }
}

extension OpAttributes {
    fileprivate static func ranges(_ ranges: [SliceRange]) -> OpAttributes {
        var a = OpAttributes()
        a.ranges = ranges
        return a
    }

    fileprivate static func scatter(axis: Int, shape: Shape) -> OpAttributes {
        var a = OpAttributes.shape(shape)
        a.axis = axis
        return a
    }
}
