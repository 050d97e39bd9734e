import CPython

/// A failure while talking to a running Python: a Python exception, or a
/// C-API call that failed without setting one, or an argument the bridge
/// refuses before Python sees it. Never a crash.
public struct PythonError: Error, CustomStringConvertible, @unchecked Sendable {
    public enum Kind: Sendable, Equatable {
        /// Python raised an exception (`typeName`, `message`, `traceback` are Python's).
        case exception
        /// A C-API call returned NULL / -1 but no exception was set.
        case nullWithoutException
        /// The bridge refused an argument (a name with a NUL byte, a buffer
        /// that is not what was asked for, ...) without calling Python.
        case invalidArgument
        /// Python has not been started in this process
        /// (call `PythonInterpreter.start()` or `PythonInterpreter.shared`).
        case notStarted
    }

    public let kind: Kind
    /// The exception's class: `ValueError` for builtins, else `module.QualName`
    /// (`torch.OutOfMemoryError`). For other kinds, a short tag.
    public let typeName: String
    /// `str(exception)`.
    public let message: String
    /// `"".join(traceback.format_exception(type, value, tb))`: the text Python
    /// would print, ending with `TypeName: message`. Empty for other kinds.
    public let traceback: String
    /// What the bridge was doing: `call`, `attribute 'relu'`, `import 'torch'`, ...
    public let context: String
    /// The exception object itself (for `isinstance` checks or re-raising);
    /// nil for other kinds.
    public let exception: PythonObject?

    public init(kind: Kind, typeName: String, message: String, traceback: String = "",
                context: String, exception: PythonObject? = nil) {
        self.kind = kind
        self.typeName = typeName
        self.message = message
        self.traceback = traceback
        self.context = context
        self.exception = exception
    }

    public var description: String {
        var text: String
        switch kind {
        case .exception:
            text = "Python \(typeName): \(message) (while \(context))"
        case .nullWithoutException:
            text = "Python returned an error without an exception (while \(context))"
        case .invalidArgument:
            text = "invalid argument for Python: \(message) (while \(context))"
        case .notStarted:
            text = "Python is not running: \(message)"
        }
        if !traceback.isEmpty {
            text += "\n" + traceback
            if text.hasSuffix("\n") { text.removeLast() }
        }
        return text
    }
}

/// Python could not be found, loaded or started. Lists every place the
/// search looked and what to do about it. The torch backend reports this
/// as "Python is missing".
public struct PythonSetupError: Error, CustomStringConvertible, Sendable {
    public enum Stage: String, Sendable {
        /// No usable Python executable.
        case locate
        /// The executable was found, but running it to ask about itself failed.
        case probe
        /// The interpreter has no shared libpython we could find.
        case library
        /// dlopen / dlsym of libpython failed, or it is a different version.
        case load
        /// Py_InitializeEx or setting up `sys` failed.
        case initialize
        /// Python is already running from another environment in this process.
        case alreadyRunning
    }

    public let stage: Stage
    public let summary: String
    /// Every place looked at, in order, each with what was found there.
    public let searched: [String]
    /// What to do about it.
    public let fix: String

    public init(stage: Stage, summary: String, searched: [String], fix: String = PythonSetupError.standardFix) {
        self.stage = stage
        self.summary = summary
        self.searched = searched
        self.fix = fix
    }

    public static let standardFix = """
        To fix: run `scripts/setup.sh --python` (or `make setup`) in the Mino checkout to \
        create .venv with a CPU torch; or set MINO_PYTHON=/path/to/bin/python of an \
        environment that has torch (MINO_PYTHON_LIBRARY=/path/to/libpython3.X.so overrides \
        the shared library).
        """

    public var description: String {
        var lines = ["Python is not available: \(summary)"]
        if !searched.isEmpty {
            lines.append("Looked at:")
            lines += searched.map { "  - " + $0 }
        }
        if !fix.isEmpty { lines.append(fix) }
        return lines.joined(separator: "\n")
    }
}

// MARK: - Turning the current Python error into a PythonError

/// Takes the error indicator (which it clears) and describes it. Call with
/// the GIL held, right after a C-API call reported failure. Never throws
/// and never leaves an error set: each step that fails falls back to less
/// detail.
///
/// `context` is evaluated only after the error has been fetched, so it may
/// itself call into Python (to show a repr, say).
func fetchPythonError(context: @autoclosure () -> String) -> PythonError {
    var type: OpaquePointer? = nil
    var value: OpaquePointer? = nil
    var trace: OpaquePointer? = nil
    mino_py.PyErr_Fetch(&type, &value, &trace)
    let context = context()
    guard type != nil else {
        return PythonError(kind: .nullWithoutException, typeName: "SystemError",
                           message: "a C-API call failed without setting an exception",
                           context: context)
    }
    mino_py.PyErr_NormalizeException(&type, &value, &trace)
    // Own the three references from here on.
    let typeObject = type.map { PythonObject(owning: $0) }
    let valueObject = value.map { PythonObject(owning: $0) }
    let traceObject = trace.map { PythonObject(owning: $0) }

    var typeName = "<unknown exception>"
    if let typeObject {
        let name = rawAttributeString(typeObject.reference, "__qualname__") ?? "<unnamed>"
        let module = rawAttributeString(typeObject.reference, "__module__") ?? "builtins"
        typeName = module == "builtins" ? name : "\(module).\(name)"
    }
    let message = valueObject.flatMap { rawString($0.reference, repr: false) } ?? "<unprintable>"

    var traceback = ""
    if let module = mino_py.PyImport_ImportModule("traceback") {
        let tracebackModule = PythonObject(owning: module)
        if let format = rawAttribute(tracebackModule.reference, "format_exception"),
           let args = mino_py.PyTuple_New(3) {
            let argsObject = PythonObject(owning: args)
            for (index, item) in [typeObject, valueObject, traceObject].enumerated() {
                let pointer = item?.reference ?? mino_py.Py_None
                mino_py.Py_IncRef(pointer)                       // PyTuple_SetItem steals it
                _ = mino_py.PyTuple_SetItem(args, index, pointer)
            }
            if let lines = mino_py.PyObject_Call(format.reference, argsObject.reference, nil) {
                let list = PythonObject(owning: lines)
                if let iterator = mino_py.PyObject_GetIter(list.reference) {
                    let iteratorObject = PythonObject(owning: iterator)
                    while let line = mino_py.PyIter_Next(iteratorObject.reference) {
                        let lineObject = PythonObject(owning: line)
                        traceback += rawString(lineObject.reference, repr: false) ?? ""
                    }
                }
            }
        }
    }
    mino_py.PyErr_Clear()
    if traceback.isEmpty { traceback = "\(typeName): \(message)\n" }

    return PythonError(kind: .exception, typeName: typeName, message: message,
                       traceback: traceback, context: context, exception: valueObject)
}

/// `getattr(object, name)` as a new reference, or nil with the error cleared. GIL held.
func rawAttribute(_ object: OpaquePointer, _ name: String) -> PythonObject? {
    guard let key = rawUnicode(name) else { mino_py.PyErr_Clear(); return nil }
    guard let result = mino_py.PyObject_GetAttr(object, key.reference) else {
        mino_py.PyErr_Clear()
        return nil
    }
    return PythonObject(owning: result)
}

/// `str(getattr(object, name))`, or nil with the error cleared. GIL held.
func rawAttributeString(_ object: OpaquePointer, _ name: String) -> String? {
    guard let attribute = rawAttribute(object, name) else { return nil }
    return rawString(attribute.reference, repr: false)
}

/// `str(object)` or `repr(object)` as a Swift string, or nil with the error cleared. GIL held.
func rawString(_ object: OpaquePointer, repr: Bool) -> String? {
    guard let text = repr ? mino_py.PyObject_Repr(object) : mino_py.PyObject_Str(object) else {
        mino_py.PyErr_Clear()
        return nil
    }
    let textObject = PythonObject(owning: text)
    guard let string = swiftString(fromUnicode: textObject.reference) else {
        mino_py.PyErr_Clear()
        return nil
    }
    return string
}

/// A Python `str` as a new reference, or nil (error set). GIL held.
func rawUnicode(_ string: String) -> PythonObject? {
    var copy = string
    return copy.withUTF8 { bytes in
        bytes.withMemoryRebound(to: CChar.self) { chars in
            mino_py.PyUnicode_FromStringAndSize(chars.baseAddress, chars.count).map { PythonObject(owning: $0) }
        }
    }
}

/// The UTF-8 contents of a Python `str`, or nil (error set: not a str, or
/// lone surrogates). GIL held.
func swiftString(fromUnicode object: OpaquePointer) -> String? {
    var size: Py_ssize_t = 0
    guard let utf8 = mino_py.PyUnicode_AsUTF8AndSize(object, &size) else { return nil }
    let bytes = UnsafeRawBufferPointer(start: utf8, count: size)
    return String(decoding: bytes, as: UTF8.self)
}
