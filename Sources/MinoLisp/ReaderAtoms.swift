/// The atom half of the reader: strings, numbers, keywords, symbols and literals.
extension Reader {
    /// Reads a `"..."` string; the opening quote is at the current position.
    mutating func readString() throws -> String {
        let start = here
        advance() // opening quote
        var text = String.UnicodeScalarView()
        while true {
            guard let c = peek() else {
                throw LispError(.read, "unterminated string: expected '\"' to close the string opened at \(start.shortDescription), found end of input", at: start)
            }
            if c == "\"" {
                advance()
                return String(text)
            }
            if c != "\\" {
                text.append(c)
                advance()
                continue
            }
            let escapeStart = here
            advance() // backslash
            guard let e = peek() else {
                throw LispError(.read, "unterminated string: expected an escape character after '\\', found end of input", at: escapeStart)
            }
            advance()
            switch e {
            case "n": text.append("\n")
            case "t": text.append("\t")
            case "r": text.append("\r")
            case "\\": text.append("\\")
            case "\"": text.append("\"")
            case "'": text.append("'")
            case "a": text.append("\u{07}")
            case "b": text.append("\u{08}")
            case "f": text.append("\u{0C}")
            case "v": text.append("\u{0B}")
            case "\n": break // line continuation
            case "0"..."7":
                var value = Int(e.value - 48)
                var count = 1
                while count < 3, let d = peek(), ("0"..."7").contains(d) {
                    value = value * 8 + Int(d.value - 48)
                    advance()
                    count += 1
                }
                text.append(try scalar(value, escape: "\\" + String(e), at: escapeStart))
            case "x", "u", "U":
                let width = e == "x" ? 2 : e == "u" ? 4 : 8
                var digits = ""
                for _ in 0..<width {
                    guard let d = peek(), d.properties.isASCIIHexDigit else {
                        throw LispError(.read, "bad escape '\\\(e)\(digits)' in string: expected \(width) hexadecimal digits after '\\\(e)'", at: escapeStart)
                    }
                    digits.unicodeScalars.append(d)
                    advance()
                }
                text.append(try scalar(Int(digits, radix: 16) ?? -1, escape: "\\\(e)\(digits)", at: escapeStart))
            default:
                throw LispError(.read, "bad escape '\\\(e)' in string: expected one of \\n \\t \\r \\\\ \\\" \\' \\a \\b \\f \\v \\0-\\777 \\xHH \\uHHHH \\UHHHHHHHH", at: escapeStart)
            }
        }
    }

    private func scalar(_ value: Int, escape: String, at location: SourceLocation) throws -> Unicode.Scalar {
        guard value >= 0, value <= 0x10FFFF, let scalar = Unicode.Scalar(UInt32(value)) else {
            throw LispError(.read, "bad escape '\(escape)' in string: not a Unicode scalar value", at: location)
        }
        return scalar
    }

    /// Reads a token (symbol, keyword, number, literal) at the current position.
    mutating func readAtom() throws -> Expr {
        let start = here
        var token = String.UnicodeScalarView()
        while let c = peek(), !Reader.isDelimiter(c) {
            if c == "," {
                throw LispError(.read, "unexpected ',' inside '\(String(token))'; a comma is only allowed right after '(' to make a tuple, as in (, a b)", at: here)
            }
            token.append(c)
            advance()
        }
        let text = String(token)
        if text.hasPrefix("#!") {
            throw LispError(.read, "unexpected '#!': a shebang line is only allowed at the very start of the input", at: start)
        }
        if peek() == "\"" {
            throw LispError(.read, "expected whitespace between '\(text)' and the string that follows it (string prefixes such as r\"\" and f\"\" are not supported)", at: here)
        }
        return try Reader.atom(text, at: start)
    }

    /// Classifies one token: literal, keyword, number (or bad number literal), or symbol.
    static func atom(_ text: String, at location: SourceLocation) throws -> Expr {
        switch text {
        case "True": return .bool(true, at: location)
        case "False": return .bool(false, at: location)
        case "None": return .none(at: location)
        case "Inf", "+Inf": return .float(.infinity, at: location)
        case "-Inf": return .float(-.infinity, at: location)
        case "NaN": return .float(.nan, at: location)
        default: break
        }
        if text.hasPrefix(":") { return .keyword(String(text.dropFirst()), at: location) }
        if looksNumeric(text) { return try number(text, at: location) }
        return .symbol(text, at: location)
    }

    /// A token is a number (or a bad number literal) when it starts with a digit, or with
    /// a sign or a dot followed by a digit, or with a sign, a dot and a digit.
    static func looksNumeric(_ text: String) -> Bool {
        var s = Substring(text)
        if let f = s.first, f == "+" || f == "-" { s = s.dropFirst() }
        if s.first == "." { s = s.dropFirst() }
        guard let f = s.first else { return false }
        return f.isASCII && f.isNumber
    }

    static func number(_ text: String, at location: SourceLocation) throws -> Expr {
        var body = Substring(text)
        var sign = ""
        if let f = body.first, f == "+" || f == "-" {
            sign = f == "-" ? "-" : ""
            body = body.dropFirst()
        }
        let lower = body.lowercased()
        for (prefix, radix, name) in [("0x", 16, "hexadecimal"), ("0o", 8, "octal"), ("0b", 2, "binary")] where lower.hasPrefix(prefix) {
            let digits = body.dropFirst(2)
            let valid = !digits.isEmpty && digits.allSatisfy { $0.isASCII && ($0.hexDigitValue.map { $0 < radix } ?? false) }
            guard valid else {
                throw LispError(.read, "bad number literal '\(text)': expected \(name) digits after '\(prefix)'", at: location)
            }
            guard let value = Int(sign + digits, radix: radix) else {
                throw LispError(.read, "integer literal '\(text)' does not fit in a 64-bit integer", at: location)
            }
            return .integer(value, at: location)
        }
        if !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let value = Int(sign + body) else {
                throw LispError(.read, "integer literal '\(text)' does not fit in a 64-bit integer", at: location)
            }
            return .integer(value, at: location)
        }
        guard isDecimalFloat(body), let value = Double(text) else {
            throw LispError(.read, "bad number literal '\(text)': expected an integer (42, 0x2A) or a float (1.5, .5, 1e-05)", at: location)
        }
        guard value.isFinite else {
            throw LispError(.read, "float literal '\(text)' is out of range for a 64-bit float", at: location)
        }
        return .float(value, at: location)
    }

    /// `digits [. digits?] | . digits`, then an optional `e [sign] digits`.
    static func isDecimalFloat(_ body: Substring) -> Bool {
        let chars = Array(body.utf8)
        var i = 0
        func digits() -> Int {
            let begin = i
            while i < chars.count, chars[i] >= 48, chars[i] <= 57 { i += 1 }
            return i - begin
        }
        let whole = digits()
        var fraction = 0
        var sawDot = false
        if i < chars.count, chars[i] == UInt8(ascii: ".") {
            sawDot = true
            i += 1
            fraction = digits()
        }
        guard whole + fraction > 0 else { return false }
        var sawExponent = false
        if i < chars.count, chars[i] == UInt8(ascii: "e") || chars[i] == UInt8(ascii: "E") {
            sawExponent = true
            i += 1
            if i < chars.count, chars[i] == UInt8(ascii: "+") || chars[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == chars.count && (sawDot || sawExponent)
    }
}
