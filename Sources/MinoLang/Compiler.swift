import MinoCore
import MinoLisp

/// Turns macroexpanded forms into closures, resolving every name once.
///
/// One pass over a form: a local becomes a slot in its function's frame, a global a
/// `Cell`, an operator a direct call of its implementation, a special form its own
/// closure; every call node keeps its source location, so a runtime error names the
/// innermost form being evaluated. A function body is compiled once, when its `fn`,
/// `defn` or `mu` form is compiled; calling it runs closures, never the tree.
final class Compiler {
    unowned let interpreter: Interpreter
    var scope: FunctionScope
    private var nesting = 0
    /// Forms nested deeper than this are an error, not a stack overflow.
    static let maxNesting = 2_000

    init(interpreter: Interpreter, scope: FunctionScope) {
        self.interpreter = interpreter
        self.scope = scope
    }

    // MARK: Forms

    func compile(_ form: Expr) throws -> Code {
        nesting += 1
        defer { nesting -= 1 }
        guard nesting < Compiler.maxNesting else {
            throw LangError.syntax("forms nested deeper than \(Compiler.maxNesting) levels", at: form.location)
        }
        switch form.node {
        case .none: return { _ in .none }
        case .bool(let b): let v = Value.bool(b); return { _ in v }
        case .integer(let i): let v = Value.int(i); return { _ in v }
        case .float(let d): let v = Value.float(d); return { _ in v }
        case .string(let s): let v = Value.string(s); return { _ in v }
        case .keyword(let k): let v = Value.keyword(k); return { _ in v }
        case .symbol(let name): return try compileSymbol(name, at: form.location)
        case .vector(let items):
            let codes = try items.map(compile)
            return { f in .list(ListBox(try codes.map { try $0(f) })) }
        case .tuple(let items):
            let codes = try items.map(compile)
            return { f in .tuple(try codes.map { try $0(f) }) }
        case .dict(let items):
            guard items.count % 2 == 0 else {
                throw LangError.syntax("a dict literal needs keys and values in pairs, found \(items.count) forms", at: form.location)
            }
            let codes = try items.map(compile)
            return { f in
                let d = DictBox()
                var i = 0
                while i < codes.count { d.set(try codes[i](f), try codes[i + 1](f)); i += 2 }
                return .dict(d)
            }
        case .list(let items):
            guard let head = items.first else { return { _ in .tuple([]) } }
            return try compileList(head, Array(items.dropFirst()), form)
        }
    }

    /// A body: every form in order, the last one's value (None when empty).
    func compileBody(_ forms: [Expr]) throws -> Code {
        let codes = try forms.map(compile)
        switch codes.count {
        case 0: return { _ in .none }
        case 1: return codes[0]
        case 2: let (a, b) = (codes[0], codes[1]); return { f in _ = try a(f); return try b(f) }
        default:
            let last = codes[codes.count - 1]
            let first = Array(codes.dropLast())
            return { f in
                for c in first { _ = try c(f) }
                return try last(f)
            }
        }
    }

    // MARK: Names

    func resolve(_ name: String) -> Resolution {
        var depth = 0
        var current: FunctionScope? = scope
        while let s = current {
            if let slot = s.slot(of: name) { return .local(depth: depth, slot: slot) }
            current = s.parent
            depth += 1
        }
        return .global(interpreter.globals.cell(name))
    }

    /// True when `name` is bound as a local anywhere in the enclosing functions.
    func isLocal(_ name: String) -> Bool {
        if case .local = resolve(name) { return true }
        return false
    }

    func compileSymbol(_ name: String, at location: SourceLocation?) throws -> Code {
        if let (base, path) = Compiler.splitDotted(name) {
            let baseCode = try compileSymbol(base, at: location)
            let attributes = path.map(Mangling.mangle)
            let cache = AttributeCache()
            return { f in
                let root = try baseCode(f)
                if case .object(let o) = root, let hit = cache.lookup(o) { return hit }
                var value = root
                do {
                    for a in attributes { value = try Attributes.get(value, a) }
                } catch {
                    throw LangError(wrapping: error, at: location)
                }
                if case .object(let o) = root, o is NamespaceObject { cache.store(o, value) }
                return value
            }
        }
        switch resolve(name) {
        case .local(0, let slot):
            return { f in f.slots[slot] }
        case .local(let depth, let slot):
            return { f in f.ancestor(depth).slots[slot] }
        case .global(let cell):
            let interpreter = self.interpreter
            return { _ in
                if let v = cell.value { return v }
                throw LangError.name("name '\(name)' is not defined" + interpreter.suggestion(for: name), at: location)
            }
        }
    }

    /// `a.b.c` → (`a`, [`b`, `c`]); nil for plain names, `.method` and `...`.
    static func splitDotted(_ name: String) -> (String, [String])? {
        guard name.contains("."), !name.hasPrefix("."), !name.hasSuffix(".") else { return nil }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        return (parts[0], Array(parts.dropFirst()))
    }

    /// A store into `name` by `setv` rules: a visible local of this function, else a
    /// global at top level, else a new local of this function (Python's rule).
    func compileStore(_ name: String, at location: SourceLocation?) throws -> (Frame, Value) throws -> Void {
        if let (base, path) = Compiler.splitDotted(name) {
            let baseCode = try compileSymbol(base, at: location)
            let attributes = path.map(Mangling.mangle)
            return { f, value in
                var target = try baseCode(f)
                do {
                    for a in attributes.dropLast() { target = try Attributes.get(target, a) }
                    try Attributes.set(target, attributes[attributes.count - 1], value)
                } catch {
                    throw LangError(wrapping: error, at: location)
                }
            }
        }
        if let slot = scope.slot(of: name) {
            return { f, value in f.slots[slot] = value }
        }
        if scope.isTopLevel {
            let cell = interpreter.globals.cell(name)
            return { _, value in cell.value = value }
        }
        let slot = scope.declare(name)
        return { f, value in f.slots[slot] = value }
    }

    // MARK: Calls

    private func compileList(_ head: Expr, _ args: [Expr], _ form: Expr) throws -> Code {
        let location = form.location
        if let name = head.symbolName {
            if !isLocal(name), let special = SpecialForms.table[name] {
                return try special(self, args, form)
            }
            if name.count > 1, name.hasPrefix("."), !name.hasPrefix("..") {
                return try compileMethodCall(String(name.dropFirst()), args, at: location)
            }
            if let fast = try Operators.compile(name, args, self, at: location) { return fast }
        }
        let callee = try compile(head)
        let (positional, keywords) = try compileArguments(args, at: location)
        let calleeName = head.symbolName ?? "expression"
        switch (positional.count, keywords.isEmpty) {
        case (1, true):
            let a = positional[0]
            return { f in
                let fn = try callee(f)
                let x = try a(f)
                do { return try Calls.call(fn, [x], [], name: calleeName) } catch { throw LangError(wrapping: error, at: location) }
            }
        default:
            return { f in
                let fn = try callee(f)
                let values = try positional.map { try $0(f) }
                let named = try keywords.map { ($0.0, try $0.1(f)) }
                do { return try Calls.call(fn, values, named, name: calleeName) } catch { throw LangError(wrapping: error, at: location) }
            }
        }
    }

    private func compileMethodCall(_ method: String, _ args: [Expr], at location: SourceLocation?) throws -> Code {
        guard let receiver = args.first else {
            throw LangError.syntax("(.\(method)) needs an object to call the method on", at: location)
        }
        let object = try compile(receiver)
        let (positional, keywords) = try compileArguments(Array(args.dropFirst()), at: location)
        let name = Mangling.mangle(method)
        return { f in
            let target = try object(f)
            let values = try positional.map { try $0(f) }
            let named = try keywords.map { ($0.0, try $0.1(f)) }
            do { return try Methods.call(target, name, values, named) } catch { throw LangError(wrapping: error, at: location) }
        }
    }

    /// Positional arguments and `:name value` pairs (names mangled, as Python sees them).
    func compileArguments(_ args: [Expr], at location: SourceLocation?) throws -> ([Code], [(String, Code)]) {
        var positional: [Code] = []
        var keywords: [(String, Code)] = []
        var i = 0
        while i < args.count {
            if let k = args[i].keywordName, !k.isEmpty {
                guard i + 1 < args.count else {
                    throw LangError.syntax("keyword argument :\(k) has no value", at: args[i].location ?? location)
                }
                let name = Mangling.mangle(k)
                if keywords.contains(where: { $0.0 == name }) {
                    throw LangError.syntax("keyword argument :\(k) given twice", at: args[i].location ?? location)
                }
                keywords.append((name, try compile(args[i + 1])))
                i += 2
            } else {
                if !keywords.isEmpty {
                    throw LangError.syntax("positional argument \(args[i].brief) follows keyword arguments", at: args[i].location ?? location)
                }
                positional.append(try compile(args[i]))
                i += 1
            }
        }
        return (positional, keywords)
    }
}

/// Caches the member a dotted name reaches from a namespace (immutable), keyed by the
/// namespace object, so `torch.nn.functional.relu` is looked up once.
final class AttributeCache {
    private var key: ObjectIdentifier?
    private var value: Value = .none
    func lookup(_ object: LangObject) -> Value? {
        key == ObjectIdentifier(object) ? value : nil
    }
    func store(_ object: LangObject, _ value: Value) {
        key = ObjectIdentifier(object)
        self.value = value
    }
}

/// Calling any value.
enum Calls {
    static func call(_ callee: Value, _ args: [Value], _ keywords: [(String, Value)], name: String) throws -> Value {
        switch callee {
        case .function(let fn):
            return try fn.body(args, keywords)
        case .object(let o):
            if let body = o.callable { return try body(args, keywords) }
            throw LangError.type("'\(o.typeName)' object is not callable")
        default:
            let detail = name == "expression" ? "" : " (\(name) is \(callee.repr.prefix(60)))"
            throw LangError.type("'\(callee.typeName)' object is not callable\(detail)")
        }
    }
}
