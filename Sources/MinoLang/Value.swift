import MinoCore
import MinoLisp

/// A value of the `.mu` language: one enum with Python's truthiness and equality.
///
/// Code is data: quoted forms (symbols, `'(f x)`, `'[a b]`) are `.form`. Evaluated
/// literals are Python values: `[1 2]` is a mutable `.list`, `(, 1 2)` a `.tuple`,
/// `{"a" 1}` a `.dict`. A parameter is a tensor marked trainable (`nn.Parameter`); it
/// computes like any tensor. Everything else a program meets — namespaces, mus,
/// layers, optimizers, dtypes, devices — is an `.object`.
public enum Value {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case keyword(String)
    indirect case form(Expr)
    case list(ListBox)
    case tuple([Value])
    case dict(DictBox)
    case tensor(Tensor)
    case parameter(Tensor)
    case function(Function)
    case object(LangObject)
}

/// A Python list: shared and mutable (`.append` is seen by every holder).
public final class ListBox {
    public var items: [Value]
    public init(_ items: [Value]) { self.items = items }
}

/// A Python dict: insertion-ordered, keys compared with Python's equality.
public final class DictBox {
    public private(set) var keys: [Value] = []
    public private(set) var values: [Value] = []
    public init() {}
    public init(_ pairs: [(Value, Value)]) {
        for (k, v) in pairs { set(k, v) }
    }
    public var count: Int { keys.count }
    public func index(of key: Value) -> Int? { keys.firstIndex { pyEqual($0, key) } }
    public func get(_ key: Value) -> Value? { index(of: key).map { values[$0] } }
    public func set(_ key: Value, _ value: Value) {
        if let i = index(of: key) { values[i] = value } else { keys.append(key); values.append(value) }
    }
    @discardableResult
    public func remove(_ key: Value) -> Value? {
        guard let i = index(of: key) else { return nil }
        keys.remove(at: i)
        return values.remove(at: i)
    }
    public var pairs: [(Value, Value)] { Array(zip(keys, values)) }
}

/// A callable: a builtin, a compiled `fn`/`defn`, a bound method, an op from the registry.
public final class Function {
    public let name: String
    /// Positional arguments and keyword arguments (Python spelling, in call order).
    public let body: (_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value
    /// The form to print when a model holding this function reverts to source
    /// (`torch.relu`); nil for anonymous functions.
    public var sourceName: String?

    public init(_ name: String, sourceName: String? = nil,
                _ body: @escaping (_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value) {
        self.name = name
        self.sourceName = sourceName
        self.body = body
    }

    @inline(__always)
    public func call(_ arguments: [Value], _ keywords: [(String, Value)] = []) throws -> Value {
        try body(arguments, keywords)
    }
}

/// Anything else a program holds: namespaces, mus, layers, optimizers, dtypes, devices.
/// Defaults make most requirements optional.
public protocol LangObject: AnyObject {
    /// Python's `type(x).__name__`.
    var typeName: String { get }
    /// `x.name`; throw `AttributeError` (the default) when there is none.
    func attribute(_ name: String) throws -> Value
    /// `(setv x.name v)`.
    func setAttribute(_ name: String, _ value: Value) throws
    /// `(x args…)`; nil when the object is not callable.
    var callable: ((_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value)? { get }
    /// Python's `str(x)` (what `print` shows).
    var str: String { get }
    /// Hy's repr (what the REPL shows).
    var repr: String { get }
    /// The attribute names, for error suggestions and `dir`.
    var attributeNames: [String] { get }
}

extension LangObject {
    public func attribute(_ name: String) throws -> Value {
        throw LangError.attribute(missingAttribute(name))
    }
    public func setAttribute(_ name: String, _ value: Value) throws {
        throw LangError.attribute("'\(typeName)' object attribute '\(name)' cannot be set")
    }
    public var callable: ((_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value)? { nil }
    public var str: String { "<\(typeName) object>" }
    public var repr: String { str }
    public var attributeNames: [String] { [] }

    /// `'T' object has no attribute 'x'`, with the nearest name when one is close.
    public func missingAttribute(_ name: String) -> String {
        "'\(typeName)' object has no attribute '\(name)'" + Suggestions.hint(for: name, among: attributeNames)
    }
}

// MARK: - Python semantics

extension Value {
    /// Python's `type(x).__name__`.
    public var typeName: String {
        switch self {
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .keyword: return "keyword"
        case .form(let e):
            switch e.node {
            case .symbol: return "symbol"
            case .list: return "expression"
            case .vector: return "list-form"
            case .dict: return "dict-form"
            case .tuple: return "tuple-form"
            default: return e.kindDescription
            }
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .tensor: return "Tensor"
        case .parameter: return "Parameter"
        case .function: return "function"
        case .object(let o): return o.typeName
        }
    }

    /// Python's truthiness: `None`, `False`, zero, empty collections are false; a tensor
    /// is true when it holds one non-zero element (more than one is an error, as in torch).
    public func isTruthy() throws -> Bool {
        switch self {
        case .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .keyword: return true
        case .form(let e):
            if let items = e.children { return !items.isEmpty }
            return true
        case .list(let l): return !l.items.isEmpty
        case .tuple(let t): return !t.isEmpty
        case .dict(let d): return d.count > 0
        case .tensor(let t), .parameter(let t):
            guard t.elementCount == 1 else {
                throw LangError("RuntimeError", "Boolean value of Tensor with \(t.elementCount) values is ambiguous")
            }
            return try t.item() != 0
        case .function, .object: return true
        }
    }

    /// The tensor inside `.tensor` or `.parameter`.
    public var tensor: Tensor? {
        switch self {
        case .tensor(let t), .parameter(let t): return t
        default: return nil
        }
    }

    /// The number as a Double (bool, int or float).
    public var number: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }

    /// The integer (bool or int; a float with an integral value too, for sizes read from data).
    public var integer: Int? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return i
        default: return nil
        }
    }

    /// Elements of a sequence value (list, tuple, collection form, string characters).
    public func sequenceItems() -> [Value]? {
        switch self {
        case .list(let l): return l.items
        case .tuple(let t): return t
        case .form(let e):
            if case .dict = e.node { return nil }
            return e.children?.map { Value.form($0) }
        default: return nil
        }
    }
}

/// Python's `==`: numbers across int/float/bool, sequences elementwise, forms structurally,
/// objects by identity.
public func pyEqual(_ a: Value, _ b: Value) -> Bool { pyEqual(a, b, depth: 0) }

private func pyEqual(_ a: Value, _ b: Value, depth: Int) -> Bool {
    // Lists that contain themselves: unequal past this depth rather than a stack overflow.
    guard depth < 500 else { return false }
    let elementsEqual = { (x: [Value], y: [Value]) in x.count == y.count && zip(x, y).allSatisfy { pyEqual($0, $1, depth: depth + 1) } }
    switch (a, b) {
    case (.none, .none): return true
    case (.string(let x), .string(let y)): return x == y
    case (.keyword(let x), .keyword(let y)): return x == y
    case (.form(let x), .form(let y)): return x == y
    case (.list(let x), .list(let y)): return x === y || elementsEqual(x.items, y.items)
    case (.tuple(let x), .tuple(let y)): return elementsEqual(x, y)
    case (.dict(let x), .dict(let y)):
        return x === y || (x.count == y.count && x.pairs.allSatisfy { k, v in y.get(k).map { pyEqual($0, v, depth: depth + 1) } ?? false })
    case (.tensor(let x), .tensor(let y)), (.parameter(let x), .parameter(let y)),
         (.tensor(let x), .parameter(let y)), (.parameter(let x), .tensor(let y)): return x === y
    case (.function(let x), .function(let y)): return x === y
    case (.object(let x), .object(let y)): return x === y
    default:
        if let x = a.number, let y = b.number { return x == y }
        if case .form(let e) = a, let items = b.sequenceItems(), e.children != nil {
            return elementsEqual(Value.form(e).sequenceItems() ?? [], items)
        }
        if case .form(let e) = b, let items = a.sequenceItems(), e.children != nil {
            return elementsEqual(items, Value.form(e).sequenceItems() ?? [])
        }
        return false
    }
}


/// Nearest-name suggestions for unknown names and attributes.
public enum Suggestions {
    /// `; did you mean 'x'?` when a known name is within a small edit distance, else "".
    public static func hint(for name: String, among candidates: [String]) -> String {
        guard let best = nearest(to: name, among: candidates) else { return "" }
        return "; did you mean '\(best)'?"
    }

    public static func nearest(to name: String, among candidates: [String]) -> String? {
        let target = Array(name.lowercased())
        var best: (String, Int)? = nil
        // A short name is only close to names, not operators (`F` is not a typo of `%`).
        let pool = target.count > 2 ? Set(candidates) : Set(candidates.filter { $0.first?.isLetter == true })
        for candidate in pool where candidate != name {
            let c = Array(candidate.lowercased())
            guard abs(c.count - target.count) <= 3 else { continue }
            let d = distance(target, c)
            let limit = target.count <= 3 ? 1 : min(3, max(2, target.count / 3))
            if d <= limit, best.map({ d < $0.1 || (d == $0.1 && candidate < $0.0) }) ?? true {
                best = (candidate, d)
            }
        }
        return best?.0
    }

    /// Edit distance with adjacent transpositions (optimal string alignment): `rleu` is
    /// one edit from `relu`.
    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}
