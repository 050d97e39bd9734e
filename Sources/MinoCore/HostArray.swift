/// Tensor data in host memory, row-major: what crosses between a backend and
/// the rest of the world (files, Swift arrays, other backends).
///
/// Transfers are explicit: ``Tensor/init(_:on:)`` uploads one, and
/// ``Tensor/toHost()`` downloads one.
public struct HostArray: Equatable, Sendable {
    /// The elements, in the array type of their dtype.
    public enum Elements: Equatable, Sendable {
        case float32([Float])
        case float64([Double])
        case int64([Int64])

        public var count: Int {
            switch self {
            case .float32(let v): return v.count
            case .float64(let v): return v.count
            case .int64(let v): return v.count
            }
        }

        public var dtype: DType {
            switch self {
            case .float32: return .float32
            case .float64: return .float64
            case .int64: return .int64
            }
        }
    }

    public let shape: Shape
    public let elements: Elements
    public var dtype: DType { elements.dtype }

    /// - Throws: ``MinoError`` `.shape` when the element count does not match the shape.
    public init(shape: Shape, elements: Elements) throws {
        _ = try shape.validated(for: "HostArray")
        guard shape.elementCount == elements.count else {
            throw MinoError(.shape, "HostArray: shape \(shape) holds \(shape.elementCount) elements, "
                            + "but \(elements.count) were given")
        }
        self.shape = shape
        self.elements = elements
    }

    public init(_ values: [Float], shape: Shape) throws { try self.init(shape: shape, elements: .float32(values)) }
    public init(_ values: [Double], shape: Shape) throws { try self.init(shape: shape, elements: .float64(values)) }
    public init(_ values: [Int64], shape: Shape) throws { try self.init(shape: shape, elements: .int64(values)) }

    /// Values given as doubles, stored in `dtype` (rounded for float32, truncated for int64).
    public init(doubles values: [Double], shape: Shape, dtype: DType) throws {
        switch dtype {
        case .float32: try self.init(shape: shape, elements: .float32(values.map { Float($0) }))
        case .float64: try self.init(shape: shape, elements: .float64(values))
        case .int64: try self.init(shape: shape, elements: .int64(values.map { saturatingInt64($0) }))
        }
    }

    /// A scalar of `dtype`.
    public static func scalar(_ value: Double, dtype: DType) -> HostArray {
        // One element for the empty shape always matches.
        switch dtype {
        case .float32: return HostArray(unchecked: .scalar, .float32([Float(value)]))
        case .float64: return HostArray(unchecked: .scalar, .float64([value]))
        case .int64: return HostArray(unchecked: .scalar, .int64([saturatingInt64(value)]))
        }
    }

    /// For callers that built the elements from the shape themselves.
    public init(unchecked shape: Shape, _ elements: Elements) {
        self.shape = shape
        self.elements = elements
    }

    /// Every element as a `Double` (exact for float32 and float64).
    public var doubles: [Double] {
        switch elements {
        case .float32(let v): return v.map(Double.init)
        case .float64(let v): return v
        case .int64(let v): return v.map(Double.init)
        }
    }

    /// Every element as a `Float`.
    public var floats: [Float] {
        switch elements {
        case .float32(let v): return v
        case .float64(let v): return v.map(Float.init)
        case .int64(let v): return v.map(Float.init)
        }
    }

    /// Every element as an `Int64` (floats truncated toward zero).
    public var int64s: [Int64] {
        switch elements {
        case .float32(let v): return v.map { saturatingInt64($0) }
        case .float64(let v): return v.map { saturatingInt64($0) }
        case .int64(let v): return v
        }
    }

    /// The same values in another dtype.
    public func converted(to target: DType) -> HostArray {
        if target == dtype { return self }
        switch target {
        case .float32: return HostArray(unchecked: shape, .float32(floats))
        case .float64: return HostArray(unchecked: shape, .float64(doubles))
        case .int64: return HostArray(unchecked: shape, .int64(int64s))
        }
    }

    /// The raw little-endian bytes, row-major (the layout of safetensors and `.npy`).
    public var littleEndianBytes: [UInt8] {
        func bytes<T>(_ values: [T]) -> [UInt8] {
            values.withUnsafeBytes { Array($0) }
        }
        // Every platform Swift supports for Mino (x86-64, arm64) is little endian.
        switch elements {
        case .float32(let v): return bytes(v)
        case .float64(let v): return bytes(v)
        case .int64(let v): return bytes(v)
        }
    }

    /// Reads raw little-endian row-major bytes.
    ///
    /// - Throws: ``MinoError`` `.io` when the byte count does not match shape and dtype.
    public init(littleEndianBytes bytes: some Collection<UInt8>, dtype: DType, shape: Shape) throws {
        let count = shape.elementCount
        guard bytes.count == count * dtype.byteSize else {
            throw MinoError(.io, "expected \(count * dtype.byteSize) bytes for \(dtype) \(shape), found \(bytes.count)")
        }
        let raw = Array(bytes)
        func load<T>(_: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                raw.withUnsafeBytes { src in
                    let dst = UnsafeMutableRawBufferPointer(buffer)
                    dst.copyMemory(from: src)
                }
                initialized = count
            }
        }
        switch dtype {
        case .float32: try self.init(shape: shape, elements: .float32(load(Float.self)))
        case .float64: try self.init(shape: shape, elements: .float64(load(Double.self)))
        case .int64: try self.init(shape: shape, elements: .int64(load(Int64.self)))
        }
    }
}
