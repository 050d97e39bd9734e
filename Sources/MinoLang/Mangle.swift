/// Hy's name mangling, the one table that attribute access, keyword arguments,
/// state-dict names, printing and reversion all read.
///
/// Hy spelling → Python spelling (Hy 0.19's rules, the parts Mino's programs meet):
/// - `-` becomes `_` (`linear-to-hidden` → `linear_to_hidden`), except leading dashes;
/// - a trailing `?` becomes an `is_` prefix (`none?` → `is_none`);
/// - any other character that cannot appear in a Python identifier becomes
///   `XU<hex>X` and the whole name gets the `hyx_` prefix (`|gensym` → `hyx_XU7cXgensym`;
///   Hy writes the character's Unicode name there, Mino its code point, which is unique too).
///
/// `unmangle` inverts the first two rules (what `C:` lines and reverted source show).
public enum Mangling {
    /// The Python spelling of a Hy name.
    public static func mangle(_ name: String) -> String {
        guard !name.isEmpty else { return name }
        var text = name
        var prefix = ""
        if text.count > 1, text.hasSuffix("?") {
            text.removeLast()
            prefix = "is_"
        }
        // Leading underscores stay as they are; every dash becomes an underscore.
        let leading = text.prefix { $0 == "_" }
        var body = String(text.dropFirst(leading.count))
        body = body.replacingOccurrences(of: "-", with: "_")
        var needsPrefix = false
        var out = ""
        for (i, scalar) in body.unicodeScalars.enumerated() {
            if isIdentifierScalar(scalar, first: i == 0 && leading.isEmpty && prefix.isEmpty) {
                out.unicodeScalars.append(scalar)
            } else {
                needsPrefix = true
                out += "XU" + String(scalar.value, radix: 16) + "X"
            }
        }
        let mangled = prefix + String(leading) + out
        return needsPrefix ? "hyx_" + mangled : mangled
    }

    /// The Hy spelling of a Python name: `_` between letters becomes `-`, `is_x` becomes `x?`.
    public static func unmangle(_ name: String) -> String {
        var text = name
        var suffix = ""
        if text.hasPrefix("is_"), text.count > 3 {
            text.removeFirst(3)
            suffix = "?"
        }
        let leading = text.prefix { $0 == "_" }
        let trailing = text.dropFirst(leading.count).reversed().prefix { $0 == "_" }
        let coreEnd = text.count - trailing.count
        let core = String(text.dropFirst(leading.count).prefix(max(0, coreEnd - leading.count)))
        return String(leading) + core.replacingOccurrences(of: "_", with: "-") + String(trailing) + suffix
    }

    /// True when the mangled spellings of two names agree (`linear-to-hidden` and `linear_to_hidden`).
    public static func sameName(_ a: String, _ b: String) -> Bool {
        a == b || mangle(a) == mangle(b)
    }

    private static func isIdentifierScalar(_ s: Unicode.Scalar, first: Bool) -> Bool {
        if s == "_" { return true }
        if s.properties.isAlphabetic { return true }
        if !first, s.properties.numericType != nil, s.isASCII { return true }
        return false
    }
}
