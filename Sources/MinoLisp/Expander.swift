/// The state of a macro expansion: the macros in scope, the gensym counter and the
/// guards that turn runaway input into errors instead of crashes or hangs.
///
/// - `macroexpand1` expands the head form once (`(-> x f)` → `(f x)`).
/// - `macroexpand` expands the head form until it is no longer a macro call (Hy's
///   `macroexpand`; what MinoTauro's threading macros apply to every step).
/// - `macroexpandAll` expands everywhere: every sub-form, but not inside quoted data
///   `'…`; inside a quasiquote only the unquoted parts (`~x`, `~@x`) at the matching
///   depth are expanded. An unquote outside any quasiquote is an `.expand` error.
public struct ExpansionContext {
    /// Default nesting limit of `macroexpandAll` (and of macros that call back into the
    /// expander). Deeper trees give a `.depth` error; the limit keeps the recursion well
    /// inside an 8 MiB stack.
    public static let defaultMaxDepth = 2_000
    /// Default limit on successive head expansions of one form.
    public static let defaultMaxSteps = 10_000

    public let macros: MacroTable
    public let gensyms: Gensym
    public var maxDepth: Int
    public var maxSteps: Int
    /// How deep the expander is right now (recursion of `macroexpandAll` plus macros that
    /// call back into the expander).
    public private(set) var nesting = 0

    public init(macros: MacroTable = .standard(), gensyms: Gensym = Gensym(),
                maxDepth: Int = ExpansionContext.defaultMaxDepth,
                maxSteps: Int = ExpansionContext.defaultMaxSteps) {
        self.macros = macros
        self.gensyms = gensyms
        self.maxDepth = maxDepth
        self.maxSteps = maxSteps
    }

    /// A fresh symbol (see `Gensym`).
    public func gensym(_ prefix: String = "G", at location: SourceLocation? = nil) -> Expr {
        gensyms.next(prefix, at: location)
    }

    /// The macro a form calls, if its head is a symbol naming a macro.
    public func macroCalled(by form: Expr) -> (name: String, expander: MacroExpander)? {
        guard let name = form.headSymbol, let expander = macros.lookup(name) else { return nil }
        return (name, expander)
    }

    /// Expands the form once if it is a macro call; returns it unchanged otherwise.
    public mutating func macroexpand1(_ form: Expr) throws -> Expr {
        guard let (name, expander) = macroCalled(by: form) else { return form }
        try enter(form.location)
        defer { nesting -= 1 }
        do {
            return try expander(form, &self)
        } catch let error as LispError {
            throw error.located(at: form.location)
        } catch {
            throw LispError(.macro, "\(name): \(error)", at: form.location)
        }
    }

    /// Expands the head form until it is no longer a macro call.
    public mutating func macroexpand(_ form: Expr) throws -> Expr {
        var current = form
        for _ in 0..<maxSteps {
            guard macroCalled(by: current) != nil else { return current }
            current = try macroexpand1(current)
        }
        if let (name, _) = macroCalled(by: current) {
            throw LispError(.expand, "expansion of '\(name)' did not terminate after \(maxSteps) steps", at: form.location)
        }
        return current
    }

    /// Expands every macro call in the tree (see the type's documentation).
    public mutating func macroexpandAll(_ form: Expr) throws -> Expr {
        try enter(form.location)
        defer { nesting -= 1 }
        let expanded = try macroexpand(form)
        switch expanded.node {
        case .list(let items):
            if items.count == 2, let head = items[0].symbolName {
                switch head {
                case "quote":
                    return expanded
                case "quasiquote":
                    return expanded.withChildren([items[0], try expandQuasiquoted(items[1], level: 1)])
                default: break
                }
            }
            if let head = items.first?.symbolName, head == "unquote" || head == "unquote-splice" {
                let spelling = head == "unquote" ? "~" : "~@"
                throw LispError(.expand, "\(spelling) (\(head)) outside a quasiquote: expected it inside a `template", at: expanded.location)
            }
            return expanded.withChildren(try items.map { try macroexpandAll($0) })
        case .vector(let items), .dict(let items), .tuple(let items):
            return expanded.withChildren(try items.map { try macroexpandAll($0) })
        default:
            return expanded
        }
    }

    /// Walks quasiquoted data at quasiquote depth `level`, expanding what is unquoted back
    /// to depth 0.
    private mutating func expandQuasiquoted(_ form: Expr, level: Int) throws -> Expr {
        try enter(form.location)
        defer { nesting -= 1 }
        guard let items = form.children else { return form }
        if case .list = form.node, let head = items.first?.symbolName {
            switch head {
            case "quasiquote" where items.count == 2:
                return form.withChildren([items[0], try expandQuasiquoted(items[1], level: level + 1)])
            case "unquote", "unquote-splice":
                guard items.count == 2 else {
                    throw LispError(.expand, "\(head) expects exactly one form, found \(items.count - 1)", at: form.location)
                }
                let inner = level == 1 ? try macroexpandAll(items[1]) : try expandQuasiquoted(items[1], level: level - 1)
                return form.withChildren([items[0], inner])
            default: break
            }
        }
        return form.withChildren(try items.map { try expandQuasiquoted($0, level: level) })
    }

    /// Counts one level of nesting; throws past `maxDepth`.
    mutating func enter(_ location: SourceLocation?) throws {
        guard nesting < maxDepth else {
            throw LispError(.depth, "expansion nested deeper than \(maxDepth) levels", at: location)
        }
        nesting += 1
    }
}

/// `macroexpand-1` with the standard macros and a fresh gensym counter.
public func macroexpand1(_ form: Expr) throws -> Expr {
    var context = ExpansionContext()
    return try context.macroexpand1(form)
}

/// Hy's `macroexpand` (head form until it is not a macro call) with the standard macros.
public func macroexpand(_ form: Expr) throws -> Expr {
    var context = ExpansionContext()
    return try context.macroexpand(form)
}

/// `macroexpand-all` with the standard macros and a fresh gensym counter.
public func macroexpandAll(_ form: Expr) throws -> Expr {
    var context = ExpansionContext()
    return try context.macroexpandAll(form)
}
