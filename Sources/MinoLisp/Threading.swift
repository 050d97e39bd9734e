/// MinoTauro's threading macros as pure `Expr → Expr` rewrites.
///
/// Common rules (MinoTauro `mino.thread`, see the reference §2):
/// - a step is a *call* when it is a `( )` list (or a tuple `(, …)`), a *vector* when it
///   is `[ ]`, and an *atom* otherwise; in `->` and `->>` a vector is an ordinary atom,
///   so `(-> x [a b])` is `([a b] x)`;
/// - every macro first expands the head form (`macroexpand`, head only) and expands each
///   new step the same way, so a step that is itself a macro call is threaded into and
///   then expanded: `(-> x (-> (f a)) g)` is `(g (f x a))`.
///
/// Where Mino differs from the final MinoTauro (DESIGN.md fixes these):
/// - `*->>` splices a vector value into an atom step, as the HyTorch README prints;
/// - `=->>` works (threads last);
/// - `cond->` / `cond->>` follow Clojure: each clause applies on its own;
/// - the branches of `*->` / `*->>` / `|->` / `|->>` vectors are threaded at once
///   (HyTorch 2019) instead of being left as nested macro calls for a later pass, so one
///   `macroexpand-1` already prints what the HyTorch README prints;
/// - errors name the macro and say what was expected; the `|->` dimension mismatch
///   names both lengths.
public enum ThreadingMacros {
    /// Every threading macro name, in the order of the reference.
    public static let names = ["->", "->>", "*->", "*->>", "|->", "|->>", "=->", "=->>", "cond->", "cond->>"]

    /// Registers the threading macros in `table`.
    public static func install(into table: MacroTable) {
        table.define("->") { form, context in try thread(form, "->", last: false, &context) }
        table.define("->>") { form, context in try thread(form, "->>", last: true, &context) }
        table.define("*->") { form, context in try broadcastThread(form, "*->", last: false, &context) }
        table.define("*->>") { form, context in try broadcastThread(form, "*->>", last: true, &context) }
        table.define("|->") { form, context in try inlineThread(form, "|->", last: false, &context) }
        table.define("|->>") { form, context in try inlineThread(form, "|->>", last: true, &context) }
        table.define("=->") { form, context in try setvThread(form, "=->", last: false, &context) }
        table.define("=->>") { form, context in try setvThread(form, "=->>", last: true, &context) }
        table.define("cond->") { form, context in try condThread(form, "cond->", last: false, &context) }
        table.define("cond->>") { form, context in try condThread(form, "cond->>", last: true, &context) }
    }

    // MARK: - Shared helpers

    /// Splits `(macro head step...)` into the head and the steps.
    static func headAndSteps(_ form: Expr, _ macro: String) throws -> (Expr, [Expr]) {
        guard let items = form.listItems, items.count >= 2 else {
            throw LispError(.macro, "\(macro): expected a head form to thread, as in (\(macro) x f), found none", at: form.location)
        }
        return (items[1], Array(items.dropFirst(2)))
    }

    /// `(macro head step…)`: the head macroexpanded, then `apply(valueSoFar, step)` for each step.
    static func foldSteps(_ form: Expr, _ macro: String, _ context: inout ExpansionContext,
                          _ apply: (Expr, Expr, inout ExpansionContext) throws -> Expr) throws -> Expr {
        let (head, steps) = try headAndSteps(form, macro)
        var ret = try context.macroexpand(head)
        for s in steps { ret = try apply(ret, s, &context) }
        return ret
    }

    /// True for steps values are threaded *into*: `( )` lists and `(, )` tuples.
    static func isCall(_ step: Expr) -> Bool {
        switch step.node {
        case .list, .tuple: return true
        default: return false
        }
    }

    /// `(f0 values… f1…)` (first) or `(f0 f1… values…)` (last) for a list step;
    /// `(, values… t…)` or `(, t… values…)` for a tuple step.
    static func insert(_ values: [Expr], into step: Expr, last: Bool, _ macro: String) throws -> Expr {
        switch step.node {
        case .list(let items):
            guard let head = items.first else {
                throw LispError(.macro, "\(macro): cannot thread into the empty form (); expected a call such as (f a)", at: step.location)
            }
            let args = items.dropFirst()
            return .list(last ? [head] + args + values : [head] + values + args, at: step.location)
        case .tuple(let items):
            return .tuple(last ? items + values : values + items, at: step.location)
        default:
            return .list([step] + values, at: step.location)
        }
    }

    /// One ordinary threading step: into a call, or `(step value)` for anything else.
    static func step(_ value: Expr, _ step: Expr, last: Bool, _ macro: String) throws -> Expr {
        isCall(step) ? try insert([value], into: step, last: last, macro) : .list([step, value], at: step.location)
    }

    /// Recursion guard for macros that recurse over nested step vectors.
    static func guardDepth(_ depth: Int, _ context: ExpansionContext, _ macro: String, _ location: SourceLocation?) throws {
        if depth + context.nesting > context.maxDepth {
            throw LispError(.depth, "\(macro): step vectors nested deeper than \(context.maxDepth) levels", at: location)
        }
    }
}
