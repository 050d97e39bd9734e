import CPython
import Foundation

/// One strong reference to a Python object.
///
/// The reference is taken when the PythonObject is made and dropped in
/// `deinit`, under the GIL, on whatever thread releases the last Swift
/// reference. Every method takes the GIL for exactly the Python calls it
/// makes and throws `PythonError` for any Python exception; none of them
/// can crash the process on bad input.
///
/// `@unchecked Sendable`: the wrapped pointer never changes and every use of
/// the object behind it happens under the GIL, so handing a PythonObject to
/// another thread is safe. (What Python code does with the object is, as in
/// Python, the caller's business.)
public final class PythonObject: @unchecked Sendable {
    /// The owned (+1) `PyObject *`.
    let reference: OpaquePointer

    /// Adopts a new reference (the caller gives up its +1).
    init(owning reference: OpaquePointer) {
        self.reference = reference
    }

    /// Takes a reference of its own to a borrowed pointer. GIL held.
    init(borrowing reference: OpaquePointer) {
        mino_py.Py_IncRef(reference)
        self.reference = reference
    }

    deinit {
        let reference = self.reference
        holdingGIL { mino_py.Py_DecRef(reference) }
    }

    /// The raw `PyObject *`, borrowed: valid while this PythonObject lives.
    /// For C interop only (e.g. a DLPack capsule handed to another C library).
    public var unsafePointer: OpaquePointer { reference }

    /// Whether this is Python's `None`.
    public var isNone: Bool { reference == mino_py.Py_None }

    /// Whether both refer to the same Python object (`a is b`).
    public func isSame(as other: PythonObject) -> Bool { reference == other.reference }

    // MARK: Attributes and items

    /// `getattr(self, name)`.
    public func attribute(_ name: String) throws -> PythonObject {
        try holdingGIL {
            let key = try makeUnicode(name, context: "attribute '\(name)'")
            return try adopt(mino_py.PyObject_GetAttr(reference, key.reference), "getting attribute '\(name)'")
        }
    }

    /// `setattr(self, name, value)`; `nil` sets None.
    public func setAttribute(_ name: String, _ value: PythonConvertible?) throws {
        try holdingGIL {
            let key = try makeUnicode(name, context: "attribute '\(name)'")
            let object = try makePython(value)
            try checkStatus(mino_py.PyObject_SetAttr(reference, key.reference, object.reference),
                            "setting attribute '\(name)'")
        }
    }

    /// `self[key]`.
    public func item(_ key: PythonConvertible?) throws -> PythonObject {
        try holdingGIL {
            let keyObject = try makePython(key)
            return try adopt(mino_py.PyObject_GetItem(reference, keyObject.reference), "getting an item")
        }
    }

    /// `self[key] = value`.
    public func setItem(_ key: PythonConvertible?, _ value: PythonConvertible?) throws {
        try holdingGIL {
            let keyObject = try makePython(key)
            let valueObject = try makePython(value)
            try checkStatus(mino_py.PyObject_SetItem(reference, keyObject.reference, valueObject.reference),
                            "setting an item")
        }
    }

    // MARK: Calls

    /// `self(*args, **kwargs)`. `nil` arguments are passed as None.
    ///
    ///     let y = try torch.attribute("ones").call([2, 3], kwargs: [("dtype", float64)])
    @discardableResult
    public func call(_ args: [PythonConvertible?] = [],
                     kwargs: [(String, PythonConvertible?)] = []) throws -> PythonObject {
        try holdingGIL {
            let tuple = try makeArgumentTuple(args)
            let dict = try makeKeywordDict(kwargs)
            return try adopt(mino_py.PyObject_Call(reference, tuple.reference, dict?.reference),
                             "calling \(shortRepr(reference))")
        }
    }

    /// `self.name(*args, **kwargs)`.
    @discardableResult
    public func callMethod(_ name: String, _ args: [PythonConvertible?] = [],
                           kwargs: [(String, PythonConvertible?)] = []) throws -> PythonObject {
        try holdingGIL {
            let key = try makeUnicode(name, context: "method '\(name)'")
            let method = try adopt(mino_py.PyObject_GetAttr(reference, key.reference),
                                   "getting method '\(name)'")
            let tuple = try makeArgumentTuple(args)
            let dict = try makeKeywordDict(kwargs)
            return try adopt(mino_py.PyObject_Call(method.reference, tuple.reference, dict?.reference),
                             "calling method '\(name)'")
        }
    }

    // MARK: Converting to Swift

    /// The value of a Python `int` (or anything with `__index__`).
    /// Throws OverflowError outside Int's range, TypeError for a float or str.
    public func toInt() throws -> Int {
        let value = try toInt64()
        guard let result = Int(exactly: value) else {
            throw PythonError(kind: .invalidArgument, typeName: "OverflowError",
                              message: "\(value) does not fit in Int", context: "converting to Int")
        }
        return result
    }

    /// The value of a Python `int` (or anything with `__index__`) as Int64.
    public func toInt64() throws -> Int64 {
        try holdingGIL {
            let value = mino_py.PyLong_AsLongLong(reference)
            if value == -1, mino_py.PyErr_Occurred() != nil {
                throw fetchPythonError(context: "converting \(typeName(of: reference)) to Int")
            }
            return Int64(value)
        }
    }

    /// The value of a Python `float` (or an `int`, or anything with `__float__`).
    public func toDouble() throws -> Double {
        try holdingGIL {
            let value = mino_py.PyFloat_AsDouble(reference)
            if value == -1, mino_py.PyErr_Occurred() != nil {
                throw fetchPythonError(context: "converting \(typeName(of: reference)) to Double")
            }
            return value
        }
    }

    /// `toDouble()` rounded to Float.
    public func toFloat() throws -> Float { Float(try toDouble()) }

    /// Python truth (`bool(self)`): throws where Python's `bool()` would,
    /// e.g. for a tensor of more than one element.
    public func toBool() throws -> Bool {
        try holdingGIL {
            let truth = mino_py.PyObject_IsTrue(reference)
            if truth < 0 { throw fetchPythonError(context: "converting \(typeName(of: reference)) to Bool") }
            return truth == 1
        }
    }

    /// The text of a Python `str` (TypeError for anything else; use
    /// `description` for `str(self)`).
    public func toString() throws -> String {
        try holdingGIL {
            if let string = swiftString(fromUnicode: reference) { return string }
            let error = fetchPythonError(context: "converting to String")
            if error.typeName == "TypeError" {
                throw PythonError(kind: .exception, typeName: "TypeError",
                                  message: "expected a str, got \(typeName(of: reference))",
                                  context: "converting to String", exception: error.exception)
            }
            throw error
        }
    }

    /// The items of any iterable (list, tuple, generator, tensor rows, ...).
    public func toArray() throws -> [PythonObject] {
        try holdingGIL {
            let iterator = try adopt(mino_py.PyObject_GetIter(reference), "iterating \(typeName(of: reference))")
            var items: [PythonObject] = []
            while let item = mino_py.PyIter_Next(iterator.reference) {
                items.append(PythonObject(owning: item))
            }
            if mino_py.PyErr_Occurred() != nil {
                throw fetchPythonError(context: "iterating \(typeName(of: reference))")
            }
            return items
        }
    }

    /// The items of any iterable, each converted to `T`.
    public func toArray<T: ConvertibleFromPython>(of type: T.Type) throws -> [T] {
        try toArray().map { try T(python: $0) }
    }

    /// The bytes of a `bytes`, `bytearray`, `memoryview` or any C-contiguous
    /// buffer (copied).
    public func toBytes() throws -> [UInt8] {
        try withBuffer { bytes, _, _ in Array(bytes) }
    }

    /// `len(self)`.
    public func count() throws -> Int {
        try holdingGIL {
            let size = mino_py.PyObject_Size(reference)
            if size < 0 { throw fetchPythonError(context: "len() of \(typeName(of: reference))") }
            return size
        }
    }

    /// `repr(self)`.
    public func repr() throws -> String {
        try holdingGIL {
            let text = try adopt(mino_py.PyObject_Repr(reference), "repr()")
            guard let string = swiftString(fromUnicode: text.reference) else {
                throw fetchPythonError(context: "repr()")
            }
            return string
        }
    }

    /// `type(self).__name__`, qualified with its module unless builtin
    /// (`int`, `torch.Tensor`).
    public var pythonTypeName: String {
        holdingGIL { typeName(of: reference) }
    }

    // MARK: Context managers

    /// `with self as entered: body(entered)`.
    ///
    /// Calls `__enter__`, runs `body`, then `__exit__`: with `(None, None, None)`
    /// when `body` returns, and with the exception when it throws (a
    /// PythonError's own exception, or a `RuntimeError` describing a Swift
    /// error). An error thrown by `body` is always rethrown: a manager's
    /// `__exit__` returning True does not swallow Swift errors. An exception
    /// raised by `__exit__` itself is thrown instead.
    public func withContext<Result>(_ body: (PythonObject) throws -> Result) throws -> Result {
        let exit = try attribute("__exit__")
        let entered = try callMethod("__enter__")
        let result: Result
        do {
            result = try body(entered)
        } catch {
            let exception = try exceptionObject(for: error)
            let type = try exception.attribute("__class__")
            let traceback = try exception.attribute("__traceback__")
            try exit.call([type, exception, traceback])
            throw error
        }
        try exit.call([nil, nil, nil])
        return result
    }
}

extension PythonObject: CustomStringConvertible, CustomDebugStringConvertible {
    /// `str(self)`; if that raises, a placeholder naming the type and the exception.
    public var description: String {
        holdingGIL {
            if let text = rawString(reference, repr: false) { return text }
            return "<\(typeName(of: reference)) object: str() failed>"
        }
    }

    /// `repr(self)`, or a placeholder if that raises.
    public var debugDescription: String {
        holdingGIL {
            if let text = rawString(reference, repr: true) { return text }
            return "<\(typeName(of: reference)) object: repr() failed>"
        }
    }
}

// MARK: - Helpers (all with the GIL held)

/// Adopts a new reference returned by the C API, or throws the pending exception.
func adopt(_ result: OpaquePointer?, _ context: @autoclosure () -> String) throws -> PythonObject {
    guard let result else { throw fetchPythonError(context: context()) }
    return PythonObject(owning: result)
}

/// Throws the pending exception if a C-API call returned -1.
func checkStatus(_ status: Int32, _ context: @autoclosure () -> String) throws {
    if status != 0 { throw fetchPythonError(context: context()) }
}

/// A Python str made from a Swift string (names may contain anything,
/// NUL included: nothing is truncated).
func makeUnicode(_ string: String, context: String) throws -> PythonObject {
    guard let object = rawUnicode(string) else { throw fetchPythonError(context: context) }
    return object
}

/// A Swift value as a Python object; nil is None.
func makePython(_ value: PythonConvertible?) throws -> PythonObject {
    guard let value else { return PythonObject(borrowing: mino_py.Py_None) }
    return try value.pythonObject()
}

/// A tuple of the arguments. PyTuple_SetItem steals a reference, so each
/// item is increfed first; the Swift-side PythonObject keeps (and later
/// drops) its own.
func makeArgumentTuple(_ args: [PythonConvertible?]) throws -> PythonObject {
    let tuple = try adopt(mino_py.PyTuple_New(args.count), "building the arguments")
    for (index, arg) in args.enumerated() {
        let item = try makePython(arg)
        mino_py.Py_IncRef(item.reference)
        try checkStatus(mino_py.PyTuple_SetItem(tuple.reference, index, item.reference),
                        "building the arguments")
    }
    return tuple
}

/// A dict of the keyword arguments, or nil when there are none.
func makeKeywordDict(_ kwargs: [(String, PythonConvertible?)]) throws -> PythonObject? {
    if kwargs.isEmpty { return nil }
    let dict = try adopt(mino_py.PyDict_New(), "building the keyword arguments")
    for (name, value) in kwargs {
        let key = try makeUnicode(name, context: "keyword '\(name)'")
        let object = try makePython(value)
        try checkStatus(mino_py.PyDict_SetItem(dict.reference, key.reference, object.reference),
                        "building keyword argument '\(name)'")
    }
    return dict
}

/// `type(o).__name__`, with its module unless builtin. Never fails.
func typeName(of object: OpaquePointer) -> String {
    guard let type = rawAttribute(object, "__class__") else { return "object" }
    let name = rawAttributeString(type.reference, "__qualname__") ?? "object"
    let module = rawAttributeString(type.reference, "__module__") ?? "builtins"
    return module == "builtins" ? name : "\(module).\(name)"
}

/// `repr(o)` cut to a readable length, for error contexts. Never fails.
func shortRepr(_ object: OpaquePointer, limit: Int = 80) -> String {
    guard let text = rawString(object, repr: true) else { return "<\(typeName(of: object))>" }
    let flat = text.replacingOccurrences(of: "\n", with: " ")
    return flat.count <= limit ? flat : String(flat.prefix(limit)) + "…"
}

/// The Python exception that stands for a Swift error inside a `with` block.
func exceptionObject(for error: Error) throws -> PythonObject {
    if let pythonError = error as? PythonError, let exception = pythonError.exception {
        return exception
    }
    return try withRunningGIL("describing a Swift error to Python") {
        let builtins = try adopt(mino_py.PyImport_ImportModule("builtins"), "import 'builtins'")
        let runtimeError = try builtins.attribute("RuntimeError")
        return try runtimeError.call(["Swift error: \(error)"])
    }
}
