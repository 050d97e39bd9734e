/// `cond->` and `cond->>`: conditional threads, with Clojure's semantics.
extension ThreadingMacros {
    /// `cond->` / `cond->>` with Clojure's semantics: each clause whose test is true threads
    /// the value through its form, independently of the other clauses:
    /// `(cond-> x c1 f1 c2 f2)` is
    /// `(do (setv G x) (setv G (if c1 (f1 G) G)) (setv G (if c2 (f2 G) G)) G)`.
    /// With no clauses it is the head itself.
    static func condThread(_ form: Expr, _ macro: String, last: Bool, _ context: inout ExpansionContext) throws -> Expr {
        let (head, clauses) = try headAndSteps(form, macro)
        guard clauses.count % 2 == 0 else {
            throw LispError(.macro, "\(macro): expected test/form pairs after the head, found \(clauses.count) forms (an odd number)", at: form.location)
        }
        let start = try context.macroexpand(head)
        if clauses.isEmpty { return start }
        let at = form.location
        let variable = context.gensym(at: at)
        let setv = Expr.symbol("setv", at: at)
        var body: [Expr] = [.symbol("do", at: at), .list([setv, variable, start], at: at)]
        for i in stride(from: 0, to: clauses.count, by: 2) {
            let (test, s) = (clauses[i], clauses[i + 1])
            let threaded = try context.macroexpand(try step(variable, s, last: last, macro))
            let choice = Expr.list([.symbol("if", at: test.location), test, threaded, variable], at: test.location)
            body.append(.list([setv, variable, choice], at: test.location))
        }
        body.append(variable)
        return .list(body, at: at)
    }
}
