import MinoLisp

/// The `spec/…` forms. Their arguments are spec designators, not evaluated as
/// ordinary calls would be: a keyword `:k` names a registered spec (looked up when
/// checked, and logged), any other form is evaluated once into a predicate, a spec
/// or a quoted pattern.
enum SpecForms {
    static let table: [String: SpecialForms.Compile] = [
        "spec/def": def, "spec/and": combinator(Spec.and), "spec/or": combinator(Spec.or),
        "spec/nand": combinator(Spec.nand), "spec/cat": combinator(Spec.cat),
        "spec/coll-of": collOf, "spec/dict-of": dictOf,
        "spec/keys": keyed(Spec.keys), "spec/modules": keyed(Spec.modules), "spec/parameters": keyed(Spec.parameters),
        "spec/valid?": valid, "spec/conform": conform, "spec/explain": explain, "spec/assert": assertForm,
        "spec/check-asserts": checkAsserts, "spec/defgen": defgen, "spec/gen": gen,
        "spec/defun": defun, "spec/exercise": exercise, "spec/search": search, "spec/replace": replaceForm,
        "spec/constrain": constrain, "spec/fcheck": fcheck,
    ]

    typealias SpecCode = (Frame) throws -> Spec

    static func designator(_ form: Expr, _ c: Compiler) throws -> SpecCode {
        if let k = form.keywordName, !k.isEmpty {
            let spec = Spec.named(k)
            return { _ in spec }
        }
        let code = try c.compile(form)
        let text = Printer.oneLine(form)
        let registry = c.interpreter.specs
        let location = form.location
        return { f in try spec(from: try code(f), text: text, registry: registry, at: location) }
    }

    static func spec(from value: Value, text: String, registry: SpecRegistry, at location: SourceLocation?) throws -> Spec {
        switch value {
        case .keyword(let k): return .named(k)
        case .object(let s as SpecObject): return s.spec
        case .form(let e): return .pattern(try Pattern(e))
        case .function: return .predicate(value, text)
        case .object(let o) where o.callable != nil: return .predicate(value, text)
        default:
            throw LangError.type("\(text) is not a spec: expected a :keyword, a predicate function or a spec, found \(value.typeName)", at: location)
        }
    }

    static func make(_ spec: Spec, _ c: Compiler) -> Value { .object(SpecObject(spec, registry: c.interpreter.specs)) }

    /// `(spec/def :k1 spec1 :k2 spec2 …)`; a keyword may alias another spec.
    static func def(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard !args.isEmpty, args.count % 2 == 0 else {
            throw SpecialForms.syntax(form, "expects :name spec pairs, found \(args.count) form\(args.count == 1 ? "" : "s")")
        }
        var pairs: [(String, SpecCode)] = []
        var i = 0
        while i < args.count {
            guard let k = args[i].keywordName, !k.isEmpty else {
                throw LangError.syntax("spec/def: a spec name must be a keyword, found \(args[i].kindDescription) \(args[i].brief)", at: args[i].location ?? form.location)
            }
            pairs.append((k, try designator(args[i + 1], c)))
            i += 2
        }
        let registry = c.interpreter.specs
        return { f in
            for (k, s) in pairs { registry.define(k, try s(f)) }
            return .none
        }
    }

    static func combinator(_ build: @escaping ([Spec]) -> Spec) -> SpecialForms.Compile {
        { c, args, form in
            guard !args.isEmpty else { throw SpecialForms.syntax(form, "expects at least one spec") }
            let specs = try args.map { try designator($0, c) }
            let registry = c.interpreter.specs
            return { f in .object(SpecObject(build(try specs.map { try $0(f) }), registry: registry)) }
        }
    }

    static func collOf(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count == 1 else { throw SpecialForms.syntax(form, "expects one spec for the elements") }
        let s = try designator(args[0], c)
        let registry = c.interpreter.specs
        return { f in .object(SpecObject(.collOf(try s(f)), registry: registry)) }
    }

    static func dictOf(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count == 2 else { throw SpecialForms.syntax(form, "expects a key spec and a value spec") }
        let k = try designator(args[0], c), v = try designator(args[1], c)
        let registry = c.interpreter.specs
        return { f in .object(SpecObject(.dictOf(try k(f), try v(f)), registry: registry)) }
    }

    /// `(spec/keys name spec …)`, `(spec/modules …)`, `(spec/parameters …)`: names as symbols,
    /// keywords or strings, in Hy or Python spelling.
    static func keyed(_ build: @escaping ([(String, Spec)]) -> Spec) -> SpecialForms.Compile {
        { c, args, form in
            guard !args.isEmpty, args.count % 2 == 0 else {
                throw SpecialForms.syntax(form, "expects name spec pairs, found \(args.count) form\(args.count == 1 ? "" : "s")")
            }
            var pairs: [(String, SpecCode)] = []
            var i = 0
            while i < args.count {
                let key: String
                switch args[i].node {
                case .symbol(let s), .keyword(let s), .string(let s): key = s
                default: throw SpecialForms.syntax(form, "a name must be a symbol, found \(args[i].brief)")
                }
                pairs.append((key, try designator(args[i + 1], c)))
                i += 2
            }
            let registry = c.interpreter.specs
            return { f in .object(SpecObject(build(try pairs.map { ($0.0, try $0.1(f)) }), registry: registry)) }
        }
    }

    /// Compiles `(spec/x SPEC VALUE)`.
    static func specAndValue(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> (SpecCode, Code) {
        guard args.count == 2 else { throw SpecialForms.syntax(form, "expects a spec and a value") }
        return (try designator(args[0], c), try c.compile(args[1]))
    }

    static func located(_ location: SourceLocation?, _ body: () throws -> Value) throws -> Value {
        do { return try body() } catch { throw LangError(wrapping: error, at: location) }
    }

    static func valid(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        let (s, v) = try specAndValue(c, args, form)
        let registry = c.interpreter.specs
        return { f in
            let spec = try s(f), value = try v(f)
            return try located(form.location) { .bool(try registry.check(spec, value)) }
        }
    }

    static func conform(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        let (s, v) = try specAndValue(c, args, form)
        let registry = c.interpreter.specs
        return { f in
            let spec = try s(f), value = try v(f)
            return try located(form.location) { try registry.conform(spec, value); return value }
        }
    }

    static func explain(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        let (s, v) = try specAndValue(c, args, form)
        let registry = c.interpreter.specs
        return { f in
            let spec = try s(f), value = try v(f)
            return try located(form.location) {
                registry.resetTrace()
                _ = try registry.check(spec, value)
                return .list(ListBox(registry.trace.map(\.asValue)))
            }
        }
    }

    static func assertForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        let (s, v) = try specAndValue(c, args, form)
        let registry = c.interpreter.specs
        return { f in
            guard registry.checkAsserts else { return .none }
            let spec = try s(f), value = try v(f)
            return try located(form.location) { try registry.conform(spec, value); return .none }
        }
    }

    static func checkAsserts(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count == 1 else { throw SpecialForms.syntax(form, "expects True or False") }
        let flag = try c.compile(args[0])
        let registry = c.interpreter.specs
        return { f in
            registry.checkAsserts = try flag(f).isTruthy()
            return .none
        }
    }

    /// `(spec/defgen :k [args…] body…)`.
    static func defgen(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count >= 3, let k = args[0].keywordName, !k.isEmpty else {
            throw SpecialForms.syntax(form, "expects (spec/defgen :name [params] body…)")
        }
        let make = try FunctionCompiler.compile(name: "generator :\(k)", parameters: args[1], body: Array(args.dropFirst(2)),
                                                c, location: form.location)
        let registry = c.interpreter.specs
        return { f in
            registry.defineGenerator(k, make(f))
            return .none
        }
    }

    /// `(spec/gen :k args…)`: generated, then conformed against the data spec `:k` when there is one.
    static func gen(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let k = args.first?.keywordName, !k.isEmpty else { throw SpecialForms.syntax(form, "expects (spec/gen :name args…)") }
        let (positional, keywords) = try c.compileArguments(Array(args.dropFirst()), at: form.location)
        let registry = c.interpreter.specs
        return { f in
            let values = try positional.map { try $0(f) }
            let named = try keywords.map { ($0.0, try $0.1(f)) }
            return try located(form.location) {
                guard let generator = registry.generators[k] else {
                    throw LangError("AssertionError", "Generator for Spec :\(k) is not defined"
                                    + Suggestions.hint(for: k, among: Array(registry.generators.keys)))
                }
                let value = try generator.call(values, named)
                if let spec = registry.data[k] {
                    _ = spec
                    try registry.conform(.named(k), value)
                }
                return value
            }
        }
    }

    /// `(spec/defun :k arguments-spec returns-spec)`.
    static func defun(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count == 3, let k = args[0].keywordName, !k.isEmpty else {
            throw SpecialForms.syntax(form, "expects (spec/defun :name arguments-spec returns-spec)")
        }
        let a = try designator(args[1], c), r = try designator(args[2], c)
        let registry = c.interpreter.specs
        return { f in
            registry.defineFunction(k, arguments: try a(f), returns: try r(f))
            return .none
        }
    }

    /// `(spec/exercise :k f args…)`: checks the arguments, calls f once, checks the result, returns it.
    static func exercise(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count >= 2, let k = args[0].keywordName, !k.isEmpty else {
            throw SpecialForms.syntax(form, "expects (spec/exercise :name function args…)")
        }
        let function = try c.compile(args[1])
        let arguments = try args.dropFirst(2).map(c.compile)
        let registry = c.interpreter.specs
        return { f in
            let fn = try function(f)
            let values = try arguments.map { try $0(f) }
            return try located(form.location) {
                guard let spec = registry.functions[k] else {
                    throw LangError("KeyError", "function spec :\(k) is not defined" + Suggestions.hint(for: k, among: Array(registry.functions.keys)))
                }
                registry.resetTrace()
                let argsOK = try registry.check(spec.arguments, .tuple(values))
                var result = Value.none
                var returnsOK = false
                if argsOK {
                    result = try Calls.call(fn, values, [], name: k)
                    returnsOK = try registry.check(spec.returns, result)
                }
                guard argsOK && returnsOK else {
                    let entries = registry.trace + [SpecEntry(spec: "Arguments", path: "", predicate: spec.arguments.description, value: .tuple(values), passed: argsOK)]
                        + (argsOK ? [SpecEntry(spec: "Returned", path: "", predicate: spec.returns.description, value: result, passed: returnsOK)] : [])
                    throw LangError("AssertionError", SpecRegistry.render(entries, what: "Function"))
                }
                return result
            }
        }
    }

    /// The code arguments of search/replace: quoted as written (MinoTauro's rule), or
    /// `:value expr` for code held in a variable.
    static func codeArguments(_ args: ArraySlice<Expr>, _ c: Compiler, _ form: Expr) throws -> [Code] {
        var codes: [Code] = []
        var i = args.startIndex
        while i < args.endIndex {
            if args[i].keywordName == "value" {
                guard i + 1 < args.endIndex else { throw SpecialForms.syntax(form, ":value needs an expression") }
                codes.append(try c.compile(args[i + 1]))
                i += 2
            } else {
                let v = Value.form(args[i])
                codes.append { _ in v }
                i += 1
            }
        }
        return codes
    }

    /// `(spec/search spec code)`: every sub-form of the (quoted) code that satisfies spec, pre-order.
    static func search(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count >= 2 else { throw SpecialForms.syntax(form, "expects a spec and code") }
        let codes = try codeArguments(args.dropFirst(), c, form)
        guard codes.count == 1 else { throw SpecialForms.syntax(form, "expects a spec and code (or :value expression)") }
        let s = try designator(args[0], c), code = codes[0]
        let registry = c.interpreter.specs
        return { f in
            let spec = try s(f)
            let root = try ExprConversion.expr(from: try code(f), at: form.location)
            return try located(form.location) {
                var found: [Value] = []
                var stack = [root]
                while let e = stack.popLast() {
                    if try registry.check(spec, .form(e)) { found.append(.form(e)) }
                    if let children = e.children { stack.append(contentsOf: children.reversed()) }
                }
                return .list(ListBox(found))
            }
        }
    }

    /// `(spec/replace spec code replacement)`: bottom-up, every sub-form satisfying spec replaced.
    static func replaceForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count >= 3 else { throw SpecialForms.syntax(form, "expects a spec, code and a replacement") }
        let codes = try codeArguments(args.dropFirst(), c, form)
        guard codes.count == 2 else { throw SpecialForms.syntax(form, "expects a spec, code and a replacement (each may be :value expression)") }
        let s = try designator(args[0], c), code = codes[0], replacement = codes[1]
        let registry = c.interpreter.specs
        return { f in
            let spec = try s(f)
            let root = try ExprConversion.expr(from: try code(f), at: form.location)
            let with = try ExprConversion.expr(from: try replacement(f), at: form.location)
            return try located(form.location) {
                func walk(_ e: Expr) throws -> Expr {
                    var current = e
                    if let children = e.children { current = e.withChildren(try children.map(walk)) }
                    return try registry.check(spec, .form(current)) ? with : current
                }
                return .form(try walk(root))
            }
        }
    }

    /// `(spec/constrain Model :Spec)`: a defmu's constructor (or a mu's `bind`) checks the spec.
    static func constrain(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count == 2 else { throw SpecialForms.syntax(form, "expects (spec/constrain model-class-or-mu spec)") }
        let target = try c.compile(args[0]), s = try designator(args[1], c)
        return { f in
            let t = try target(f), spec = try s(f)
            return try located(form.location) {
                switch t {
                case .object(let cls as MuClass):
                    cls.spec = spec
                    return t
                case .object(let mu as MuObject):
                    let constrained = try mu.bound([])
                    constrained.spec = spec
                    try mu.interpreter.specs.conform(spec, .object(constrained))
                    return .object(constrained)
                default:
                    throw LangError.type("spec/constrain takes a defmu class or a mu, found \(t.typeName)")
                }
            }
        }
    }

    /// `(spec/fcheck module arguments-spec returns-spec)`: a module whose every call checks its
    /// argument tuple and its result (shapes along a forward pass).
    static func fcheck(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count == 3 else { throw SpecialForms.syntax(form, "expects (spec/fcheck module arguments-spec returns-spec)") }
        let target = try c.compile(args[0]), a = try designator(args[1], c), r = try designator(args[2], c)
        let registry = c.interpreter.specs
        return { f in
            let t = try target(f)
            guard case .object(let m as ModuleValue) = t else {
                throw LangError.type("spec/fcheck takes a mu or a layer, found \(t.typeName)", at: form.location)
            }
            return .object(CheckedModule(m, arguments: try a(f), returns: try r(f), registry: registry))
        }
    }
}
