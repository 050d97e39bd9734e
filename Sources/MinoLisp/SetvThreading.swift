/// `=->` and `=->>`: the setv-threads (each step evaluated once into a gensym).
extension ThreadingMacros {
    /// `=->` / `=->>`: evaluate each step once into a gensym:
    /// `(=-> x (f a) g)` is `(do (setv G x) (setv G (f G a)) (setv G (g G)) G)`.
    static func setvThread(_ form: Expr, _ macro: String, last: Bool, _ context: inout ExpansionContext) throws -> Expr {
        let (head, steps) = try headAndSteps(form, macro)
        let at = form.location
        let variable = context.gensym(at: at)
        let setv = Expr.symbol("setv", at: at)
        var body: [Expr] = [.symbol("do", at: at), .list([setv, variable, try context.macroexpand(head)], at: at)]
        for s in steps {
            let next = try context.macroexpand(try step(variable, s, last: last, macro))
            body.append(.list([setv, variable, next], at: s.location))
        }
        body.append(variable)
        return .list(body, at: at)
    }
}
