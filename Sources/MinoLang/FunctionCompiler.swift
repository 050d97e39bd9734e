import MinoLisp

/// Compiles `fn`, `defn`, `defmacro` and `defmain` bodies once, into a maker that
/// closes over the defining frame.
enum FunctionCompiler {
    /// Returns a closure that, given the frame the function is created in, makes the
    /// `Function` value (evaluating `&optional` defaults then, as Python does).
    static func compile(name: String, parameters: Expr, body: [Expr], _ c: Compiler,
                        location: SourceLocation?) throws -> (Frame) -> Function {
        let parameterList = try ParameterList(parsing: parameters, in: name == "<lambda>" ? "fn" : name)
        let defaultForms = parameterList.optional.map(\.defaultForm) + parameterList.keywordOnly.map(\.defaultForm)
        let defaultCodes: [Code] = try defaultForms.map { form in try form.map(c.compile) ?? { _ in .none } }

        var bodyForms = body
        var doc: String? = nil
        if bodyForms.count > 1, case .string(let s) = bodyForms[0].node {
            doc = s
            bodyForms.removeFirst()
        }
        _ = doc
        let scope = FunctionScope(parent: c.scope, isTopLevel: false)
        for p in parameterList.names { scope.declare(p) }
        // Python's rule: a name assigned anywhere in the body is local to it.
        for assigned in AssignedNames.collect(in: bodyForms) where scope.slot(of: assigned) == nil {
            scope.declare(assigned)
        }
        let inner = Compiler(interpreter: c.interpreter, scope: scope)
        let code = try inner.compileBody(bodyForms)
        let binder = ArgumentBinder(function: name, parameters: parameterList)
        let interpreter = c.interpreter
        let simple = parameterList.optional.isEmpty && parameterList.rest == nil
            && parameterList.keywordOnly.isEmpty && parameterList.keywords == nil
        let arity = parameterList.required.count
        return { defining in
            let defaults = defaultCodes.map { (try? $0(defining)) ?? .none }
            return Function(name) { args, keywords in
                let frame = Frame(size: scope.slotCount, parent: defining)
                if simple, keywords.isEmpty, args.count == arity {
                    for i in 0..<arity { frame.slots[i] = args[i] }
                } else {
                    try binder.bind(args, keywords, into: frame, defaults: defaults)
                }
                try interpreter.enterCall()
                defer { interpreter.leaveCall() }
                do {
                    return try code(frame)
                } catch let ret as FunctionReturn {
                    return ret.value
                } catch var error as LangError {
                    error.trace.append((name, location))
                    throw error
                }
            }
        }
    }
}

/// The names a body assigns with `setv`, `for`, `defn`, `import`, `with` and
/// `except`, not looking inside nested functions or quoted data.
enum AssignedNames {
    static func collect(in forms: [Expr]) -> [String] {
        var names: [String] = []
        var seen = Set<String>()
        func add(_ name: String) {
            guard !name.contains("."), seen.insert(name).inserted else { return }
            names.append(name)
        }
        func targets(_ e: Expr) {
            if let s = e.symbolName { add(s); return }
            if case .vector(let items) = e.node { items.forEach(targets) }
            if case .tuple(let items) = e.node { items.forEach(targets) }
        }
        var stack = forms.reversed() as [Expr]
        while let e = stack.popLast() {
            guard let items = e.listItems, let head = items.first?.symbolName else {
                if let children = e.children { stack.append(contentsOf: children.reversed()) }
                continue
            }
            switch head {
            case "quote", "quasiquote", "fn", "lambda", "defmacro", "mu", "defmu":
                continue
            case "defn":
                if items.count > 1, let n = items[1].symbolName { add(n) }
                continue
            case "setv":
                var i = 1
                while i < items.count { targets(items[i]); i += 2 }
                stack.append(contentsOf: items.dropFirst().reversed())
            case "for", "with":
                if items.count > 1, let header = items[1].vectorItems {
                    var i = 0
                    while i + 1 < header.count { targets(header[i]); i += 2 }
                }
                stack.append(contentsOf: items.dropFirst().reversed())
            default:
                stack.append(contentsOf: items.dropFirst().reversed())
            }
        }
        return names
    }
}

/// Quasiquote, compiled: the template's shape is fixed at compile time, the unquoted
/// parts (at depth 1) become code, and `~@` splices.
enum Quasi {
    typealias Builder = (Frame) throws -> [Expr]

    static func unquote(_ form: Expr) -> (String, Expr)? {
        guard case .list(let items) = form.node, items.count == 2, let head = items[0].symbolName,
              head == "unquote" || head == "unquote-splice" else { return nil }
        return (head, items[1])
    }

    static func compile(_ form: Expr, level: Int, _ c: Compiler) throws -> Builder {
        guard let items = form.children else { return { _ in [form] } }
        if let (head, argument) = unquote(form) {
            if level == 1 {
                let code = try c.compile(argument)
                let location = form.location
                if head == "unquote" {
                    return { f in [try ExprConversion.expr(from: try code(f), at: location)] }
                }
                return { f in
                    let value = try code(f)
                    if case .none = value { return [] }
                    guard let elements = value.sequenceItems() else {
                        throw LangError.type("~@ expects a list, vector or tuple to splice, found \(value.typeName)", at: location)
                    }
                    return try elements.map { try ExprConversion.expr(from: $0, at: location) }
                }
            }
            let inner = try compile(argument, level: level - 1, c)
            return { f in [form.withChildren([items[0]] + (try inner(f)))] }
        }
        var next = level
        if case .list = form.node, items.count == 2, items[0].symbolName == "quasiquote" { next += 1 }
        let parts = try items.map { try compile($0, level: next, c) }
        return { f in
            var rebuilt: [Expr] = []
            rebuilt.reserveCapacity(parts.count)
            for part in parts { rebuilt.append(contentsOf: try part(f)) }
            return [form.withChildren(rebuilt)]
        }
    }
}

/// Values as code, for quasiquote, `eval` and macro results.
enum ExprConversion {
    static func expr(from value: Value, at location: SourceLocation? = nil) throws -> Expr {
        switch value {
        case .form(let e): return e
        case .none: return .none(at: location)
        case .bool(let b): return .bool(b, at: location)
        case .int(let i): return .integer(i, at: location)
        case .float(let d): return .float(d, at: location)
        case .string(let s): return .string(s, at: location)
        case .keyword(let k): return .keyword(k, at: location)
        case .list(let l): return .vector(try l.items.map { try expr(from: $0, at: location) }, at: location)
        case .tuple(let t): return .tuple(try t.map { try expr(from: $0, at: location) }, at: location)
        case .dict(let d):
            return .dict(try d.pairs.flatMap { [try expr(from: $0.0, at: location), try expr(from: $0.1, at: location)] }, at: location)
        case .function(let f):
            if let name = f.sourceName { return .symbol(name, at: location) }
            throw LangError.type("the function \(f.name) cannot be placed in code (it has no name to refer to it by)", at: location)
        default:
            throw LangError.type("a \(value.typeName) cannot be placed in code; bind it to a name and use the name", at: location)
        }
    }
}
