/// Prints `Expr` trees as text that the `Reader` reads back to the same tree.
///
/// The canonical one-line form is the form the seeds print:
/// `(f a b)`, `[a b]`, `{:a 1}`, `(, a b)` (the empty tuple is `(,)`),
/// `'x` / `` `x `` / `~x` / `~@x` for two-element `quote` / `quasiquote` / `unquote` /
/// `unquote-splice` lists, `:lr` for keywords, `True` / `False` / `None`, strings in
/// double quotes with backslash escapes, integers in decimal and floats as Python's
/// `repr` writes them (`1.0`, `0.001`, `1e-05`, `1e+16`), with `Inf`, `-Inf` and `NaN`
/// spelled as Hy spells them. Symbols are printed exactly as spelled.
///
/// Printing is iterative, so trees of any depth print without overflowing the stack.
/// Round trip: for every tree whose symbol and keyword names are readable tokens
/// (what the reader produces), `Reader.readOne(Printer.oneLine(e)) == e`.
public enum Printer {
    /// The canonical one-line form.
    public static func oneLine(_ expr: Expr) -> String {
        oneLine(expr, limit: nil) ?? ""
    }

    /// The one-line form, or nil as soon as it would be longer than `limit` characters.
    public static func oneLine(_ expr: Expr, limit: Int?) -> String? {
        let (text, complete) = render(expr, limit: limit)
        return complete ? text : nil
    }

    /// The one-line form cut to about `limit` characters with `...`, for error messages.
    public static func brief(_ expr: Expr, limit: Int = 60) -> String {
        let (text, complete) = render(expr, limit: limit)
        return complete ? text : String(text.unicodeScalars.prefix(limit)) + "..."
    }

    /// The one-line form, stopping (complete: false) once longer than `limit`.
    private static func render(_ expr: Expr, limit: Int?) -> (String, complete: Bool) {
        enum Task { case form(Expr), text(String) }
        var out = ""
        var length = 0
        func emit(_ text: String) {
            out += text
            if limit != nil { length += text.unicodeScalars.count }
        }
        var tasks: [Task] = [.form(expr)]
        while let task = tasks.popLast() {
            switch task {
            case .text(let text):
                emit(text)
            case .form(let e):
                if let (prefix, argument) = shortQuote(e) {
                    emit(prefix)
                    tasks.append(.form(argument))
                } else if let (open, close, items) = delimiters(e) {
                    emit(open)
                    tasks.append(.text(close))
                    for (i, item) in items.enumerated().reversed() {
                        tasks.append(.form(item))
                        if i > 0 { tasks.append(.text(" ")) }
                    }
                } else {
                    emit(atom(e))
                }
            }
            if let limit, length > limit { return (out, false) }
        }
        return (out, true)
    }

    /// `("'", x)` for `(quote x)` and friends, when the short form reads back the same.
    static func shortQuote(_ e: Expr) -> (String, Expr)? {
        guard case .list(let items) = e.node, items.count == 2, let head = items[0].symbolName else { return nil }
        switch head {
        case "quote": return ("'", items[1])
        case "quasiquote": return ("`", items[1])
        case "unquote":
            // `~@x` would read as unquote-splice: keep the long form for `(unquote @x)`.
            if items[1].symbolName?.hasPrefix("@") == true { return nil }
            return ("~", items[1])
        case "unquote-splice": return ("~@", items[1])
        default: return nil
        }
    }

    /// Opening text, closing text and children of a collection; nil for atoms.
    static func delimiters(_ e: Expr) -> (String, String, [Expr])? {
        switch e.node {
        case .list(let items): return ("(", ")", items)
        case .vector(let items): return ("[", "]", items)
        case .dict(let items): return ("{", "}", items)
        case .tuple(let items): return (items.isEmpty ? "(," : "(, ", ")", items)
        default: return nil
        }
    }

    /// The text of an atom (collections print as their one-line form).
    public static func atom(_ e: Expr) -> String {
        switch e.node {
        case .symbol(let name): return name
        case .keyword(let name): return ":" + name
        case .integer(let value): return String(value)
        case .float(let value): return float(value)
        case .string(let value): return string(value)
        case .bool(let value): return value ? "True" : "False"
        case .none: return "None"
        case .list, .vector, .dict, .tuple: return oneLine(e)
        }
    }

    /// A string literal: double quotes, `\\`, `\"`, `\n`, `\t`, `\r`, and `\xHH` for
    /// other control characters; everything else verbatim.
    public static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Python's `repr` of a float: the shortest digits that read back exactly, in fixed
    /// notation when the decimal exponent is in -4..<16 (always with a fraction, `1.0`),
    /// otherwise in scientific notation with a signed two-digit exponent (`1e-05`).
    public static func float(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "Inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let sign = value < 0 ? "-" : ""
        // Swift's description gives the shortest round-tripping digits; re-layout them.
        let text = abs(value).description
        var mantissa = Substring(text)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = parts.first.map(String.init) ?? ""
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = Array(whole + fraction)
        var point = whole.count + exponent // the decimal point sits after `point` digits
        while digits.count > 1, digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        let scientific = point - 1
        if scientific >= -4 && scientific < 16 {
            if point <= 0 {
                return sign + "0." + String(repeating: "0", count: -point) + String(digits)
            }
            if point >= digits.count {
                return sign + String(digits) + String(repeating: "0", count: point - digits.count) + ".0"
            }
            return sign + String(digits[..<point]) + "." + String(digits[point...])
        }
        let rest = digits.dropFirst()
        let magnitude = String(abs(scientific))
        return sign + String(digits[0]) + (rest.isEmpty ? "" : "." + String(rest))
            + (scientific < 0 ? "e-" : "e+") + (magnitude.count < 2 ? "0" + magnitude : magnitude)
    }
}

extension Expr: CustomStringConvertible, CustomDebugStringConvertible {
    /// The canonical one-line form (`Printer.oneLine`).
    public var description: String { Printer.oneLine(self) }
    /// The one-line form cut to 60 characters, for error messages.
    public var brief: String { Printer.brief(self) }
    public var debugDescription: String {
        location.map { "\(Printer.oneLine(self)) @ \($0)" } ?? Printer.oneLine(self)
    }
}
