/// An n-dimensional array on one backend, and a variable of the autodiff graph.
///
/// In pytensor's terms a `Tensor` is a *Variable*: it holds a value and, after
/// ``backward(_:)``, a gradient. A tensor computed by an op while gradients
/// are recorded keeps the ``Operation`` that made it (its ``creator``); leaves
/// (data, parameters) have none. Gradients accumulate into ``grad`` until
/// ``zeroGrad()``.
///
/// Tensors are immutable values, except that an optimizer may overwrite a
/// leaf parameter's storage in place after the backward pass.
public final class Tensor {
    public let shape: Shape
    public let dtype: DType
    public let backend: any Backend
    /// The backend's handle on the data.
    public internal(set) var storage: any BackendStorage
    /// The operation that computed this tensor, while gradients were recorded.
    public var creator: Operation? { creatorReference }
    /// Stored as a `var` only so that ``Operation``'s deinit can check it is uniquely held.
    /// That deinit is its only writer, on a tensor it has just proven uniquely referenced,
    /// so Swift's dynamic exclusivity check (a runtime call on every read, several per
    /// op) can never fire and is turned off.
    @exclusivity(unchecked) var creatorReference: Operation?
    /// The accumulated gradient of the last ``backward(_:)`` calls, or nil.
    public internal(set) var grad: Tensor?
    /// A name for printing (parameters carry their path, `linear1.weight`).
    public var name: String?

    private var leafRequiresGrad: Bool

    /// Wraps a storage the backend made. Kernels' results go through here.
    public init(storage: any BackendStorage, shape: Shape, dtype: DType, backend: any Backend,
                creator: Operation? = nil, requiresGrad: Bool = false) {
        self.storage = storage
        self.shape = shape
        self.dtype = dtype
        self.backend = backend
        self.creatorReference = creator
        self.leafRequiresGrad = requiresGrad
    }

    /// Whether gradients flow to this tensor: set on leaves (parameters),
    /// derived on computed tensors.
    public var requiresGrad: Bool {
        get { creator != nil || leafRequiresGrad }
        set { leafRequiresGrad = newValue }
    }

    /// A leaf has no creator: data, a parameter, or a detached result.
    public var isLeaf: Bool { creator == nil }

    public var rank: Int { shape.rank }
    public var elementCount: Int { shape.elementCount }

    /// The shape, dtype and storage as a kernel receives them.
    public var operand: Operand { Operand(storage: storage, shape: shape, dtype: dtype) }

    /// The same data as a new leaf that records no history.
    public func detached() -> Tensor {
        Tensor(storage: storage, shape: shape, dtype: dtype, backend: backend)
    }

    /// Forgets the gradient (PyTorch's `zero_grad(set_to_none=True)`).
    public func zeroGrad() { grad = nil }

    /// Replaces a leaf's data in place (optimizers, loading a checkpoint).
    ///
    /// - Throws: when `value` differs in shape, dtype or backend.
    public func assign(_ value: Tensor) throws {
        guard value.shape == shape, value.dtype == dtype, value.backend === backend else {
            throw MinoError(.argument, "assign: cannot put a \(value.dtype) \(value.shape) tensor on "
                            + "\(value.backend.name) into a \(dtype) \(shape) tensor on \(backend.name)")
        }
        storage = value.storage
    }

    /// Sets the gradient directly (used by the graph; and by tests).
    public func setGrad(_ gradient: Tensor?) { grad = gradient }
}

extension Tensor: CustomStringConvertible {
    /// `Tensor(float32 [2 3] on reference)`, with the values when small.
    public var description: String {
        var text = "Tensor(\(dtype) \(shape) on \(backend.name)"
        if elementCount <= 16, let host = try? toHost() {
            switch host.elements {
            case .float32(let v): text += " " + v.map { "\($0)" }.joined(separator: " ")
            case .float64(let v): text += " " + v.map { "\($0)" }.joined(separator: " ")
            case .int64(let v): text += " " + v.map { "\($0)" }.joined(separator: " ")
            }
        }
        if let name { text += " name: \(name)" }
        return text + ")"
    }
}

// MARK: - Host transfer and creation

extension Tensor {
    /// Uploads host data to `backend` (the selected default backend when nil).
    public convenience init(_ array: HostArray, on backend: (any Backend)? = nil, requiresGrad: Bool = false) throws {
        let target = try backend ?? BackendRegistry.shared.current()
        let storage = try target.upload(array)
        self.init(storage: storage, shape: array.shape, dtype: array.dtype, backend: target, requiresGrad: requiresGrad)
    }

    public convenience init(_ values: [Float], shape: Shape, on backend: (any Backend)? = nil, requiresGrad: Bool = false) throws {
        try self.init(HostArray(values, shape: shape), on: backend, requiresGrad: requiresGrad)
    }

    public convenience init(_ values: [Double], shape: Shape, on backend: (any Backend)? = nil, requiresGrad: Bool = false) throws {
        try self.init(HostArray(values, shape: shape), on: backend, requiresGrad: requiresGrad)
    }

    public convenience init(_ values: [Int64], shape: Shape, on backend: (any Backend)? = nil) throws {
        try self.init(HostArray(values, shape: shape), on: backend)
    }

    /// Values given as doubles, stored in `dtype`.
    public convenience init(doubles values: [Double], shape: Shape, dtype: DType,
                            on backend: (any Backend)? = nil, requiresGrad: Bool = false) throws {
        try self.init(HostArray(doubles: values, shape: shape, dtype: dtype), on: backend, requiresGrad: requiresGrad)
    }

    /// A tensor of `shape` filled with `value`.
    public static func full(_ value: Double, shape: Shape, dtype: DType = .float32,
                            on backend: (any Backend)? = nil) throws -> Tensor {
        let target = try backend ?? BackendRegistry.shared.current()
        _ = try shape.allocatable(dtype, for: "full")
        return Tensor(storage: try target.full(value, shape: shape, dtype: dtype),
                      shape: shape, dtype: dtype, backend: target)
    }

    public static func zeros(_ shape: Shape, dtype: DType = .float32, on backend: (any Backend)? = nil) throws -> Tensor {
        try full(0, shape: shape, dtype: dtype, on: backend)
    }

    public static func ones(_ shape: Shape, dtype: DType = .float32, on backend: (any Backend)? = nil) throws -> Tensor {
        try full(1, shape: shape, dtype: dtype, on: backend)
    }

    /// A rank-0 tensor.
    public static func scalar(_ value: Double, dtype: DType = .float32, on backend: (any Backend)? = nil) throws -> Tensor {
        try Tensor(HostArray.scalar(value, dtype: dtype), on: backend)
    }

    /// `0, 1, ..., count - 1`.
    public static func arange(_ count: Int, dtype: DType = .int64, on backend: (any Backend)? = nil) throws -> Tensor {
        guard count >= 0 else { throw MinoError.argument("arange", "count \(count) is negative") }
        _ = try Shape([count]).allocatable(.float64, for: "arange")
        return try Tensor(doubles: (0..<count).map(Double.init), shape: [count], dtype: dtype, on: backend)
    }

    /// A scalar of this tensor's dtype on this tensor's backend.
    public func scalarLike(_ value: Double) throws -> Tensor {
        try Tensor.full(value, shape: .scalar, dtype: dtype, on: backend)
    }

    /// Downloads the values (row-major) to the host.
    public func toHost() throws -> HostArray {
        try backend.download(operand)
    }

    /// The values as floats.
    public func floats() throws -> [Float] { try toHost().floats }
    /// The values as doubles.
    public func doubles() throws -> [Double] { try toHost().doubles }
    /// The values as 64-bit integers.
    public func int64s() throws -> [Int64] { try toHost().int64s }

    /// The single value of a one-element tensor.
    public func item() throws -> Double {
        guard elementCount == 1 else {
            throw MinoError.argument("item", "a tensor of shape \(shape) has \(elementCount) elements, not one")
        }
        return try doubles()[0]
    }

    /// The same values on another backend (through the host).
    public func to(_ target: any Backend) throws -> Tensor {
        if target === backend { return self }
        return try Tensor(toHost(), on: target, requiresGrad: false)
    }
}
