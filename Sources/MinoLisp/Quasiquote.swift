/// Quasiquote instantiation: the data a `` `template `` stands for once its unquoted parts
/// have values.
///
/// The evaluator of a later layer passes its own `evaluate`; template macros
/// (`MacroTable.defineTemplate`) pass a lookup of the macro's arguments. Semantics (Hy's
/// and Clojure's): inside the template, `~x` is replaced by `evaluate(x)`, `~@xs` splices
/// the elements of `evaluate(xs)` (a list, vector or tuple) into the enclosing
/// collection, and a nested `` ` `` raises the depth so that only unquotes at depth 1
/// are evaluated; deeper ones stay as data (with their own inner unquotes processed at
/// the matching depth).
public enum Quasiquote {
    /// Instantiates `template` (the form inside `(quasiquote …)`).
    public static func instantiate(_ template: Expr,
                                   maxDepth: Int = ExpansionContext.defaultMaxDepth,
                                   evaluate: (Expr) throws -> Expr) throws -> Expr {
        if let (head, _) = unquote(template), head == "unquote-splice" {
            throw LispError(.expand, "~@ must be inside a list, vector, tuple or dict of the template", at: template.location)
        }
        return try withoutActuallyEscaping(evaluate) { evaluate in
            try Walker(maxDepth: maxDepth, evaluate: evaluate).walk(template, level: 1, nesting: 0).first ?? template
        }
    }

    /// `("unquote", x)` or `("unquote-splice", x)` for the two unquote forms.
    static func unquote(_ form: Expr) -> (String, Expr)? {
        guard case .list(let items) = form.node, items.count == 2, let head = items[0].symbolName,
              head == "unquote" || head == "unquote-splice" else { return nil }
        return (head, items[1])
    }

    private struct Walker {
        let maxDepth: Int
        let evaluate: (Expr) throws -> Expr

        /// The forms `form` becomes: one, or any number for a splice at depth 1.
        func walk(_ form: Expr, level: Int, nesting: Int) throws -> [Expr] {
            guard nesting < maxDepth else {
                throw LispError(.depth, "quasiquote template nested deeper than \(maxDepth) levels", at: form.location)
            }
            guard let items = form.children else { return [form] }
            if let (head, argument) = Quasiquote.unquote(form) {
                if level == 1 {
                    let value = try evaluate(argument)
                    guard head == "unquote-splice" else { return [value] }
                    switch value.node {
                    case .list(let spliced), .vector(let spliced), .tuple(let spliced): return spliced
                    case .none: return []
                    default:
                        throw LispError(.expand, "~@ expects a list, vector or tuple to splice, found \(value.kindDescription) \(value.brief)", at: form.location)
                    }
                }
                let inner = try walk(argument, level: level - 1, nesting: nesting + 1)
                return [form.withChildren([items[0]] + inner)]
            }
            var nextLevel = level
            if case .list = form.node, items.count == 2, items[0].symbolName == "quasiquote" {
                nextLevel += 1
            }
            var rebuilt: [Expr] = []
            rebuilt.reserveCapacity(items.count)
            for item in items {
                rebuilt.append(contentsOf: try walk(item, level: nextLevel, nesting: nesting + 1))
            }
            if case .dict = form.node, rebuilt.count % 2 != 0 {
                throw LispError(.expand, "~@ left the dict with an odd number of forms (\(rebuilt.count)); keys and values must pair up", at: form.location)
            }
            return [form.withChildren(rebuilt)]
        }
    }
}
