/// Search and rewrite over code with `Pattern`s (HyTorch's `pat-find` / `pat-refract`,
/// MinoTauro's `spec/search` / `spec/replace`).

/// One place where a pattern matched.
public struct Match: Equatable, Sendable {
    /// Indices into `children` from the searched root down to the matched form.
    public let path: [Int]
    /// The matched form.
    public let form: Expr
    public let captures: Captures
}

/// Every subform of `expr` (atoms included, `expr` itself first) that `pattern` matches,
/// in pre-order: outer matches before the matches inside them, then left to right.
/// `limit` keeps the first `limit` matches. Iterative: safe on trees of any depth.
public func find(_ pattern: Pattern, in expr: Expr, limit: Int? = nil) -> [Match] {
    var matches: [Match] = []
    if let limit, limit <= 0 { return matches }
    // Each visited node records its parent and its index there; a match's path is
    // rebuilt from these links, so deep trees do not copy a path per node.
    var links: [(parent: Int, index: Int)] = []
    var pending: [(form: Expr, parent: Int, index: Int)] = [(expr, -1, -1)]
    while let (form, parent, index) = pending.popLast() {
        let id = links.count
        links.append((parent, index))
        if let captures = pattern.match(form) {
            var path: [Int] = []
            var node = id
            while links[node].parent >= 0 {
                path.append(links[node].index)
                node = links[node].parent
            }
            matches.append(Match(path: path.reversed(), form: form, captures: captures))
            if let limit, matches.count >= limit { break }
        }
        if let children = form.children {
            for i in children.indices.reversed() { pending.append((children[i], id, i)) }
        }
    }
    return matches
}

/// `expr` with every subform that matches `pattern` replaced by `replacement`, its
/// captures filled in. Bottom-up: children are rewritten first, then the form that
/// contains them is matched (so captures hold already-rewritten code), and a replacement
/// is never searched again, so a replacement that contains its own pattern terminates.
/// Throws a `.pattern` error when the replacement uses a capture the pattern lacks.
public func replace(_ pattern: Pattern, with replacement: Expr, in expr: Expr) throws -> Expr {
    try RewriteRule(pattern: pattern, replacement: replacement).apply(to: expr)
}

/// Applies each rule in turn to the whole tree (HyTorch's `pat-refract`).
public func refactor(_ expr: Expr, _ rules: [RewriteRule]) -> Expr {
    rules.reduce(expr) { $1.apply(to: $0) }
}

/// A pattern and its replacement, checked once when made.
///
/// In the replacement, `?x` (or `?x:type`) stands for the form `?x` captured, `?xs...`
/// splices the forms a rest capture took, and `(?literal form)` is `form` verbatim.
/// Every other form, `_` included, is copied as written.
public struct RewriteRule: CustomStringConvertible {
    public let pattern: Pattern
    public let replacement: Expr

    public init(pattern: Pattern, replacement: Expr) throws {
        self.pattern = pattern
        self.replacement = replacement
        try RewriteRule.check(replacement, against: pattern, depth: 0)
    }

    /// Reads the pattern and the replacement (file names `<pattern>` / `<replacement>`).
    public init(_ pattern: String, _ replacement: String) throws {
        try self.init(pattern: Pattern(parsing: pattern),
                      replacement: Reader.readOne(replacement, file: "<replacement>"))
    }

    public var description: String { "\(pattern) => \(replacement)" }

    /// The tree rewritten bottom-up (see `replace(_:with:in:)`).
    public func apply(to expr: Expr) -> Expr { applyCounting(to: expr).result }

    /// The rewritten tree and how many forms were replaced.
    public func applyCounting(to expr: Expr) -> (result: Expr, count: Int) {
        var count = 0
        let result = Expr.rebuild(expr) { original, children in
            let form = children.map { original.withChildren($0) } ?? original
            guard let captures = pattern.match(form) else { return form }
            count += 1
            var filled = instantiate(replacement, captures)
            if filled.location == nil { filled.location = original.location }
            return filled
        }
        return (result, count)
    }

    /// The replacement with the captures filled in. Recursion follows the replacement,
    /// whose depth `check` bounded.
    private func instantiate(_ template: Expr, _ captures: Captures) -> Expr {
        if let name = template.symbolName, case .single(let w)? = try? WildcardSyntax.parse(name, at: nil),
           let capturedName = w.name, let value = captures[capturedName] {
            return value
        }
        if template.headSymbol == "?literal", let items = template.listItems, items.count == 2 { return items[1] }
        guard let children = template.children else { return template }
        var filled: [Expr] = []
        filled.reserveCapacity(children.count)
        for child in children {
            if let name = child.symbolName, case .rest(let w)? = try? WildcardSyntax.parse(name, at: nil),
               let capturedName = w.name {
                filled.append(contentsOf: captures.sequence(capturedName) ?? [])
            } else {
                filled.append(instantiate(child, captures))
            }
        }
        return template.withChildren(filled)
    }

    /// Every capture the replacement uses exists in the pattern, with the same arity.
    private static func check(_ template: Expr, against pattern: Pattern, depth: Int) throws {
        guard depth <= Pattern.maxDepth else {
            throw LispError(.depth, "replacement nested deeper than \(Pattern.maxDepth) levels", at: template.location)
        }
        if let name = template.symbolName, let syntax = try WildcardSyntax.parse(name, at: template.location) {
            switch syntax {
            case .single(let w):
                guard let captured = w.name else { return } // `_`, `_:type`: copied as written
                guard pattern.singleCaptures.contains(captured) else {
                    let hint = pattern.restCaptures.contains(captured) ? "; it captures the rest of a collection, so write ?\(captured)..." : ""
                    throw LispError(.pattern, "the replacement uses ?\(captured), which the pattern \(pattern.source.brief) does not capture\(hint)", at: template.location)
                }
            case .rest(let w):
                guard let captured = w.name, pattern.restCaptures.contains(captured) else {
                    throw LispError(.pattern, "the replacement uses \(name), which is not a rest capture of the pattern \(pattern.source.brief); expected a named ?xs... from the pattern", at: template.location)
                }
                if depth == 0 {
                    throw LispError(.pattern, "\(name) splices forms; expected it inside a collection of the replacement", at: template.location)
                }
            }
            return
        }
        if template.headSymbol == "?literal" { return }
        for child in template.children ?? [] { try check(child, against: pattern, depth: depth + 1) }
    }
}
