/// `->` and `->>`: thread first, thread last.
extension ThreadingMacros {
    /// `->` / `->>`: `(-> x (f a) g)` is `(g (f x a))`; `(->> x (f a) g)` is `(g (f a x))`.
    static func thread(_ form: Expr, _ macro: String, last: Bool, _ context: inout ExpansionContext) throws -> Expr {
        try foldSteps(form, macro, &context) { ret, s, context in
            try context.macroexpand(try step(ret, s, last: last, macro))
        }
    }
}
