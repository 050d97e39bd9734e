/// Generates fresh symbols for macros (`=->`, `cond->` and user macros).
///
/// Spelling, as in Hy 0.19: `_` + prefix + U+FFFF + counter, e.g. `_G\u{FFFF}1`
/// (Hy prints it `_G￿1`). U+FFFF is a Unicode noncharacter that never occurs in
/// source people write, so a gensym cannot clash with a user's symbol, yet it is an
/// ordinary symbol character: printed expansions read back unchanged.
///
/// A `Gensym` is a reference type so that one counter can be shared by every expansion
/// of a program; counters start at 1, so a fresh generator gives deterministic names.
public final class Gensym {
    /// The character that marks a generated symbol.
    public static let marker: Unicode.Scalar = "\u{FFFF}"

    /// The number the next symbol will carry.
    public private(set) var counter: Int

    public init(startingAt counter: Int = 1) {
        self.counter = counter
    }

    /// A fresh symbol name: `_G\u{FFFF}1`, `_G\u{FFFF}2`, ...
    public func nextName(_ prefix: String = "G") -> String {
        defer { counter += 1 }
        return "_" + prefix + String(Character(Gensym.marker)) + String(counter)
    }

    /// A fresh symbol.
    public func next(_ prefix: String = "G", at location: SourceLocation? = nil) -> Expr {
        .symbol(nextName(prefix), at: location)
    }

    /// True for names this type generates (they contain the U+FFFF marker).
    public static func isGenerated(_ name: String) -> Bool {
        name.unicodeScalars.contains(marker)
    }
}
