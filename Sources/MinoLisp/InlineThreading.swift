/// `|->` and `|->>`: inline (parallel) threading.
extension ThreadingMacros {
    /// For each step, with `ret` the value so far:
    /// - vector step and vector `ret`: the lengths must be equal (else a `.macro` error
    ///   naming the macro and both lengths); element-wise `[(|-> r1 f1) … (|-> rn fn)]`;
    /// - vector step and any other `ret`: fan out, `[(|-> ret g1) … (|-> ret gm)]`;
    /// - call step `(f0 f1…)`: `[(f0 r f1…) …]` for each `r` of a vector `ret`
    ///   (`(f0 f1… r)` for `|->>`), else `(f0 ret f1…)`;
    /// - atom step `g`: `[(g r) …]` for a vector `ret`, else `(g ret)`.
    ///
    /// `(|-> [x y] [inc dec])` is `[(inc x) (dec y)]`; `(|-> [x [y z]] [f [g h]])` is
    /// `[(f x) [(g y) (h z)]]`.
    static func inlineThread(_ form: Expr, _ macro: String, last: Bool, _ context: inout ExpansionContext) throws -> Expr {
        try foldSteps(form, macro, &context) { ret, s, context in
            try inline(ret, s, macro, last: last, depth: 0, &context)
        }
    }

    private static func inline(_ ret: Expr, _ step: Expr, _ macro: String, last: Bool, depth: Int,
                               _ context: inout ExpansionContext) throws -> Expr {
        try guardDepth(depth, context, macro, step.location)
        if let branches = step.vectorItems {
            var threaded: [Expr] = []
            threaded.reserveCapacity(branches.count)
            if let values = ret.vectorItems {
                guard values.count == branches.count else {
                    throw LispError(.macro, "\(macro): dimension mismatch: the threaded vector has \(values.count) element\(values.count == 1 ? "" : "s") but the step vector has \(branches.count)", at: step.location)
                }
                for (value, branch) in zip(values, branches) {
                    threaded.append(try inline(value, branch, macro, last: last, depth: depth + 1, &context))
                }
            } else {
                for branch in branches {
                    threaded.append(try inline(ret, branch, macro, last: last, depth: depth + 1, &context))
                }
            }
            return .vector(threaded, at: step.location)
        }
        if let values = ret.vectorItems {
            var threaded: [Expr] = []
            threaded.reserveCapacity(values.count)
            for value in values {
                threaded.append(try context.macroexpand(try ThreadingMacros.step(value, step, last: last, macro)))
            }
            return .vector(threaded, at: ret.location)
        }
        return try context.macroexpand(try ThreadingMacros.step(ret, step, last: last, macro))
    }
}
