/// Patterns over code: ordinary forms in which some symbols are wildcards.
///
/// | Pattern              | Matches                                                        |
/// |----------------------|----------------------------------------------------------------|
/// | `_`                  | any one form                                                   |
/// | `?x`                 | any one form, captured as `x`; a second `?x` must be equal     |
/// | `?x:type`, `_:type`  | one form of a type (captured / not captured)                   |
/// | `?xs...`, `_...`     | the remaining elements of the enclosing collection (zero or more); at most one per collection, anywhere in it: `(f ?first ?middle... ?last)` |
/// | `?xs:type...`        | the same, each element of the type                             |
/// | `&rest`              | HyTorch's spelling of `_...`                                   |
/// | `(?literal form)`    | `form` itself, with no wildcards (to match a real `_` or `?x`) |
/// | anything else        | an equal form (structural; `1` does not match `1.0`)           |
///
/// Types: `any` (alias `form`), `atom`, `symbol`, `keyword`, `number` (integer or float),
/// `int`, `float`, `string`, `bool`, `expr` (a `( )` form; alias `list`), `vector`,
/// `dict`, `tuple`, `coll` (any of the four collections).
///
/// HyTorch's keyword patterns map onto types: `:HyExpression` is `_:expr`, `:HySymbol`
/// `_:symbol`, `:HyList` `_:vector`, `:HyInteger` `_:int`, `:HyString` `_:string`. In Mino
/// patterns a keyword is a literal (`:lr` matches `:lr`), and `&rest` matches zero or
/// more elements (HyTorch needed at least one and ignored what followed it).
public struct Pattern: CustomStringConvertible {
    /// Patterns deeper than this are rejected (it bounds the matcher's recursion).
    public static let maxDepth = 256

    /// The pattern as written.
    public let source: Expr
    let root: PatternNode
    /// Names captured by the pattern: single captures and rest captures.
    public let singleCaptures: Set<String>
    public let restCaptures: Set<String>

    public init(_ source: Expr) throws {
        var compiler = PatternCompiler()
        self.root = try compiler.compile(source, depth: 0)
        self.source = source
        self.singleCaptures = compiler.singles
        self.restCaptures = compiler.rests
    }

    /// Reads and compiles a pattern (file name `<pattern>` in errors).
    public init(parsing text: String) throws {
        try self.init(Reader.readOne(text, file: "<pattern>"))
    }

    public var description: String { source.description }

    /// The captures when `expr` itself matches, else nil.
    public func match(_ expr: Expr) -> Captures? {
        var captures = Captures()
        return PatternMatcher.match(root, expr, &captures) ? captures : nil
    }

    public func matches(_ expr: Expr) -> Bool { match(expr) != nil }
}

/// The type a typed wildcard requires.
public enum FormType: String, CaseIterable, Sendable {
    case any, atom, symbol, keyword, number, int, float, string, bool, expr, vector, dict, tuple, coll

    /// Spellings accepted after the colon, aliases included.
    static let spellings: [String: FormType] = {
        var table: [String: FormType] = [:]
        for type in FormType.allCases { table[type.rawValue] = type }
        table["form"] = .any
        table["list"] = .expr
        return table
    }()

    public func accepts(_ e: Expr) -> Bool {
        switch (self, e.node) {
        case (.any, _): return true
        case (.atom, _): return e.isAtom
        case (.symbol, .symbol), (.keyword, .keyword), (.int, .integer), (.float, .float),
             (.string, .string), (.bool, .bool), (.expr, .list), (.vector, .vector),
             (.dict, .dict), (.tuple, .tuple): return true
        case (.number, .integer), (.number, .float): return true
        case (.coll, _): return !e.isAtom
        default: return false
        }
    }
}

/// What one capture holds.
public enum Capture: Equatable, Sendable {
    case one(Expr)
    case many([Expr])
}

/// The captures of one match, by name (without the `?`).
public struct Captures: Equatable, Sendable {
    public var values: [String: Capture] = [:]

    public init(_ values: [String: Capture] = [:]) { self.values = values }

    /// The form captured by `?name`.
    public subscript(name: String) -> Expr? {
        if case .one(let e)? = values[name] { return e }
        return nil
    }

    /// The forms captured by `?name...`.
    public func sequence(_ name: String) -> [Expr]? {
        if case .many(let forms)? = values[name] { return forms }
        return nil
    }
}

// MARK: - Compiled form

enum SequenceKind { case list, vector, dict, tuple }

struct Wildcard {
    var name: String?
    var type: FormType
}

indirect enum PatternNode {
    case wildcard(Wildcard)
    case literal(Expr)
    case sequence(SequenceKind, head: [PatternNode], rest: Wildcard?, tail: [PatternNode])
}

/// How a symbol reads in a pattern.
enum WildcardSyntax {
    case single(Wildcard)
    case rest(Wildcard)

    /// nil for an ordinary symbol.
    static func parse(_ name: String, at location: SourceLocation?) throws -> WildcardSyntax? {
        if name == "_" { return .single(Wildcard(name: nil, type: .any)) }
        if name == "&rest" || name == "_..." { return .rest(Wildcard(name: nil, type: .any)) }
        let captured: Bool
        if name.hasPrefix("?") && name.count > 1 {
            captured = true
        } else if name.hasPrefix("_:") {
            captured = false
        } else {
            return nil
        }
        var body = Substring(name.dropFirst())
        let isRest = body.hasSuffix("...")
        if isRest { body = body.dropLast(3) }
        var type = FormType.any
        if let colon = body.firstIndex(of: ":") {
            let spelling = String(body[body.index(after: colon)...])
            guard let parsed = FormType.spellings[spelling] else {
                let known = FormType.spellings.keys.sorted().joined(separator: ", ")
                throw LispError(.pattern, "unknown wildcard type '\(spelling)' in \(name); expected one of \(known)", at: location)
            }
            type = parsed
            body = body[..<colon]
        }
        if captured && body.isEmpty {
            throw LispError(.pattern, "capture \(name) has no name; expected a name after '?', like ?x", at: location)
        }
        let wildcard = Wildcard(name: captured ? String(body) : nil, type: type)
        return isRest ? .rest(wildcard) : .single(wildcard)
    }
}

struct PatternCompiler {
    var singles: Set<String> = []
    var rests: Set<String> = []

    mutating func compile(_ e: Expr, depth: Int) throws -> PatternNode {
        guard depth <= Pattern.maxDepth else {
            throw LispError(.depth, "pattern nested deeper than \(Pattern.maxDepth) levels", at: e.location)
        }
        if let name = e.symbolName, let syntax = try WildcardSyntax.parse(name, at: e.location) {
            switch syntax {
            case .single(let wildcard):
                try note(wildcard, rest: false, at: e.location)
                return .wildcard(wildcard)
            case .rest:
                throw LispError(.pattern, "\(name) matches the rest of a collection; expected it inside ( ), [ ], { } or (, )", at: e.location)
            }
        }
        if e.headSymbol == "?literal" {
            guard let items = e.listItems, items.count == 2 else {
                throw LispError(.pattern, "?literal expects exactly one form, as in (?literal _)", at: e.location)
            }
            return .literal(items[1])
        }
        let kind: SequenceKind
        switch e.node {
        case .list: kind = .list
        case .vector: kind = .vector
        case .dict: kind = .dict
        case .tuple: kind = .tuple
        default: return .literal(e)
        }
        var head: [PatternNode] = []
        var tail: [PatternNode] = []
        var rest: Wildcard? = nil
        for child in e.children ?? [] {
            if let name = child.symbolName, case .rest(let wildcard)? = try WildcardSyntax.parse(name, at: child.location) {
                guard rest == nil else {
                    throw LispError(.pattern, "more than one rest wildcard in \(e.brief); expected at most one per collection", at: child.location)
                }
                try note(wildcard, rest: true, at: child.location)
                rest = wildcard
                continue
            }
            let node = try compile(child, depth: depth + 1)
            if rest == nil { head.append(node) } else { tail.append(node) }
        }
        return .sequence(kind, head: head, rest: rest, tail: tail)
    }

    private mutating func note(_ wildcard: Wildcard, rest: Bool, at location: SourceLocation?) throws {
        guard let name = wildcard.name else { return }
        if rest ? singles.contains(name) : rests.contains(name) {
            throw LispError(.pattern, "?\(name) is used both for one form and for the rest of a collection", at: location)
        }
        if rest { rests.insert(name) } else { singles.insert(name) }
    }
}
