import CPython

/// A Swift value that can become a Python object.
///
/// Conversions need a running interpreter (they throw `PythonError` of kind
/// `.notStarted` otherwise) and take the GIL themselves, so they may be
/// called with or without it held.
public protocol PythonConvertible {
    /// A new Python object for this value.
    func pythonObject() throws -> PythonObject
}

/// A Swift value that can be made from a Python object.
public protocol ConvertibleFromPython {
    init(python: PythonObject) throws
}

extension PythonObject: PythonConvertible, ConvertibleFromPython {
    public func pythonObject() throws -> PythonObject { self }
    public convenience init(python: PythonObject) throws {
        let reference = python.reference
        self.init(owning: holdingGIL { mino_py.Py_IncRef(reference); return reference })
    }
}

// MARK: Numbers

extension Int: PythonConvertible, ConvertibleFromPython {
    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("converting \(self)") {
            try adopt(mino_py.PyLong_FromLongLong(Int64(self)), "converting \(self)")
        }
    }
    public init(python: PythonObject) throws { self = try python.toInt() }
}

extension Int32: PythonConvertible, ConvertibleFromPython {
    public func pythonObject() throws -> PythonObject { try Int(self).pythonObject() }
    public init(python: PythonObject) throws {
        let value = try python.toInt64()
        guard let exact = Int32(exactly: value) else {
            throw PythonError(kind: .invalidArgument, typeName: "OverflowError",
                              message: "\(value) does not fit in Int32", context: "converting to Int32")
        }
        self = exact
    }
}

extension Int64: PythonConvertible, ConvertibleFromPython {
    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("converting \(self)") {
            try adopt(mino_py.PyLong_FromLongLong(self), "converting \(self)")
        }
    }
    public init(python: PythonObject) throws { self = try python.toInt64() }
}

extension UInt64: PythonConvertible {
    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("converting \(self)") {
            try adopt(mino_py.PyLong_FromUnsignedLongLong(self), "converting \(self)")
        }
    }
}

extension UInt8: PythonConvertible {
    public func pythonObject() throws -> PythonObject { try Int(self).pythonObject() }
}

extension Double: PythonConvertible, ConvertibleFromPython {
    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("converting \(self)") {
            try adopt(mino_py.PyFloat_FromDouble(self), "converting \(self)")
        }
    }
    public init(python: PythonObject) throws { self = try python.toDouble() }
}

extension Float: PythonConvertible, ConvertibleFromPython {
    /// A Python float (a double) holding exactly this Float's value.
    public func pythonObject() throws -> PythonObject { try Double(self).pythonObject() }
    public init(python: PythonObject) throws { self = try python.toFloat() }
}

extension Bool: PythonConvertible, ConvertibleFromPython {
    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("converting \(self)") {
            try adopt(mino_py.PyBool_FromLong(self ? 1 : 0), "converting \(self)")
        }
    }
    public init(python: PythonObject) throws { self = try python.toBool() }
}

// MARK: Text

extension String: PythonConvertible, ConvertibleFromPython {
    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("converting a String") {
            try makeUnicode(self, context: "converting a String")
        }
    }
    public init(python: PythonObject) throws { self = try python.toString() }
}

extension Substring: PythonConvertible {
    public func pythonObject() throws -> PythonObject { try String(self).pythonObject() }
}

// MARK: Containers

extension Optional: PythonConvertible where Wrapped: PythonConvertible {
    /// The wrapped value, or None.
    public func pythonObject() throws -> PythonObject {
        switch self {
        case .some(let value): return try value.pythonObject()
        case .none: return try PythonNone().pythonObject()
        }
    }
}

extension Array: PythonConvertible where Element: PythonConvertible {
    /// A Python list (for a list of mixed types, use `PythonList`).
    public func pythonObject() throws -> PythonObject {
        try PythonList(self.map { $0 as PythonConvertible? }).pythonObject()
    }
}

extension Array: ConvertibleFromPython where Element: ConvertibleFromPython {
    /// The items of any iterable, each converted.
    public init(python: PythonObject) throws { self = try python.toArray(of: Element.self) }
}

extension Dictionary: PythonConvertible where Key: PythonConvertible, Value: PythonConvertible {
    /// A Python dict.
    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("converting a Dictionary") {
            let dict = try adopt(mino_py.PyDict_New(), "converting a Dictionary")
            for (key, value) in self {
                let keyObject = try key.pythonObject()
                let valueObject = try value.pythonObject()
                try checkStatus(mino_py.PyDict_SetItem(dict.reference, keyObject.reference, valueObject.reference),
                                "converting a Dictionary")
            }
            return dict
        }
    }
}

/// Python's `None`.
public struct PythonNone: PythonConvertible {
    public init() {}
    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("making None") { PythonObject(borrowing: mino_py.Py_None) }
    }
}

/// A Python list of values of any convertible types (`nil` is None).
///
///     PythonList([1, "two", 3.0, nil])
public struct PythonList: PythonConvertible {
    public var items: [PythonConvertible?]
    public init(_ items: [PythonConvertible?]) { self.items = items }

    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("building a list") {
            let list = try adopt(mino_py.PyList_New(items.count), "building a list")
            for (index, value) in items.enumerated() {
                let item = try makePython(value)
                mino_py.Py_IncRef(item.reference)       // PyList_SetItem steals it
                try checkStatus(mino_py.PyList_SetItem(list.reference, index, item.reference),
                                "building a list")
            }
            return list
        }
    }
}

/// A Python tuple (Swift tuples cannot conform to protocols).
///
///     PythonTuple(2, 3)                  // (2, 3)
///     PythonTuple(items: [1, "a", nil])  // (1, 'a', None)
public struct PythonTuple: PythonConvertible {
    public var items: [PythonConvertible?]
    public init(_ items: PythonConvertible?...) { self.items = items }
    public init(items: [PythonConvertible?]) { self.items = items }

    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("building a tuple") { try makeArgumentTuple(items) }
    }
}

/// A Python `bytes` holding a copy of these bytes.
public struct PythonBytes: PythonConvertible {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func pythonObject() throws -> PythonObject {
        try withRunningGIL("building bytes") {
            try bytes.withUnsafeBufferPointer { buffer in
                try buffer.withMemoryRebound(to: CChar.self) { chars in
                    try adopt(mino_py.PyBytes_FromStringAndSize(chars.baseAddress, chars.count), "building bytes")
                }
            }
        }
    }
}
