import MinoCore
import MinoLisp

/// What every mu made by one `defmu` (or one evaluation of a `mu` form) shares: its
/// components, its macroexpanded body and the body compiled once.
public final class MuDefinition {
    /// The `defmu` name; nil for an anonymous `mu` (printed `μ`).
    public let name: String?
    /// Component names in Hy spelling, in order.
    public let components: [String]
    /// The body, macroexpanded (what `λ:` shows and reversion writes).
    public let body: [Expr]
    public let doc: String
    /// The compiled body: a function of every component, in order.
    let function: Function
    let location: SourceLocation?

    init(name: String?, components: [String], body: [Expr], doc: String, function: Function, location: SourceLocation?) {
        self.name = name
        self.components = components
        self.body = body
        self.doc = doc
        self.function = function
        self.location = location
    }
}

/// A mu: a lambda that carries its parameters. Calling it binds its components from
/// the call's arguments, else from its bound defaults; it registers bound parameters
/// and child modules as PyTorch's modules do, under their Python names.
public final class MuObject: ModuleValue {
    public let definition: MuDefinition
    /// Bound defaults by component (Hy spelling).
    public private(set) var bindings: [String: Value]
    public var training = true
    /// A spec that `bind` checks (`spec/constrain`).
    public var spec: Spec?
    unowned let interpreter: Interpreter

    init(_ definition: MuDefinition, bindings: [String: Value], interpreter: Interpreter) {
        self.definition = definition
        self.bindings = bindings
        self.interpreter = interpreter
    }

    public var typeName: String { moduleName }
    public var moduleName: String { definition.name ?? "μ" }

    // MARK: Calling

    public func invoke(_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value {
        let components = definition.components
        guard arguments.count <= components.count else {
            throw LangError.type("\(path()): takes \(components.count) component\(components.count == 1 ? "" : "s") "
                                 + "[\(components.joined(separator: " "))] but \(arguments.count) arguments were given")
        }
        var values = [Value?](repeating: nil, count: components.count)
        for (i, a) in arguments.enumerated() {
            if case .none = a { continue }
            values[i] = a
        }
        for (key, value) in keywords {
            guard let i = components.firstIndex(where: { Mangling.mangle($0) == key }) else {
                throw LangError.type("\(path()): no component named \(Mangling.unmangle(key)); components: [\(components.joined(separator: " "))]"
                                     + Suggestions.hint(for: Mangling.unmangle(key), among: components))
            }
            guard values[i] == nil || i >= arguments.count else {
                throw LangError.type("\(path()): component \(components[i]) given twice")
            }
            if case .none = value { continue }
            values[i] = value
        }
        var resolved: [Value] = []
        resolved.reserveCapacity(components.count)
        for (i, c) in components.enumerated() {
            if let v = values[i] ?? bindings[c] {
                resolved.append(v)
            } else {
                var error = LangError("ValueError", "\(path()): component \(c) is not bound")
                error.modelPath = path()
                throw error
            }
        }
        interpreter.muStack.append((self, resolved))
        defer { interpreter.muStack.removeLast() }
        do {
            return try definition.function.call(resolved)
        } catch var error as LangError where error.modelPath == nil {
            // The innermost mu names where in the model the error happened.
            let where_ = path()
            error.modelPath = where_
            error.message = "in \(where_): " + error.message
            throw error
        }
    }

    /// Where this mu sits in the model being called: `FeedForward.linear-to-hidden`.
    /// The mus being called are on the interpreter's stack with their components'
    /// values; a child's name is the component of its parent that holds it.
    func path() -> String {
        var chain = interpreter.muStack.map { ($0.0, $0.1) }
        if let top = chain.lastIndex(where: { $0.0 === self }) {
            chain = Array(chain[...top])
        } else {
            chain.append((self, []))
        }
        var names: [String] = [chain[0].0.moduleName]
        for i in chain.indices.dropFirst() {
            let (parent, values) = chain[i - 1]
            let child = chain[i].0
            let slot = values.firstIndex { if case .object(let o) = $0 { return o === child }; return false }
            names.append(slot.map { parent.definition.components[$0] } ?? child.moduleName)
        }
        return names.joined(separator: ".")
    }

    // MARK: Binding

    /// A new mu with the same definition and these bindings added (the others kept).
    func bound(_ pairs: [(String, Value)]) throws -> MuObject {
        var updated = bindings
        for (key, value) in pairs {
            guard let c = definition.components.first(where: { Mangling.sameName($0, key) }) else {
                throw LangError.type("bind: \(moduleName) has no component \(Mangling.unmangle(key)); components: [\(definition.components.joined(separator: " "))]"
                                     + Suggestions.hint(for: Mangling.unmangle(key), among: definition.components))
            }
            try MuObject.checkBindable(value, c, moduleName)
            if case .none = value { updated[c] = nil } else { updated[c] = value }
        }
        let made = MuObject(definition, bindings: updated, interpreter: interpreter)
        made.spec = spec
        if let spec, !pairs.isEmpty { try interpreter.specs.conform(spec, .object(made)) }
        return made
    }

    static func checkBindable(_ value: Value, _ component: String, _ owner: String) throws {
        switch value {
        case .keyword(let k):
            throw LangError.type("bind: \(owner).\(component) cannot be bound to the keyword :\(k) (arguments must be :component value pairs)")
        case .form:
            throw LangError.type("bind: \(owner).\(component) cannot be bound to quoted code; evaluate it first")
        default: break
        }
    }

    // MARK: Modules

    public var ownParameters: [(name: String, tensor: Tensor)] {
        definition.components.compactMap { c in
            if case .parameter(let t)? = bindings[c] { return (Mangling.mangle(c), t) }
            return nil
        }
    }

    public var childModules: [(name: String, module: ModuleValue)] {
        definition.components.compactMap { c in
            if case .object(let o as ModuleValue)? = bindings[c] { return (Mangling.mangle(c), o) }
            return nil
        }
    }

    /// MinoTauro 0.1.0's `extra_repr`.
    public var extraRepr: String {
        let params = ownParameters.map { ModulePrinting.parameterLine($0.name, $0.tensor) }
        let body = definition.body.map { Printer.oneLine($0) }.joined(separator: " ")
        return "At: \(ModulePrinting.address(self))\nC: [\(definition.components.joined(separator: " "))]\nλ: \(body)\n\n"
            + (params.isEmpty ? "" : params.joined(separator: "\n") + "\n")
    }

    public func source() throws -> String { try Reversion.muSource(self) }

    public func attribute(_ name: String) throws -> Value {
        if let v = try moduleAttribute(name) { return v }
        if let c = definition.components.first(where: { Mangling.mangle($0) == name }) {
            return bindings[c] ?? .none
        }
        switch name {
        case "components": return .list(ListBox(definition.components.map { .form(.symbol($0)) }))
        case "fexpression": return .tuple(definition.body.map { .form($0) })
        case "address": return .string(ModulePrinting.address(self))
        case "__doc__": return .string(definition.doc)
        default:
            throw LangError.attribute("'\(moduleName)' object has no attribute '\(name)'"
                                      + Suggestions.hint(for: name, among: attributeNames))
        }
    }

    public var attributeNames: [String] {
        definition.components.map(Mangling.mangle) + ["parameters", "named_parameters", "zero_grad", "train", "eval", "state_dict"]
    }
}

/// The class a `defmu` defines: calling it makes a mu with the given bindings;
/// `instance?` recognises its mus.
final class MuClass: LangObject {
    let definition: MuDefinition
    unowned let interpreter: Interpreter
    /// A spec every mu it makes must conform to (`spec/constrain`).
    var spec: Spec?
    init(_ definition: MuDefinition, interpreter: Interpreter) {
        self.definition = definition
        self.interpreter = interpreter
    }
    var typeName: String { "type" }
    var str: String { "<class '\(definition.name ?? "μ")'>" }
    var callable: ((_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value)? {
        { args, keywords in
            let components = self.definition.components
            guard args.count <= components.count else {
                throw LangError.type("\(self.definition.name ?? "μ")() takes \(components.count) components but \(args.count) were given")
            }
            var pairs = zip(components, args).map { ($0.0, $0.1) }
            pairs += keywords
            let empty = MuObject(self.definition, bindings: [:], interpreter: self.interpreter)
            empty.spec = self.spec
            let made = try empty.bound(pairs)
            if let spec = self.spec, pairs.isEmpty { try self.interpreter.specs.conform(spec, .object(made)) }
            return .object(made)
        }
    }
    func attribute(_ name: String) throws -> Value {
        switch name {
        case "__name__": return .string(definition.name ?? "μ")
        case "__doc__": return .string(definition.doc)
        default: throw LangError.attribute("type object '\(definition.name ?? "μ")' has no attribute '\(name)'")
        }
    }
}

/// The special forms `defmu`, `mu` and `bind`.
enum MuForms {
    static let table: [String: SpecialForms.Compile] = ["defmu": defmu, "mu": mu, "bind": bind]

    /// `(defmu Name [x c1 c2] body…)`: defines the class `Name`.
    static func defmu(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let first = args.first else { throw SpecialForms.syntax(form, "expects (defmu Name [components…] body…)") }
        guard let name = first.symbolName else {
            throw SpecialForms.syntax(form, "the name must be a symbol, found \(first.kindDescription) \(first.brief)")
        }
        var body = Array(args.dropFirst(2))
        var doc = ""
        while let head = body.first, case .string(let s) = head.node, body.count > 1 {
            doc += s
            body.removeFirst()
        }
        let make = try compileDefinition(name: name, args.count > 1 ? args[1] : nil, body, doc: doc, c, form)
        let store = try c.compileStore(name, at: form.location)
        let interpreter = c.interpreter
        return { f in
            try store(f, .object(MuClass(make(f), interpreter: interpreter)))
            return .none
        }
    }

    /// `(mu [x w b] body…)`: an anonymous mu with nothing bound.
    static func mu(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        let make = try compileDefinition(name: nil, args.first, Array(args.dropFirst()), doc: "", c, form)
        let interpreter = c.interpreter
        return { f in .object(MuObject(make(f), bindings: [:], interpreter: interpreter)) }
    }

    static func compileDefinition(name: String?, _ componentForm: Expr?, _ body: [Expr], doc: String,
                                  _ c: Compiler, _ form: Expr) throws -> (Frame) -> MuDefinition {
        let what = name.map { "defmu \($0)" } ?? "mu"
        guard let componentForm, let items = componentForm.vectorItems else {
            throw LangError.syntax("\(what): the components must be a vector of symbols [x w b]", at: componentForm?.location ?? form.location)
        }
        var components: [String] = []
        for item in items {
            guard let s = item.symbolName, !s.hasPrefix("&") else {
                throw LangError.syntax("\(what): a component must be a symbol, found \(item.kindDescription) \(item.brief)", at: item.location ?? form.location)
            }
            guard !components.contains(s) else { throw LangError.syntax("\(what): component \(s) appears twice", at: item.location) }
            components.append(s)
        }
        guard !body.isEmpty else { throw LangError.syntax("\(what): the forward procedure (body) must be defined", at: form.location) }
        let parameters = Expr.vector(components.map { .symbol($0) })
        let makeFunction = try FunctionCompiler.compile(name: name ?? "mu", parameters: parameters, body: body, c, location: form.location)
        let location = form.location
        return { f in
            MuDefinition(name: name, components: components, body: body, doc: doc, function: makeFunction(f), location: location)
        }
    }

    /// `(bind m :c v …)`: a new mu with these components bound, the others kept.
    static func bind(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let target = args.first else { throw SpecialForms.syntax(form, "expects (bind mu :component value …)") }
        let rest = Array(args.dropFirst())
        guard rest.count % 2 == 0 else {
            throw SpecialForms.syntax(form, "arguments must be :component value pairs, found \(rest.count) form\(rest.count == 1 ? "" : "s") after the mu")
        }
        var pairs: [(String, Code)] = []
        var i = 0
        while i < rest.count {
            guard let k = rest[i].keywordName, !k.isEmpty else {
                throw SpecialForms.syntax(form, "arguments must be :component value pairs; \(rest[i].brief) is not a keyword")
            }
            pairs.append((k, try c.compile(rest[i + 1])))
            i += 2
        }
        let mu = try c.compile(target)
        let location = form.location
        return { f in
            let m = try mu(f)
            guard case .object(let o as MuObject) = m else {
                throw LangError.type("bind: argument 1 must be a mu, found \(m.typeName)", at: location)
            }
            let values = try pairs.map { ($0.0, try $0.1(f)) }
            do { return .object(try o.bound(values)) } catch { throw LangError(wrapping: error, at: location) }
        }
    }
}
