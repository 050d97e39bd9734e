/// A macro: receives the whole form `(name args...)` and the expansion context (to expand
/// sub-forms, make gensyms or look at other macros) and returns the replacement form.
/// Throw a `LispError` of kind `.macro` for bad arguments; the expander adds the form's
/// location when the error has none and wraps any other error.
public typealias MacroExpander = (_ form: Expr, _ context: inout ExpansionContext) throws -> Expr

/// The macros in scope, keyed by symbol name.
///
/// Later layers add to it: the `.mu` evaluator registers `defmacro` definitions with
/// `define(_:_:)`, and `defineTemplate(_:)` covers pure template macros. A table is a
/// reference type so that every expansion of a program sees the same definitions.
public final class MacroTable {
    private var macros: [String: MacroExpander] = [:]

    /// An empty table.
    public init() {}

    /// A fresh table holding the built-in macros: the threading macros `->`, `->>`, `*->`,
    /// `*->>`, `|->`, `|->>`, `=->`, `=->>`, `cond->` and `cond->>`, and `pat-refract`.
    public static func standard() -> MacroTable {
        let table = MacroTable()
        ThreadingMacros.install(into: table)
        PatternMacros.install(into: table)
        return table
    }

    /// Defines (or redefines) the macro `name`.
    public func define(_ name: String, _ expander: @escaping MacroExpander) {
        macros[name] = expander
    }

    /// Removes the macro `name`; returns whether it existed.
    @discardableResult
    public func remove(_ name: String) -> Bool {
        macros.removeValue(forKey: name) != nil
    }

    public func lookup(_ name: String) -> MacroExpander? { macros[name] }

    public func contains(_ name: String) -> Bool { macros[name] != nil }

    /// Every defined name, sorted.
    public var names: [String] { macros.keys.sorted() }

    /// A copy with the same definitions, which can then diverge.
    public func copy() -> MacroTable {
        let table = MacroTable()
        table.macros = macros
        return table
    }
}
