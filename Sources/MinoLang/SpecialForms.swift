import MinoCore
import MinoLisp

/// The special forms: each checks its syntax at compile time and returns a closure.
enum SpecialForms {
    typealias Compile = (Compiler, [Expr], Expr) throws -> Code

    static let table: [String: Compile] = {
        var t: [String: Compile] = [
            "quote": quote, "quasiquote": quasiquote,
            "if": ifForm, "if*": ifForm, "when": when, "unless": unless, "cond": cond, "do": doForm,
            "setv": setv, "let": letForm, "fn": fn, "lambda": fn, "defn": defn,
            "defmacro": defmacro, "defmain": defmain,
            "for": forForm, "while": whileForm, "break": breakForm, "continue": continueForm,
            "return": returnForm,
            "and": andForm, "or": orForm, "import": importForm, "require": requireForm,
            ".": dotForm, "try": tryForm, "raise": raiseForm, "assert": assertForm, "with": withForm,
        ]
        for (name, form) in MuForms.table { t[name] = form }
        for (name, form) in SpecForms.table { t[name] = form }
        return t
    }()

    static func syntax(_ form: Expr, _ message: String) -> LangError {
        LangError.syntax("\(form.headSymbol ?? "form"): \(message)", at: form.location)
    }

    // MARK: Data

    static func quote(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count == 1 else { throw syntax(form, "expects one form, found \(args.count)") }
        let v = Value.form(args[0])
        return { _ in v }
    }

    static func quasiquote(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count == 1 else { throw syntax(form, "expects one form, found \(args.count)") }
        if let (head, _) = Quasi.unquote(args[0]), head == "unquote-splice" {
            throw LangError.syntax("~@ must be inside a list, vector, tuple or dict of the template", at: args[0].location)
        }
        let build = try Quasi.compile(args[0], level: 1, c)
        return { f in
            let forms = try build(f)
            return .form(forms.first ?? .none())
        }
    }

    // MARK: Control

    static func ifForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count == 2 || args.count == 3 else {
            throw syntax(form, "expects (if test then [else]), found \(args.count) forms")
        }
        let test = try c.compile(args[0]), then = try c.compile(args[1])
        let otherwise = args.count == 3 ? try c.compile(args[2]) : { _ in .none }
        return { f in try test(f).isTruthy() ? try then(f) : try otherwise(f) }
    }

    static func when(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let first = args.first else { throw syntax(form, "expects a test") }
        let test = try c.compile(first), body = try c.compileBody(Array(args.dropFirst()))
        return { f in try test(f).isTruthy() ? try body(f) : .none }
    }

    static func unless(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let first = args.first else { throw syntax(form, "expects a test") }
        let test = try c.compile(first), body = try c.compileBody(Array(args.dropFirst()))
        return { f in try test(f).isTruthy() ? .none : try body(f) }
    }

    /// Hy 0.19's `(cond [test body…] …)`, or the flat `(cond test value …)` of later Hy.
    static func cond(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        var clauses: [(Code, Code)] = []
        if !args.isEmpty, args.allSatisfy({ $0.isVector }) {
            for clause in args {
                let items = clause.vectorItems ?? []
                guard let test = items.first else { throw syntax(form, "a clause [test body…] needs a test") }
                let testCode = try c.compile(test)
                clauses.append((testCode, items.count == 1 ? testCode : try c.compileBody(Array(items.dropFirst()))))
            }
        } else {
            guard args.count % 2 == 0 else {
                throw syntax(form, "expects test/value pairs (or [test body…] clauses), found \(args.count) forms")
            }
            var i = 0
            while i < args.count {
                clauses.append((try c.compile(args[i]), try c.compile(args[i + 1])))
                i += 2
            }
        }
        return { f in
            for (test, body) in clauses where try test(f).isTruthy() { return try body(f) }
            return .none
        }
    }

    static func doForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        try c.compileBody(args)
    }

    static func andForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        let codes = try args.map(c.compile)
        return { f in
            var last = Value.bool(true)
            for code in codes {
                last = try code(f)
                if try !last.isTruthy() { return last }
            }
            return last
        }
    }

    static func orForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        let codes = try args.map(c.compile)
        return { f in
            var last = Value.none
            for code in codes {
                last = try code(f)
                if try last.isTruthy() { return last }
            }
            return last
        }
    }

    /// Hy's `(. obj attr (method args…) …)`: attribute and method access in a chain.
    static func dotForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let first = args.first, args.count >= 2 else { throw syntax(form, "expects (. object attribute …)") }
        var steps: [(String, [Code], [(String, Code)])?] = []
        var attributes: [String] = []
        for step in args.dropFirst() {
            if let s = step.symbolName {
                attributes.append(Mangling.mangle(s))
                steps.append(nil)
            } else if let items = step.listItems, let m = items.first?.symbolName {
                let (p, k) = try c.compileArguments(Array(items.dropFirst()), at: step.location)
                attributes.append(Mangling.mangle(m))
                steps.append((Mangling.mangle(m), p, k))
            } else {
                throw syntax(form, "expects attribute names or (method args…), found \(step.brief)")
            }
        }
        let object = try c.compile(first)
        let location = form.location
        return { f in
            var value = try object(f)
            do {
                for (i, step) in steps.enumerated() {
                    if let (name, p, k) = step {
                        value = try Methods.call(value, name, try p.map { try $0(f) }, try k.map { ($0.0, try $0.1(f)) })
                    } else {
                        value = try Attributes.get(value, attributes[i])
                    }
                }
            } catch { throw LangError(wrapping: error, at: location) }
            return value
        }
    }

    // MARK: Binding

    static func setv(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard !args.isEmpty, args.count % 2 == 0 else {
            throw syntax(form, "expects target/value pairs, found \(args.count) form\(args.count == 1 ? "" : "s")")
        }
        var steps: [(Code, (Frame, Value) throws -> Void)] = []
        var i = 0
        while i < args.count {
            let value = try c.compile(args[i + 1])
            steps.append((value, try compileTarget(args[i], c, form)))
            i += 2
        }
        return { f in
            for (value, store) in steps { try store(f, try value(f)) }
            return .none
        }
    }

    /// A store for an assignment target: a symbol (maybe dotted), `(get x k)`, or a
    /// vector/tuple of targets to destructure into.
    static func compileTarget(_ target: Expr, _ c: Compiler, _ form: Expr) throws -> (Frame, Value) throws -> Void {
        if let name = target.symbolName {
            guard !["True", "False", "None"].contains(name) else { throw syntax(form, "cannot assign to \(name)") }
            return try c.compileStore(name, at: target.location)
        }
        if let items = target.listItems, items.first?.symbolName == "get", items.count >= 3 {
            let object = try c.compile(items[1])
            let keys = try items.dropFirst(2).map(c.compile)
            let location = target.location
            return { f, value in
                var container = try object(f)
                let keyValues = try keys.map { try $0(f) }
                do {
                    for k in keyValues.dropLast() { container = try Indexing.get(container, k) }
                    try Indexing.set(container, keyValues[keyValues.count - 1], value)
                } catch { throw LangError(wrapping: error, at: location) }
            }
        }
        if case .vector(let items) = target.node { return try destructure(items, c, form, target.location) }
        if case .tuple(let items) = target.node { return try destructure(items, c, form, target.location) }
        throw syntax(form, "cannot assign to \(target.kindDescription) \(target.brief)")
    }

    private static func destructure(_ items: [Expr], _ c: Compiler, _ form: Expr,
                                    _ location: SourceLocation?) throws -> (Frame, Value) throws -> Void {
        let stores = try items.map { try compileTarget($0, c, form) }
        return { f, value in
            let elements = try Iteration.array(value)
            guard elements.count == stores.count else {
                throw LangError.value("cannot unpack \(elements.count) value\(elements.count == 1 ? "" : "s") into \(stores.count) targets", at: location)
            }
            for (store, element) in zip(stores, elements) { try store(f, element) }
        }
    }

    /// `(let [a 1 b (+ a 1)] body…)`: sequential bindings visible in the body only
    /// (as `hy.contrib.walk`'s `let`); a `setv` of another name inside assigns in the
    /// enclosing function as usual.
    static func letForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let bindings = args.first?.vectorItems else {
            throw syntax(form, "expects a vector of bindings [name value …] first")
        }
        guard bindings.count % 2 == 0 else { throw syntax(form, "bindings must come in name/value pairs, found \(bindings.count) forms") }
        let mark = c.scope.mark
        defer { c.scope.restore(mark) }
        var steps: [(Code, Int)] = []
        var i = 0
        while i < bindings.count {
            guard let name = bindings[i].symbolName else {
                throw syntax(form, "a binding name must be a symbol, found \(bindings[i].brief)")
            }
            let value = try c.compile(bindings[i + 1])
            steps.append((value, c.scope.declare(name)))
            i += 2
        }
        let body = try c.compileBody(Array(args.dropFirst()))
        return { f in
            for (value, slot) in steps { f.slots[slot] = try value(f) }
            return try body(f)
        }
    }

    // MARK: Functions

    static func fn(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let params = args.first else { throw syntax(form, "expects a parameter vector") }
        let make = try FunctionCompiler.compile(name: "<lambda>", parameters: params, body: Array(args.dropFirst()),
                                                c, location: form.location)
        return { f in .function(make(f)) }
    }

    static func defn(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count >= 2, let name = args[0].symbolName else {
            throw syntax(form, "expects (defn name [params] body…)")
        }
        let store = try c.compileStore(name, at: form.location)
        let make = try FunctionCompiler.compile(name: name, parameters: args[1], body: Array(args.dropFirst(2)),
                                                c, location: form.location)
        return { f in
            try store(f, .function(make(f)))
            return .none
        }
    }

    static func defmain(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let params = args.first else { throw syntax(form, "expects (defmain [params] body…)") }
        let make = try FunctionCompiler.compile(name: "main", parameters: params, body: Array(args.dropFirst()),
                                                c, location: form.location)
        let interpreter = c.interpreter
        return { f in
            interpreter.mainFunction = make(f)
            return .none
        }
    }

    /// `(defmacro name [params] body…)`: the body runs when a later form is expanded,
    /// with the call's forms as arguments; the macro joins the interpreter's table at
    /// once, so every form compiled after this one sees it.
    static func defmacro(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count >= 2, let name = args[0].symbolName else {
            throw syntax(form, "expects (defmacro name [params] body…)")
        }
        let interpreter = c.interpreter
        let macroCompiler = Compiler(interpreter: interpreter, scope: FunctionScope(parent: nil, isTopLevel: true))
        let make = try FunctionCompiler.compile(name: name, parameters: args[1], body: Array(args.dropFirst(2)),
                                                macroCompiler, location: form.location)
        let function = make(Frame(size: macroCompiler.scope.slotCount, parent: nil))
        interpreter.defineMacro(name, function)
        return { _ in .none }
    }

    // MARK: Loops

    /// `(for [x xs] body…)`; several pairs nest, the first outermost.
    static func forForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let header = args.first?.vectorItems, !header.isEmpty, header.count % 2 == 0 else {
            throw syntax(form, "expects (for [target sequence …] body…)")
        }
        var loops: [(Code, (Frame, Value) throws -> Void)] = []
        var i = 0
        while i < header.count {
            let sequence = try c.compile(header[i + 1])
            loops.append((sequence, try compileTarget(header[i], c, form)))
            i += 2
        }
        let body = try c.compileBody(Array(args.dropFirst()))
        let location = form.location
        func run(_ level: Int, _ f: Frame) throws -> Bool {
            let (sequence, store) = loops[level]
            var stop = false
            let iterable = try sequence(f)
            do {
                try Iteration.forEach(iterable) { item in
                    try store(f, item)
                    if level + 1 < loops.count {
                        if try !run(level + 1, f) { stop = true; return false }
                        return true
                    }
                    do {
                        _ = try body(f)
                    } catch ControlFlow.continueLoop {
                        return true
                    } catch ControlFlow.breakLoop {
                        stop = true
                        return false
                    }
                    return true
                }
            } catch var error as LangError {
                if error.location == nil { error.location = location }
                throw error
            } catch let control as ControlFlow {
                throw control
            } catch {
                throw LangError(wrapping: error, at: location)
            }
            return !stop
        }
        return { f in
            _ = try run(0, f)
            return .none
        }
    }

    static func whileForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let first = args.first else { throw syntax(form, "expects a test") }
        let test = try c.compile(first), body = try c.compileBody(Array(args.dropFirst()))
        let interpreter = c.interpreter
        let location = form.location
        return { f in
            while try test(f).isTruthy() {
                do { try interpreter.checkInterrupt() } catch var error as LangError {
                    error.location = location
                    throw error
                }
                do { _ = try body(f) } catch ControlFlow.continueLoop { continue } catch ControlFlow.breakLoop { break }
            }
            return .none
        }
    }

    static func breakForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.isEmpty else { throw syntax(form, "takes no arguments") }
        return { _ in throw ControlFlow.breakLoop }
    }

    static func continueForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.isEmpty else { throw syntax(form, "takes no arguments") }
        return { _ in throw ControlFlow.continueLoop }
    }

    static func returnForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count <= 1 else { throw syntax(form, "takes at most one value") }
        guard !c.scope.isTopLevel else { throw syntax(form, "outside a function") }
        let value = args.isEmpty ? { _ in .none } : try c.compile(args[0])
        return { f in throw FunctionReturn(value: try value(f)) }
    }

    // MARK: Modules

    /// `(import torch [torch.nn :as nn] [torch.optim [Adam SGD]] [hytorch.core [*]])`.
    static func importForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        var steps: [(Frame) throws -> Void] = []
        let interpreter = c.interpreter
        for spec in args {
            if let name = spec.symbolName {
                let root = String(name.split(separator: ".").first ?? Substring(name))
                let store = try c.compileStore(root, at: spec.location)
                let location = spec.location
                steps.append { f in
                    let module = try interpreter.library.module(name, at: location)
                    _ = module
                    try store(f, .object(try interpreter.library.module(root, at: location)))
                }
                continue
            }
            guard let items = spec.vectorItems, let moduleName = items.first?.symbolName else {
                throw syntax(form, "expects module names or [module :as alias] / [module [names…]], found \(spec.brief)")
            }
            let location = spec.location
            if items.count == 3, items[1].keywordName == "as", let alias = items[2].symbolName {
                let store = try c.compileStore(alias, at: location)
                steps.append { f in try store(f, .object(try interpreter.library.module(moduleName, at: location))) }
            } else if items.count == 2, let names = items[1].vectorItems {
                var pairs: [(String, String)] = []
                var j = 0
                while j < names.count {
                    guard let n = names[j].symbolName else { throw syntax(form, "expects names in \(items[1].brief)") }
                    if j + 2 < names.count, names[j + 1].keywordName == "as", let alias = names[j + 2].symbolName {
                        pairs.append((n, alias))
                        j += 3
                    } else {
                        pairs.append((n, n))
                        j += 1
                    }
                }
                if pairs.count == 1, pairs[0].0 == "*" {
                    steps.append { f in
                        let module = try interpreter.library.module(moduleName, at: location)
                        for name in module.memberNames { interpreter.globals.define(name, try module.attribute(Mangling.mangle(name))) }
                    }
                } else {
                    let stores = try pairs.map { ($0.0, try c.compileStore($0.1, at: location)) }
                    steps.append { f in
                        let module = try interpreter.library.module(moduleName, at: location)
                        for (name, store) in stores {
                            do { try store(f, try module.member(name)) } catch {
                                throw LangError("ImportError", "cannot import name '\(name)' from '\(moduleName)'"
                                                + Suggestions.hint(for: name, among: module.memberNames), at: location)
                            }
                        }
                    }
                }
            } else {
                throw syntax(form, "expects [module :as alias] or [module [names…]], found \(spec.brief)")
            }
        }
        return { f in
            for step in steps { try step(f) }
            return .none
        }
    }

    /// `(require [mino.mu [*]] [hytorch.core [|setv]])`: the macros join the table now.
    static func requireForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        for spec in args {
            if let name = spec.symbolName {
                try c.interpreter.library.require(name, names: nil, into: c.interpreter, at: spec.location)
                continue
            }
            guard let items = spec.vectorItems, let moduleName = items.first?.symbolName else {
                throw syntax(form, "expects [module [names…]] or [module :as alias], found \(spec.brief)")
            }
            if items.count == 2, let names = items[1].vectorItems {
                let wanted = names.compactMap(\.symbolName)
                try c.interpreter.library.require(moduleName, names: wanted == ["*"] ? nil : wanted,
                                                  into: c.interpreter, at: spec.location)
            } else {
                try c.interpreter.library.require(moduleName, names: nil, into: c.interpreter, at: spec.location)
            }
        }
        return { _ in .none }
    }

    // MARK: Exceptions

    static func tryForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        var bodyForms: [Expr] = []
        var handlers: [(types: [Code], store: ((Frame, Value) throws -> Void)?, body: Code)] = []
        var elseBody: Code? = nil
        var finallyBody: Code? = nil
        for arg in args {
            switch arg.headSymbol {
            case "except", "catch":
                let items = arg.listItems ?? []
                guard items.count >= 2, let spec = items[1].vectorItems else {
                    throw syntax(form, "expects (except [name Type] body…), (except [Type] …) or (except [] …)")
                }
                var types: [Code] = []
                var store: ((Frame, Value) throws -> Void)? = nil
                if spec.count == 2, let name = spec[0].symbolName {
                    store = try c.compileStore(name, at: arg.location)
                    if let list = spec[1].vectorItems { types = try list.map(c.compile) } else { types = [try c.compile(spec[1])] }
                } else if spec.count == 1 {
                    if let list = spec[0].vectorItems { types = try list.map(c.compile) } else { types = [try c.compile(spec[0])] }
                } else if !spec.isEmpty {
                    throw syntax(form, "an except clause takes [name Type], [Type] or []")
                }
                handlers.append((types, store, try c.compileBody(Array(items.dropFirst(2)))))
            case "else": elseBody = try c.compileBody(Array((arg.listItems ?? []).dropFirst()))
            case "finally": finallyBody = try c.compileBody(Array((arg.listItems ?? []).dropFirst()))
            default:
                guard handlers.isEmpty, elseBody == nil, finallyBody == nil else {
                    throw syntax(form, "body forms must come before except, else and finally")
                }
                bodyForms.append(arg)
            }
        }
        let body = try c.compileBody(bodyForms)
        let interpreter = c.interpreter
        return { f in
            defer { if let finallyBody { _ = try? finallyBody(f) } }
            let result: Value
            do {
                result = try body(f)
            } catch let control as ControlFlow {
                throw control
            } catch let ret as FunctionReturn {
                throw ret
            } catch {
                let lang = LangError(wrapping: error, at: form.location)
                let exception = ExceptionObject(lang)
                for handler in handlers {
                    var matches = handler.types.isEmpty
                    for typeCode in handler.types where !matches {
                        matches = try ExceptionObject.matches(lang, try typeCode(f))
                    }
                    if matches {
                        if let store = handler.store { try store(f, .object(exception)) }
                        return try interpreter.withCurrentException(lang) { try handler.body(f) }
                    }
                }
                throw lang
            }
            if let elseBody { return try elseBody(f) }
            return result
        }
    }

    static func raiseForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count <= 1 else { throw syntax(form, "takes at most one exception") }
        let interpreter = c.interpreter
        let location = form.location
        guard let first = args.first else {
            return { _ in
                if let current = interpreter.currentException { throw current }
                throw LangError("RuntimeError", "No active exception to reraise", at: location)
            }
        }
        let value = try c.compile(first)
        return { f in throw try ExceptionObject.error(raising: try value(f), at: location) }
    }

    static func assertForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard args.count == 1 || args.count == 2 else { throw syntax(form, "expects (assert test [message])") }
        let test = try c.compile(args[0])
        let message = args.count == 2 ? try c.compile(args[1]) : nil
        let location = form.location
        let text = Printer.oneLine(args[0])
        return { f in
            if try !test(f).isTruthy() {
                let detail = try message.map { try $0(f).str } ?? "assertion failed: \(text)"
                throw LangError("AssertionError", detail, at: location)
            }
            return .none
        }
    }

    /// `(with [(torch.no_grad)] body…)` or `(with [name context] body…)`.
    static func withForm(_ c: Compiler, _ args: [Expr], _ form: Expr) throws -> Code {
        guard let header = args.first?.vectorItems, header.count == 1 || header.count == 2 else {
            throw syntax(form, "expects (with [context] body…) or (with [name context] body…)")
        }
        let context = try c.compile(header[header.count - 1])
        let store = header.count == 2 ? try compileTarget(header[0], c, form) : nil
        let body = try c.compileBody(Array(args.dropFirst()))
        let location = form.location
        return { f in
            let value = try context(f)
            guard case .object(let o) = value, let manager = o as? ContextManager else {
                throw LangError.type("'\(value.typeName)' object does not support the context manager protocol", at: location)
            }
            return try manager.within { entered in
                if let store { try store(f, entered) }
                return try body(f)
            }
        }
    }
}

/// `(return x)` unwinding to the function that runs it.
struct FunctionReturn: Error {
    let value: Value
}

/// Objects usable in `with`.
protocol ContextManager: LangObject {
    /// Runs the body inside the context; the body receives what `with [name …]` binds.
    func within(_ body: (Value) throws -> Value) throws -> Value
}
