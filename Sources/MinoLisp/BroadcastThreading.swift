/// `*->` and `*->>`: broadcast threading.
extension ThreadingMacros {
    /// For each step, with `ret` the value so far:
    /// - call `(f0 f1…)`: `(f0 r1…rk f1…)` when `ret` is a vector `[r1…rk]` (its elements
    ///   spliced in as the first arguments; last arguments for `*->>`), else `(f0 ret f1…)`;
    /// - vector `[g1…gm]`: `[(*-> ret g1) … (*-> ret gm)]`, each branch threaded at once;
    /// - atom `g`: `(g r1…rk)` when `ret` is a vector, else `(g ret)` (for both macros:
    ///   Mino fixes the final MinoTauro's `*->>`, which did not splice here).
    ///
    /// `(*-> [x y] +)` is `(+ x y)`; `(*-> x [f g] h)` is `(h (f x) (g x))`.
    static func broadcastThread(_ form: Expr, _ macro: String, last: Bool, _ context: inout ExpansionContext) throws -> Expr {
        try foldSteps(form, macro, &context) { ret, s, context in
            try broadcast(ret, s, macro, last: last, depth: 0, &context)
        }
    }

    private static func broadcast(_ ret: Expr, _ step: Expr, _ macro: String, last: Bool, depth: Int,
                                  _ context: inout ExpansionContext) throws -> Expr {
        try guardDepth(depth, context, macro, step.location)
        let values = ret.vectorItems ?? [ret]
        switch step.node {
        case .vector(let branches):
            var threaded: [Expr] = []
            threaded.reserveCapacity(branches.count)
            for branch in branches {
                threaded.append(try broadcast(ret, branch, macro, last: last, depth: depth + 1, &context))
            }
            return .vector(threaded, at: step.location)
        case .list, .tuple:
            return try context.macroexpand(try insert(values, into: step, last: last, macro))
        default:
            return try context.macroexpand(.list([step] + values, at: step.location))
        }
    }
}
