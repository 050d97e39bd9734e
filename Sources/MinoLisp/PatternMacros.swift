/// `pat-refract`: HyTorch's refactoring macro over Mino patterns.
///
/// `(pat-refract code (pattern1 replacement1) (pattern2 replacement2) ...)` expands
/// `code` fully, then applies each rule in turn to the whole tree, bottom-up (see
/// `RewriteRule`). The expansion is the refactored code:
/// `(pat-refract (-> W_0 (tfun.linear W_1 W_2) tfun.sigmoid) (tfun.sigmoid tfun.relu) (W_2 B_2))`
/// is `(tfun.relu (tfun.linear W_0 W_1 B_2))`.
public enum PatternMacros {
    public static let names = ["pat-refract"]

    public static func install(into table: MacroTable) {
        table.define("pat-refract") { form, context in
            let items = form.listItems ?? []
            guard items.count >= 2 else {
                throw LispError(.macro, "pat-refract: expected code to refactor, as in (pat-refract code (pattern replacement) ...)", at: form.location)
            }
            var rules: [RewriteRule] = []
            for pair in items.dropFirst(2) {
                guard let parts = pair.listItems, parts.count == 2 else {
                    throw LispError(.macro, "pat-refract: expected (pattern replacement) pairs, found \(pair.brief)", at: pair.location ?? form.location)
                }
                rules.append(try RewriteRule(pattern: Pattern(parts[0]), replacement: parts[1]))
            }
            return refactor(try context.macroexpandAll(items[1]), rules)
        }
    }
}
