import Foundation
import MinoCore
import MinoLisp

/// The modules a program can `import` and `require`: the torch namespaces and the
/// preludes with the seeds' own module names (`hytorch.core`, `mino.mu`, …).
final class ModuleLibrary {
    unowned let interpreter: Interpreter
    private var modules: [String: NamespaceObject] = [:]
    /// Macros (and special forms) each module provides to `require`.
    private let provides: [String: [String]]

    init(interpreter: Interpreter) {
        self.interpreter = interpreter
        provides = [
            "mino.mu": ["defmu", "mu", "bind"],
            "mino.thread": ThreadingMacros.names,
            "mino.spec": Array(SpecForms.table.keys).sorted(),
            "hytorch.core": ["|setv"],
            "hytorch.thread": ThreadingMacros.names,
            "hytorch.match": ["pat-refract"],
            "hy.contrib.walk": ["let"],
            "hy.contrib.hy-repr": [],
        ]
    }

    var knownModules: [String] {
        ["torch", "torch.nn", "torch.nn.functional", "torch.nn.init", "torch.optim", "torch.cuda", "mino",
         "hytorch.core", "hytorch.lisp", "hytorch.match", "hy.contrib.hy-repr"] + provides.keys
    }

    /// The module `name` (`torch`, `torch.nn.functional`, `hytorch.core`).
    func module(_ name: String, at location: SourceLocation?) throws -> NamespaceObject {
        if let m = modules[name] { return m }
        let parts = name.split(separator: ".").map(String.init)
        if parts.first == "torch" {
            let torch = modules["torch"] ?? TorchLibrary.build(for: interpreter)
            modules["torch"] = torch
            var current = torch
            for p in parts.dropFirst() {
                guard case .object(let o as NamespaceObject)? = try? current.member(p) else {
                    throw LangError("ModuleNotFoundError", "No module named '\(name)'" + Suggestions.hint(for: name, among: knownModules), at: location)
                }
                current = o
            }
            modules[name] = current
            return current
        }
        guard let made = Preludes.make(name, interpreter) else {
            throw LangError("ModuleNotFoundError", "No module named '\(name)'; Mino provides "
                            + knownModules.sorted().joined(separator: ", ") + Suggestions.hint(for: name, among: knownModules), at: location)
        }
        modules[name] = made
        return made
    }

    /// `(require [module [names…]])`: the module's macros join the interpreter's table.
    func require(_ name: String, names: [String]?, into interpreter: Interpreter, at location: SourceLocation?) throws {
        guard let available = provides[name] else {
            throw LangError("ModuleNotFoundError", "No macros in module '\(name)'; require one of "
                            + provides.keys.sorted().joined(separator: ", ") + Suggestions.hint(for: name, among: Array(provides.keys)), at: location)
        }
        for n in names ?? [] where !available.contains(n) {
            throw LangError("ImportError", "cannot require '\(n)' from '\(name)'; it provides "
                            + (available.isEmpty ? "no macros" : available.joined(separator: ", ")), at: location)
        }
        for n in names ?? available {
            if let macro = Preludes.macros[n] { interpreter.macros.define(n, macro) }
        }
    }
}

/// The seeds' helper modules, written in Swift.
enum Preludes {
    /// `(|setv [a b] [e1 e2])` → `(do (setv a e1) (setv b e2))` (HyTorch's parallel assignment).
    /// Hy's core macros that Mino's standard table lacks, defined in every interpreter.
    static let core: [String: MacroExpander] = [
        // (lfor x xs [y ys …] expr) → a list built by a for loop.
        "lfor": { form, context in
            let items = Array((form.listItems ?? []).dropFirst())
            guard items.count >= 3, items.count % 2 == 1 else {
                throw LispError(.macro, "lfor expects (lfor target sequence … expression)", at: form.location)
            }
            let at = form.location
            let list = context.gensym("lfor", at: at)
            let header = Expr.vector(Array(items.dropLast()), at: at)
            let append = Expr.list([.symbol(".append", at: at), list, items[items.count - 1]], at: at)
            return .list([.symbol("do", at: at),
                          .list([.symbol("setv", at: at), list, .vector([], at: at)], at: at),
                          .list([.symbol("for", at: at), header, append], at: at),
                          list], at: at)
        },
    ]

    static let macros: [String: MacroExpander] = [
        "|setv": { form, _ in
            let items = form.listItems ?? []
            guard items.count == 3, let symbols = items[1].children, let exprs = items[2].children else {
                throw LispError(.macro, "|setv expects a vector of symbols and a vector of expressions", at: form.location)
            }
            guard symbols.count == exprs.count else {
                throw LispError(.macro, "|setv: Length of Symbols and Expressions must match.", at: form.location)
            }
            let assignments = zip(symbols, exprs).map { Expr.list([.symbol("setv", at: form.location), $0, $1], at: form.location) }
            return .list([.symbol("do", at: form.location)] + assignments, at: form.location)
        },
    ]

    static func make(_ name: String, _ interpreter: Interpreter) -> NamespaceObject? {
        let ns = NamespaceObject(name)
        func def(_ n: String, _ body: @escaping ([Value], [(String, Value)]) throws -> Value) {
            ns.define(n, .function(Function(n, sourceName: n, body)))
        }
        switch name {
        case "hytorch.core":
            def("|gensym") { args, _ in
                guard args.count == 2, case .string(let prefix) = args[1] else {
                    throw LangError.type("|gensym takes a sequence and a prefix string")
                }
                let n = try Iteration.array(args[0]).count
                return .list(ListBox((0..<n).map { .form(.symbol(prefix + String($0))) }))
            }
            def("print-lisp") { args, _ in
                interpreter.output((args.first.map(printLisp) ?? "") + "\n")
                return .none
            }
        case "hytorch.lisp":
            def("printlisp") { args, _ in
                interpreter.output((args.first.map(printLisp) ?? "") + "\n")
                return .none
            }
            def("car") { args, _ in try Iteration.array(args.first ?? .none).first ?? .none }
            def("cdr") { args, _ in
                guard let v = args.first else { throw LangError.type("cdr takes a list") }
                return Indexing.rewrap(v, Array(try Iteration.array(v).dropFirst()))
            }
            def("cons") { args, _ in
                guard args.count == 2, let rest = args[1].sequenceItems() else {
                    throw LangError.type("cons-> Second Argument Must Be List.")
                }
                return Indexing.rewrap(args[1], [args[0]] + rest)
            }
            def("atom?") { args, _ in .bool(args.first?.sequenceItems() == nil) }
            def("symb") { args, _ in
                guard case .string(let s)? = args.first else { throw LangError.type("symb-> Argument Must Be String") }
                return .form(.symbol(s))
            }
        case "hytorch.match":
            def("pat-find") { args, keywords in
                guard args.count >= 2 else { throw LangError.type("pat-find takes an expression and a pattern") }
                let n = (keywords.first { $0.0 == "n" }?.1 ?? (args.count > 2 ? args[2] : .int(-1))).integer ?? -1
                let pattern = try Pattern(try ExprConversion.expr(from: args[1]))
                let matches = find(pattern, in: try ExprConversion.expr(from: args[0]), limit: n < 0 ? nil : n)
                return .list(ListBox(matches.map { .form($0.form) }))
            }
            def("pat-match?") { args, _ in
                guard args.count == 2 else { throw LangError.type("pat-match? takes an expression and a pattern") }
                return .bool(try Pattern(try ExprConversion.expr(from: args[1])).matches(try ExprConversion.expr(from: args[0])))
            }
        case "hy.contrib.hy-repr":
            if let v = interpreter.globals.value("hy-repr") { ns.define("hy-repr", v) }
        case "mino":
            MinoModule.install(into: ns, interpreter)
        default:
            return nil
        }
        return ns
    }

    /// HyTorch's one-line printing of a form, strings without quotes.
    static func printLisp(_ v: Value) -> String {
        switch v {
        case .form(let e): return Printer.oneLine(e)
        case .string(let s): return s
        default:
            if let items = v.sequenceItems() { return "[" + items.map(printLisp).joined(separator: " ") + "]" }
            return v.str
        }
    }
}
