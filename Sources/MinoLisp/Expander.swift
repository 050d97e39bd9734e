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
    /// Default limit on macro calls nested inside macro calls (a macro that expands a
    /// sub-form which is itself a macro call, as the threading macros do with their head
    /// and steps), and on the recursion of the few macros that recurse over nested data.
    /// Deeper nesting is a `.depth` error; the limit keeps that recursion well inside a
    /// 8 MiB stack even in debug builds. `macroexpandAll` itself walks iteratively, so the
    /// depth of the tree is not limited.
    public static let defaultMaxDepth = 1_000
    /// Default limit on successive head expansions of one form.
    public static let defaultMaxSteps = 10_000

    public let macros: MacroTable
    public let gensyms: Gensym
    public var maxDepth: Int
    public var maxSteps: Int
    /// How many macro calls are in progress right now (one inside another).
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
    /// The walk is iterative, so trees of any depth expand without deep recursion.
    public mutating func macroexpandAll(_ form: Expr) throws -> Expr {
        var stack: [WalkFrame] = []
        var result = try visit(form, .code, &stack)
        while !stack.isEmpty {
            let top = stack.count - 1
            if let finished = result {
                stack[top].done.append(finished)
                result = nil
            }
            if stack[top].next < stack[top].children.count {
                let (child, mode) = stack[top].children[stack[top].next]
                stack[top].next += 1
                result = try visit(child, mode, &stack)
            } else {
                let frame = stack.removeLast()
                result = frame.form.withChildren(frame.done)
            }
        }
        return result ?? form
    }

    /// How the walk treats a form: as code (expand it), as quasiquoted data at some
    /// depth, or as something to keep as is (the head symbol of a quote form).
    private enum WalkMode { case code, quasi(Int), keep }

    private struct WalkFrame {
        var form: Expr
        var children: [(Expr, WalkMode)]
        var next = 0
        var done: [Expr] = []
    }

    /// Returns the finished form for atoms and quoted data, or pushes a frame for the
    /// children still to walk and returns nil.
    private mutating func visit(_ form: Expr, _ mode: WalkMode, _ stack: inout [WalkFrame]) throws -> Expr? {
        var expanded = form
        var level = 0
        switch mode {
        case .keep:
            return form
        case .code:
            expanded = try macroexpand(form)
        case .quasi(let depth):
            level = depth
        }
        guard let items = expanded.children, !items.isEmpty else { return expanded }
        var children = items.map { ($0, level == 0 ? WalkMode.code : .quasi(level)) }
        if case .list = expanded.node, let head = items[0].symbolName {
            switch head {
            case "quote" where items.count == 2 && level == 0:
                return expanded
            case "quasiquote" where items.count == 2:
                children = [(items[0], .keep), (items[1], .quasi(level + 1))]
            case "unquote", "unquote-splice":
                let spelling = head == "unquote" ? "~" : "~@"
                guard level > 0 else {
                    throw LispError(.expand, "\(spelling) (\(head)) outside a quasiquote: expected it inside a `template", at: expanded.location)
                }
                guard items.count == 2 else {
                    throw LispError(.expand, "\(head) expects exactly one form, found \(items.count - 1)", at: expanded.location)
                }
                children = [(items[0], .keep), (items[1], level == 1 ? .code : .quasi(level - 1))]
            default:
                break
            }
        }
        stack.append(WalkFrame(form: expanded, children: children, done: []))
        stack[stack.count - 1].done.reserveCapacity(children.count)
        return nil
    }

    /// Counts one level of nesting; throws past `maxDepth`.
    mutating func enter(_ location: SourceLocation?) throws {
        guard nesting < maxDepth else {
            throw LispError(.depth, "macro calls nested deeper than \(maxDepth) levels", at: location)
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
