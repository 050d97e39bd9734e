/// Reads Hy-syntax text into `Expr` trees with source positions.
///
/// Syntax: symbols, keywords (`:lr`), integers (`42`, `-7`, `0x1F`, `0o17`, `0b101`),
/// floats (`1.5`, `1e-05`, `.5`, `Inf`, `-Inf`, `NaN`), strings with escapes,
/// `True` / `False` / `None`, lists `( )`, vectors `[ ]`, dicts `{ }`, tuples `(, a b)`,
/// quote `'x`, quasiquote `` `x ``, unquote `~x`, unquote-splice `~@x`, `;` comments and a
/// `#!` line at the very start.
///
/// The reader is iterative (an explicit stack, no recursion), so no input can overflow
/// the call stack; nesting deeper than `maxDepth` is a `.depth` error. Every malformed
/// input is a thrown `LispError` of kind `.read` (or `.depth`) whose location is
/// `file:line:column` and whose message says what was expected.
/// After a thrown error a `Reader` should not be used again.
public struct Reader {
    /// Default cap on nesting (collections and quote prefixes together).
    public static let defaultMaxDepth = 10_000

    public let file: String
    public let maxDepth: Int
    var scalars: [Unicode.Scalar]
    var index = 0
    /// How many Unicode scalars of the source the forms read so far used, and the line
    /// the reader is on (the REPL keeps the rest for the next form).
    public var consumedScalars: Int { index }
    public var currentLine: Int { line }
    var line = 1
    var column = 1

    /// `firstLine` numbers the source's first line (a REPL reads line 12 of its session).
    public init(_ source: String, file: String = "<input>", maxDepth: Int = Reader.defaultMaxDepth, firstLine: Int = 1) {
        self.file = file
        self.line = max(1, firstLine)
        self.maxDepth = max(1, maxDepth)
        self.scalars = Array(source.unicodeScalars)
        if scalars.count >= 2, scalars[0] == "#", scalars[1] == "!" {
            while index < scalars.count, scalars[index] != "\n" { advance() }
        }
    }

    /// Reads every form in `source`.
    public static func readAll(_ source: String, file: String = "<input>",
                               maxDepth: Int = Reader.defaultMaxDepth) throws -> [Expr] {
        var reader = Reader(source, file: file, maxDepth: maxDepth)
        var forms: [Expr] = []
        while let form = try reader.next() { forms.append(form) }
        return forms
    }

    /// Reads exactly one form: no form, or anything after the first form, is an error.
    public static func readOne(_ source: String, file: String = "<input>",
                               maxDepth: Int = Reader.defaultMaxDepth) throws -> Expr {
        var reader = Reader(source, file: file, maxDepth: maxDepth)
        guard let form = try reader.next() else {
            throw LispError(.read, "expected a form, found end of input", at: reader.here)
        }
        if let extra = try reader.next() {
            throw LispError(.read, "expected one form, found a second one: \(extra.brief)", at: extra.location)
        }
        return form
    }

    // MARK: - The form loop

    private enum FrameKind {
        case list, vector, dict, tuple
        /// `'`, `` ` ``, `~` or `~@`: wraps the next complete form in `(name form)`.
        case prefix(name: String, spelling: String)

        var closer: Unicode.Scalar? {
            switch self {
            case .list, .tuple: return ")"
            case .vector: return "]"
            case .dict: return "}"
            case .prefix: return nil
            }
        }
        var opener: String {
            switch self {
            case .list: return "("
            case .tuple: return "(,"
            case .vector: return "["
            case .dict: return "{"
            case .prefix(_, let spelling): return spelling
            }
        }
    }

    private struct Frame {
        var kind: FrameKind
        var items: [Expr] = []
        var location: SourceLocation
    }

    /// The next top-level form, or nil at the end of the input.
    public mutating func next() throws -> Expr? {
        var stack: [Frame] = []
        while true {
            skipAtmosphere()
            let start = here
            guard let c = peek() else {
                guard let open = stack.last else { return nil }
                if case .prefix(_, let spelling) = open.kind {
                    throw LispError(.read, "expected a form after '\(spelling)' (at \(open.location.shortDescription)), found end of input", at: start)
                }
                throw LispError(.read, "expected '\(open.kind.closer.map(String.init) ?? "")' to close '\(open.kind.opener)' opened at \(open.location.shortDescription), found end of input", at: start)
            }
            var completed: Expr
            switch c {
            case "(", "[", "{":
                advance()
                guard stack.count < maxDepth else {
                    throw LispError(.depth, "nesting deeper than \(maxDepth) levels", at: start)
                }
                stack.append(Frame(kind: c == "(" ? .list : c == "[" ? .vector : .dict, location: start))
                continue
            case ")", "]", "}":
                advance()
                guard let open = stack.popLast() else {
                    throw LispError(.read, "unexpected '\(c)' with nothing open to close", at: start)
                }
                if case .prefix(_, let spelling) = open.kind {
                    throw LispError(.read, "expected a form after '\(spelling)' (at \(open.location.shortDescription)), found '\(c)'", at: start)
                }
                guard let closer = open.kind.closer, closer == c else {
                    throw LispError(.read, "expected '\(open.kind.closer.map(String.init) ?? "")' to close '\(open.kind.opener)' opened at \(open.location.shortDescription), found '\(c)'", at: start)
                }
                switch open.kind {
                case .list: completed = .list(open.items, at: open.location)
                case .tuple: completed = .tuple(open.items, at: open.location)
                case .vector: completed = .vector(open.items, at: open.location)
                case .dict:
                    guard open.items.count % 2 == 0 else {
                        throw LispError(.read, "expected an even number of forms in the dict opened at \(open.location.shortDescription) (keys and values in pairs), found \(open.items.count)", at: start)
                    }
                    completed = .dict(open.items, at: open.location)
                case .prefix: completed = .none(at: start) // unreachable: handled above
                }
            case "'", "`", "~":
                advance()
                var name = c == "'" ? "quote" : c == "`" ? "quasiquote" : "unquote"
                var spelling = String(c)
                if c == "~", peek() == "@" {
                    advance()
                    name = "unquote-splice"
                    spelling = "~@"
                }
                guard stack.count < maxDepth else {
                    throw LispError(.depth, "nesting deeper than \(maxDepth) levels", at: start)
                }
                stack.append(Frame(kind: .prefix(name: name, spelling: spelling), location: start))
                continue
            case ",":
                advance()
                if let top = stack.last, case .list = top.kind, top.items.isEmpty {
                    stack[stack.count - 1].kind = .tuple
                    continue
                }
                throw LispError(.read, "unexpected ','; a comma is only allowed right after '(' to make a tuple, as in (, a b)", at: start)
            case "\"":
                completed = .string(try readString(), at: start)
            default:
                completed = try readAtom()
            }
            // Deliver the completed form: wrap it in pending prefixes, then hand it to
            // the enclosing collection or return it.
            while let top = stack.last, case .prefix(let name, _) = top.kind {
                stack.removeLast()
                completed = .list([.symbol(name, at: top.location), completed], at: top.location)
            }
            if stack.isEmpty { return completed }
            stack[stack.count - 1].items.append(completed)
        }
    }

    // MARK: - Characters

    var atEnd: Bool { index >= scalars.count }

    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        let i = index + offset
        return i < scalars.count ? scalars[i] : nil
    }

    var here: SourceLocation { SourceLocation(file: file, line: line, column: column) }

    mutating func advance() {
        guard index < scalars.count else { return }
        if scalars[index] == "\n" {
            line += 1
            column = 1
        } else {
            column += 1
        }
        index += 1
    }

    /// Skips whitespace and `;` comments.
    mutating func skipAtmosphere() {
        while let c = peek() {
            if c == ";" {
                while let d = peek(), d != "\n" { advance() }
            } else if c.properties.isWhitespace {
                advance()
            } else {
                return
            }
        }
    }

    static func isDelimiter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "(", ")", "[", "]", "{", "}", "\"", ";", "'": return true
        default: return c.properties.isWhitespace
        }
    }
}
