import MinoCore
import MinoLisp

/// A Clojure-style specification of data: MinoTauro's `mino.spec`, its bugs fixed.
///
/// Named specs (`:tensor`) are looked up when checked and logged in the trace; inline
/// predicates and combinators are not logged themselves, only the named specs inside
/// them. `or` short-circuits, `keys` mangles its keys, `coll-of` and `dict-of` work with
/// inline predicates, `modules`/`parameters` work on mu trees and built-in layers by Hy
/// or Python spelling.
public indirect enum Spec {
    case named(String)
    /// A function (or anything callable) whose truthy result passes.
    case predicate(Value, String)
    /// A quoted pattern: passes when the form matches (for `spec/search` on code).
    case pattern(Pattern)
    case and([Spec])
    case or([Spec])
    case nand([Spec])
    /// A sequence of exactly these, positionally.
    case cat([Spec])
    /// Attributes or dict entries, by mangled key.
    case keys([(String, Spec)])
    case dictOf(Spec, Spec)
    case collOf(Spec)
    /// Child modules of a model, by component name.
    case modules([(String, Spec)])
    /// Parameters of a model, by component name.
    case parameters([(String, Spec)])

    /// The spec as MinoTauro writes it, for messages.
    public var description: String {
        switch self {
        case .named(let k): return ":" + k
        case .predicate(_, let text): return text
        case .pattern(let p): return "'" + p.description
        case .and(let s): return "(spec/and " + s.map(\.description).joined(separator: " ") + ")"
        case .or(let s): return "(spec/or " + s.map(\.description).joined(separator: " ") + ")"
        case .nand(let s): return "(spec/nand " + s.map(\.description).joined(separator: " ") + ")"
        case .cat(let s): return "(spec/cat " + s.map(\.description).joined(separator: " ") + ")"
        case .keys(let p): return "(spec/keys " + p.map { "\($0.0) \($0.1.description)" }.joined(separator: " ") + ")"
        case .dictOf(let k, let v): return "(spec/dict-of \(k.description) \(v.description))"
        case .collOf(let s): return "(spec/coll-of \(s.description))"
        case .modules(let p): return "(spec/modules " + p.map { "\($0.0) \($0.1.description)" }.joined(separator: " ") + ")"
        case .parameters(let p): return "(spec/parameters " + p.map { "\($0.0) \($0.1.description)" }.joined(separator: " ") + ")"
        }
    }
}

/// One check of a named spec: what was checked, where in the value, and the outcome.
public struct SpecEntry {
    public let spec: String
    /// The path into the value: `linear-to-hidden.weights` for a model's component.
    public let path: String
    public let predicate: String
    public let value: Value
    public let passed: Bool

    /// As `.mu` code sees it: a dict.
    var asValue: Value {
        .dict(DictBox([(.string("spec"), .keyword(spec)), (.string("path"), .string(path)),
                       (.string("predicate"), .string(predicate)), (.string("value"), value),
                       (.string("passed?"), .bool(passed))]))
    }

    /// `Failed :rank2, Found: Parameter(size=[10 32], dtype=torch.float32)`.
    var line: String {
        "\(passed ? "Passed" : "Failed") :\(spec)\(path.isEmpty ? "" : " at \(path)"), Found: \(SpecRegistry.compact(value))"
    }
}

/// The specs, generators and function specs of one interpreter, and the trace of the
/// last check.
public final class SpecRegistry {
    public private(set) var data: [String: Spec] = [:]
    public private(set) var generators: [String: Function] = [:]
    public private(set) var functions: [String: (arguments: Spec, returns: Spec)] = [:]
    /// `spec/assert` checks only while this is true (`spec/check-asserts`).
    public var checkAsserts = true
    /// The entries of the current check, in evaluation order (inner first).
    public private(set) var trace: [SpecEntry] = []
    private var depth = 0

    public func define(_ name: String, _ spec: Spec) { data[name] = spec }
    public func defineGenerator(_ name: String, _ generator: Function) { generators[name] = generator }
    public func defineFunction(_ name: String, arguments: Spec, returns: Spec) { functions[name] = (arguments, returns) }

    public func resetTrace() { trace = [] }

    /// Whether `value` satisfies `spec`; named specs met on the way are logged.
    public func check(_ spec: Spec, _ value: Value, path: [String] = []) throws -> Bool {
        depth += 1
        defer { depth -= 1 }
        guard depth < 200 else { throw LangError("RecursionError", "spec nested deeper than 200 levels (a spec that refers to itself?)") }
        switch spec {
        case .named(let name):
            guard let inner = data[name] else {
                throw LangError("KeyError", "spec :\(name) is not defined" + Suggestions.hint(for: name, among: Array(data.keys)))
            }
            let passed = try check(inner, value, path: path)
            trace.append(SpecEntry(spec: name, path: path.joined(separator: "."), predicate: inner.description, value: value, passed: passed))
            return passed
        case .predicate(let f, _):
            return try Calls.call(f, [value], [], name: "spec predicate").isTruthy()
        case .pattern(let p):
            guard case .form(let e) = value else { return false }
            return p.matches(e)
        case .and(let specs):
            for s in specs where try !check(s, value, path: path) { return false }
            return true
        case .or(let specs):
            for s in specs where try check(s, value, path: path) { return true }
            return false
        case .nand(let specs):
            for s in specs where try !check(s, value, path: path) { return true }
            return false
        case .cat(let specs):
            guard let items = value.sequenceItems() ?? (value.tensor != nil ? try? Iteration.array(value) : nil),
                  items.count == specs.count else { return false }
            for (i, (s, item)) in zip(specs, items).enumerated() where try !check(s, item, path: path + ["\(i)"]) { return false }
            return true
        case .keys(let pairs):
            for (key, s) in pairs {
                guard let v = SpecRegistry.member(value, key) else {
                    trace.append(SpecEntry(spec: "keys", path: (path + [key]).joined(separator: "."),
                                           predicate: "has \(key)", value: .none, passed: false))
                    return false
                }
                if try !check(s, v, path: path + [key]) { return false }
            }
            return true
        case .dictOf(let ks, let vs):
            guard case .dict(let d) = value else { return false }
            for (k, v) in d.pairs {
                if try !check(ks, k, path: path + [k.str]) || !check(vs, v, path: path + [k.str]) { return false }
            }
            return true
        case .collOf(let s):
            guard value.sequenceItems() != nil || value.tensor != nil else { return false }
            for (i, item) in try Iteration.array(value).enumerated() where try !check(s, item, path: path + ["\(i)"]) { return false }
            return true
        case .modules(let pairs), .parameters(let pairs):
            guard case .object(let m as ModuleValue) = value else { return false }
            let wantModules: Bool
            if case .modules = spec { wantModules = true } else { wantModules = false }
            for (key, s) in pairs {
                let mangled = Mangling.mangle(key)
                let found: Value?
                if wantModules {
                    found = m.childModules.first { $0.name == mangled }.map { .object($0.module) }
                } else {
                    found = m.ownParameters.first { $0.name == mangled }.map { .parameter($0.tensor) }
                }
                guard let v = found else {
                    // Say why: the component is missing, or holds something else.
                    let held = SpecRegistry.member(value, key) ?? .none
                    trace.append(SpecEntry(spec: wantModules ? "modules" : "parameters", path: (path + [key]).joined(separator: "."),
                                           predicate: wantModules ? "a module" : "a parameter", value: held, passed: false))
                    return false
                }
                if try !check(s, v, path: path + [Mangling.unmangle(mangled) == key ? key : Mangling.unmangle(mangled)]) { return false }
            }
            return true
        }
    }

    /// A dict entry (string or keyword key, Hy or Python spelling) or an attribute.
    static func member(_ value: Value, _ key: String) -> Value? {
        let mangled = Mangling.mangle(key)
        if case .dict(let d) = value {
            for candidate in [Value.string(key), .string(mangled), .keyword(key), .keyword(mangled)] {
                if let v = d.get(candidate) { return v }
            }
            return nil
        }
        if case .object(let m as MuObject) = value {
            guard let c = m.definition.components.first(where: { Mangling.mangle($0) == mangled }) else { return nil }
            return m.bindings[c]
        }
        return try? Attributes.get(value, mangled)
    }

    /// Checks and, on failure, throws MinoTauro's message with the trace.
    public func conform(_ spec: Spec, _ value: Value, what: String = "Data") throws {
        resetTrace()
        if try !check(spec, value) {
            throw LangError("AssertionError", SpecRegistry.render(trace, what: what))
        }
    }

    /// `Data does not conform Spec.` then the trace, one line per entry, inner first.
    static func render(_ trace: [SpecEntry], what: String = "Data") -> String {
        "\(what) does not conform Spec.\n\nTraceback Along Registered Specs:\n\n" + trace.map(\.line).joined(separator: "\n")
    }

    /// Values in messages: tensors by shape and dtype, models by name and parameters.
    static func compact(_ value: Value) -> String {
        switch value {
        case .tensor(let t): return "tensor(size=\(t.shape), dtype=\(t.dtype.info.torchName))"
        case .parameter(let t): return "Parameter(size=\(t.shape), dtype=\(t.dtype.info.torchName))"
        case .object(let m as ModuleValue):
            return m.moduleName + "(" + m.namedParameters.map { "\($0.name): \($0.tensor.shape)" }.joined(separator: ", ") + ")"
        case .string(let s): return s
        default:
            let text = value.str
            return text.count > 120 ? String(text.prefix(117)) + "…" : text
        }
    }
}

/// A spec as a value: `(spec/and :tensor :rank2)` is one, and it is callable as a predicate.
public final class SpecObject: LangObject {
    public let spec: Spec
    unowned let registry: SpecRegistry
    init(_ spec: Spec, registry: SpecRegistry) {
        self.spec = spec
        self.registry = registry
    }
    public var typeName: String { "spec" }
    public var str: String { spec.description }
    public var callable: ((_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value)? {
        { args, _ in
            guard args.count == 1 else { throw LangError.type("a spec takes one value to check") }
            return .bool(try self.registry.check(self.spec, args[0]))
        }
    }
}

/// A function checked on every call: its arguments and result against specs
/// (`spec/fcheck`), for shapes along a forward pass.
final class CheckedModule: ModuleValue {
    let inner: ModuleValue
    let arguments: Spec
    let returns: Spec
    unowned let registry: SpecRegistry
    var training: Bool {
        get { inner.training }
        set { inner.training = newValue }
    }

    init(_ inner: ModuleValue, arguments: Spec, returns: Spec, registry: SpecRegistry) {
        self.inner = inner
        self.arguments = arguments
        self.returns = returns
        self.registry = registry
    }

    var typeName: String { inner.typeName }
    var moduleName: String { inner.moduleName }
    var extraRepr: String { inner.extraRepr }
    var ownParameters: [(name: String, tensor: Tensor)] { inner.ownParameters }
    var childModules: [(name: String, module: ModuleValue)] { inner.childModules }
    func source() throws -> String { try inner.source() }
    func attribute(_ name: String) throws -> Value { try inner.attribute(name) }
    var attributeNames: [String] { inner.attributeNames }

    func invoke(_ args: [Value], _ keywords: [(String, Value)]) throws -> Value {
        try registry.conform(arguments, .tuple(args), what: "\(moduleName) input")
        let out = try inner.invoke(args, keywords)
        try registry.conform(returns, out, what: "\(moduleName) output")
        return out
    }
}
