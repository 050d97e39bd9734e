import Foundation
import MinoCore
import MinoLisp

/// Attribute access: `x.name` and `(setv x.name v)`.
enum Attributes {
    static func get(_ value: Value, _ name: String) throws -> Value {
        switch value {
        case .object(let o): return try o.attribute(name)
        case .tensor(let t), .parameter(let t): return try TensorMethods.attribute(t, name, value)
        case .function(let f):
            if name == "__name__" { return .string(f.name) }
        case .dict(let d):
            if let v = d.get(.string(name)) { return v }
        default: break
        }
        throw LangError.attribute("'\(value.typeName)' object has no attribute '\(name)'")
    }

    static func set(_ target: Value, _ name: String, _ value: Value) throws {
        switch target {
        case .object(let o): try o.setAttribute(name, value)
        case .tensor(let t), .parameter(let t): try TensorMethods.setAttribute(t, name, value)
        default: throw LangError.attribute("'\(target.typeName)' object attribute '\(name)' cannot be set")
        }
    }
}

/// Method calls: `(.name x args…)`.
enum Methods {
    static func call(_ target: Value, _ name: String, _ args: [Value], _ keywords: [(String, Value)]) throws -> Value {
        switch target {
        case .tensor(let t), .parameter(let t):
            return try TensorMethods.call(t, target, name, args, keywords)
        case .string(let s):
            return try StringMethods.call(s, name, args, keywords)
        case .list(let l):
            return try CollectionMethods.list(l, name, args)
        case .dict(let d):
            return try CollectionMethods.dict(d, name, args)
        case .object(let o):
            if let direct = o as? MethodCalling, let result = try direct.callMethod(name, args, keywords) { return result }
            let member = try o.attribute(name)
            return try Calls.call(member, args, keywords, name: name)
        case .tuple(let t):
            return try CollectionMethods.sequence(t, "tuple", name, args)
        case .form(let e):
            if name == "__len__" { return .int(e.children?.count ?? 0) }
            if let items = Value.form(e).sequenceItems() {
                return try CollectionMethods.sequence(items, "expression", name, args)
            }
        default: break
        }
        throw LangError.attribute("'\(target.typeName)' object has no attribute '\(name)'")
    }
}

/// Objects that answer some method calls directly, without making a bound function
/// first (the optimizer's `.step` and `.zero_grad`, once per training step).
protocol MethodCalling {
    /// The result, or nil when `name` is not one of the direct methods.
    func callMethod(_ name: String, _ args: [Value], _ keywords: [(String, Value)]) throws -> Value?
}

/// `(get x k)` and `(setv (get x k) v)`.
enum Indexing {
    static func get(_ container: Value, _ key: Value) throws -> Value {
        switch container {
        case .list, .tuple, .form:
            guard let items = container.sequenceItems() else { break }
            if case .object(let o as SliceObject) = key { return rewrap(container, try o.select(items)) }
            return items[try position(key, count: items.count, in: container)]
        case .string(let s):
            let chars = Array(s)
            if case .object(let o as SliceObject) = key {
                return .string(String(try o.select(chars.map { Value.string(String($0)) }).map(\.str).joined()))
            }
            return .string(String(chars[try position(key, count: chars.count, in: container)]))
        case .dict(let d):
            if let v = d.get(key) { return v }
            throw LangError.key(key.pyRepr)
        case .tensor(let t), .parameter(let t):
            return .tensor(try TensorIndexing.get(t, key))
        case .object(let o):
            if let r = o as? RangeObject { return .int(r.element(try position(key, count: r.count, in: container))) }
            return try Calls.call(try o.attribute("__getitem__"), [key], [], name: "__getitem__")
        default: break
        }
        throw LangError.type("'\(container.typeName)' object is not subscriptable")
    }

    static func set(_ container: Value, _ key: Value, _ value: Value) throws {
        switch container {
        case .list(let l): l.items[try position(key, count: l.items.count, in: container)] = value
        case .dict(let d): d.set(key, value)
        default: throw LangError.type("'\(container.typeName)' object does not support item assignment")
        }
    }

    static func position(_ key: Value, count: Int, in container: Value) throws -> Int {
        guard let i = key.integer else {
            throw LangError.type("\(container.typeName) indices must be integers or slices, not \(key.typeName)")
        }
        let p = i < 0 ? i + count : i
        guard p >= 0, p < count else { throw LangError.index("\(container.typeName) index \(i) out of range (length \(count))") }
        return p
    }

    static func rewrap(_ original: Value, _ items: [Value]) -> Value {
        switch original {
        case .list: return .list(ListBox(items))
        case .tuple: return .tuple(items)
        case .form(let e): return .form(e.withChildren(items.compactMap { try? ExprConversion.expr(from: $0) }))
        default: return .list(ListBox(items))
        }
    }
}

/// `(slice start stop step)`, as Python's.
final class SliceObject: LangObject {
    let start: Int?, stop: Int?, step: Int?
    init(_ start: Int?, _ stop: Int?, _ step: Int?) {
        self.start = start
        self.stop = stop
        self.step = step
    }
    var typeName: String { "slice" }
    var str: String { "slice(\(start.map(String.init) ?? "None"), \(stop.map(String.init) ?? "None"), \(step.map(String.init) ?? "None"))" }

    /// The positions this slice picks from `count` elements (Python's `slice.indices`).
    func positions(_ count: Int) throws -> [Int] {
        let s = step ?? 1
        guard s != 0 else { throw LangError.value("slice step cannot be zero") }
        func clamp(_ v: Int?, _ defaultValue: Int, _ low: Int, _ high: Int) -> Int {
            guard var v else { return defaultValue }
            if v < 0 { v += count }
            return Swift.min(Swift.max(v, low), high)
        }
        var result: [Int] = []
        if s > 0 {
            var i = clamp(start, 0, 0, count)
            let end = clamp(stop, count, 0, count)
            while i < end { result.append(i); i += s }
        } else {
            var i = clamp(start, count - 1, -1, count - 1)
            let end = clamp(stop, -1, -1, count - 1)
            while i > end { result.append(i); i += s }
        }
        return result
    }

    func select<T>(_ items: [T]) throws -> [T] { try positions(items.count).map { items[$0] } }
}

/// Iterating a value: `for`, `list`, `map`, destructuring.
enum Iteration {
    /// Calls `body` with each element until it returns false.
    static func forEach(_ value: Value, _ body: (Value) throws -> Bool) throws {
        let interpreter = Interpreter.current
        switch value {
        case .object(let o as RangeObject):
            var i = 0
            while i < o.count {
                try interpreter?.checkInterrupt()
                guard try body(.int(o.element(i))) else { return }
                i += 1
            }
            return
        case .dict(let d):
            for k in d.keys { guard try body(k) else { return } }
            return
        case .string(let s):
            for ch in s { guard try body(.string(String(ch))) else { return } }
            return
        case .tensor(let t), .parameter(let t):
            guard t.rank > 0 else { throw LangError.type("iteration over a 0-d tensor") }
            for i in 0..<t.shape[0] {
                try interpreter?.checkInterrupt()
                guard try body(.tensor(try TensorIndexing.get(t, .int(i)))) else { return }
            }
            return
        default:
            guard let items = value.sequenceItems() else {
                throw LangError.type("'\(value.typeName)' object is not iterable")
            }
            for item in items {
                try interpreter?.checkInterrupt()
                guard try body(item) else { return }
            }
        }
    }

    /// Longest sequence made from a range or a tensor in one piece (`list`, `sorted`…).
    static let maxMaterialized = 1 << 26

    static func array(_ value: Value) throws -> [Value] {
        if let items = value.sequenceItems() { return items }
        if case .object(let r as RangeObject) = value, r.count > maxMaterialized {
            throw LangError("MemoryError", "\(r.str) has \(r.count) elements, more than the \(maxMaterialized) a list may hold")
        }
        var out: [Value] = []
        try forEach(value) { out.append($0); return true }
        return out
    }
}

extension Interpreter {
    /// The interpreter evaluating on this thread (for tensor methods that draw random numbers
    /// or make tensors on the program's backend). A pthread key: read on every run of
    /// compiled forms, so it must cost nanoseconds, not a dictionary lookup.
    static var current: Interpreter? {
        get {
            guard let raw = pthread_getspecific(currentKey) else { return nil }
            return Unmanaged<Interpreter>.fromOpaque(raw).takeUnretainedValue()
        }
        set {
            // Unretained: every setter restores the previous value before the interpreter
            // it names can go away (evaluate, runMain and run set it around their work).
            pthread_setspecific(currentKey, newValue.map { Unmanaged.passUnretained($0).toOpaque() })
        }
    }

    private static let currentKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()
}
