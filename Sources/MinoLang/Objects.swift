import MinoCore
import MinoLisp

/// A module or namespace: `torch`, `torch.nn.functional`, `hytorch.core`. Members are a
/// table built once; attribute access reads it.
public final class NamespaceObject: LangObject {
    public let name: String
    private(set) var members: [String: Value] = [:]
    /// Hy spellings in definition order, for `import *` and suggestions.
    private(set) var memberNames: [String] = []

    init(_ name: String) { self.name = name }

    /// Adds or replaces a member, under its Hy spelling (looked up by mangled spelling too).
    func define(_ name: String, _ value: Value) {
        if members[Mangling.mangle(name)] == nil { memberNames.append(name) }
        members[Mangling.mangle(name)] = value
    }

    /// The namespace at `path` below this one, made on first use.
    func child(_ path: [String]) -> NamespaceObject {
        guard let first = path.first else { return self }
        let key = Mangling.mangle(first)
        if case .object(let o)? = members[key], let ns = o as? NamespaceObject {
            return ns.child(Array(path.dropFirst()))
        }
        let ns = NamespaceObject(name + "." + first)
        define(first, .object(ns))
        return ns.child(Array(path.dropFirst()))
    }

    func member(_ name: String) throws -> Value {
        if let v = members[Mangling.mangle(name)] { return v }
        throw LangError.attribute(missingAttribute(Mangling.mangle(name)))
    }

    public var typeName: String { "module" }
    public func attribute(_ name: String) throws -> Value {
        if let v = members[name] { return v }
        throw LangError.attribute("module '\(self.name)' has no attribute '\(name)'"
                                  + Suggestions.hint(for: name, among: Array(members.keys)))
    }
    public var attributeNames: [String] { Array(members.keys) }
    public var str: String { "<module '\(name)'>" }
}

/// A class: `torch.Tensor`, `nn.Module`, `int`, `ValueError`: `instance?` tests against
/// it, and calling it constructs (or converts).
public final class TypeObject: LangObject {
    public let name: String
    let test: (Value) -> Bool
    let construct: ((_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value)?
    /// Where reverted source refers to it (`torch.nn.Linear`).
    let sourceName: String?

    init(_ name: String, sourceName: String? = nil, test: @escaping (Value) -> Bool,
         construct: ((_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value)? = nil) {
        self.name = name
        self.sourceName = sourceName
        self.test = test
        self.construct = construct
    }

    public var typeName: String { "type" }
    public var callable: ((_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value)? {
        guard let construct else { return nil }
        return construct
    }
    public var str: String { "<class '\(name)'>" }
    public func attribute(_ attribute: String) throws -> Value {
        if attribute == "__name__" { return .string(name) }
        throw LangError.attribute("type object '\(name)' has no attribute '\(attribute)'")
    }
}

/// `range(start, stop, step)`: iterated lazily.
final class RangeObject: LangObject {
    let start: Int, stop: Int, step: Int
    init(_ start: Int, _ stop: Int, _ step: Int) {
        self.start = start
        self.stop = stop
        self.step = step
    }
    var count: Int {
        if step > 0 { return stop > start ? (stop - start + step - 1) / step : 0 }
        return start > stop ? (start - stop - step - 1) / (-step) : 0
    }
    func element(_ i: Int) -> Int { start + i * step }
    var typeName: String { "range" }
    var str: String { step == 1 ? "range(\(start), \(stop))" : "range(\(start), \(stop), \(step))" }
}

/// A caught exception: `(except [e ValueError] (print e))`.
public final class ExceptionObject: LangObject {
    public let error: LangError
    init(_ error: LangError) { self.error = error }
    public var typeName: String { error.pythonType }
    public var str: String { error.message }
    public var repr: String { "\(error.pythonType)(\(Value.string(error.message).pyRepr))" }
    public func attribute(_ name: String) throws -> Value {
        switch name {
        case "args": return .tuple([.string(error.message)])
        case "message": return .string(error.message)
        default: throw LangError.attribute(missingAttribute(name))
        }
    }

    /// Python's exception classes, child → parent.
    static let hierarchy: [String: String] = [
        "ZeroDivisionError": "ArithmeticError", "OverflowError": "ArithmeticError",
        "IndexError": "LookupError", "KeyError": "LookupError",
        "RecursionError": "RuntimeError", "NotImplementedError": "RuntimeError",
        "ModuleNotFoundError": "ImportError", "UnboundLocalError": "NameError",
        "ArithmeticError": "Exception", "LookupError": "Exception", "RuntimeError": "Exception",
        "ValueError": "Exception", "TypeError": "Exception", "NameError": "Exception",
        "AttributeError": "Exception", "AssertionError": "Exception", "ImportError": "Exception",
        "OSError": "Exception", "SyntaxError": "Exception", "MacroError": "Exception",
        "TimeoutError": "Exception", "StopIteration": "Exception",
    ]
    static let classNames = Array(hierarchy.keys) + ["Exception"]

    static func isSubclass(_ type: String, of parent: String) -> Bool {
        var current: String? = type
        while let t = current {
            if t == parent { return true }
            current = hierarchy[t] ?? (t == "Exception" ? nil : "Exception")
        }
        return false
    }

    /// Whether `error` is caught by an `except` naming `type` (a class or its name).
    static func matches(_ error: LangError, _ type: Value) throws -> Bool {
        guard case .object(let o) = type, let cls = o as? TypeObject else {
            throw LangError.type("catching classes that do not inherit from BaseException is not allowed (got \(type.typeName))")
        }
        return isSubclass(error.pythonType, of: cls.name)
    }

    /// The error `(raise value)` throws: an exception object, or a class (instantiated empty).
    static func error(raising value: Value, at location: SourceLocation?) throws -> LangError {
        switch value {
        case .object(let o as ExceptionObject):
            var e = o.error
            e.location = location
            e.trace = []
            return e
        case .object(let o as TypeObject) where classNames.contains(o.name):
            return LangError(o.name, "", at: location)
        default:
            throw LangError.type("exceptions must derive from BaseException (got \(value.typeName))", at: location)
        }
    }

    /// The class object for an exception name (`ValueError`): calling it makes an exception.
    static func classObject(_ name: String) -> TypeObject {
        TypeObject(name, test: { v in
            if case .object(let o as ExceptionObject) = v { return isSubclass(o.error.pythonType, of: name) }
            return false
        }, construct: { args, _ in
            .object(ExceptionObject(LangError(name, args.map(\.str).joined(separator: " "))))
        })
    }
}

/// `torch.float32` and friends.
public final class DTypeObject: LangObject {
    public let dtype: DType
    init(_ dtype: DType) { self.dtype = dtype }
    public var typeName: String { "dtype" }
    public var str: String { dtype.info.torchName }
    public func attribute(_ name: String) throws -> Value {
        if name == "is_floating_point" { return .bool(dtype.isFloatingPoint) }
        throw LangError.attribute(missingAttribute(name))
    }
}

/// `torch.device "cpu"`.
public final class DeviceObject: LangObject {
    public let type: String
    public let index: Int?
    init(_ spec: String) throws {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard let kind = parts.first, ["cpu", "cuda", "mps"].contains(kind) else {
            throw LangError("RuntimeError", "Expected one of cpu, cuda, mps device type at start of device string: \(spec)")
        }
        type = kind
        if parts.count == 2 {
            guard let i = Int(parts[1]), i >= 0 else { throw LangError("RuntimeError", "Invalid device string: '\(spec)'") }
            index = i
        } else {
            index = nil
        }
    }
    public var typeName: String { "device" }
    public var str: String { index.map { "\(type):\($0)" } ?? type }
    public var repr: String { "device(type='\(type)'\(index.map { ", index=\($0)" } ?? ""))" }
    public func attribute(_ name: String) throws -> Value {
        switch name {
        case "type": return .string(type)
        case "index": return index.map { .int($0) } ?? .none
        default: throw LangError.attribute(missingAttribute(name))
        }
    }
}

/// `(with [(torch.no_grad)] …)`: the body runs without recording gradients.
final class NoGradContext: ContextManager {
    var typeName: String { "no_grad" }
    func within(_ body: (Value) throws -> Value) throws -> Value {
        try withoutGradients { try body(.none) }
    }
}
