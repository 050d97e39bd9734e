/// Matching a compiled pattern against one form (no search: see `find`).
enum PatternMatcher {
    /// Recursion follows the pattern, whose depth is bounded by `Pattern.maxDepth`.
    static func match(_ node: PatternNode, _ e: Expr, _ captures: inout Captures) -> Bool {
        switch node {
        case .literal(let literal):
            return literal == e
        case .wildcard(let wildcard):
            guard wildcard.type.accepts(e) else { return false }
            return bind(wildcard.name, .one(e), &captures)
        case .sequence(let kind, let head, let rest, let tail):
            let items: [Expr]
            switch (kind, e.node) {
            case (.list, .list(let x)), (.vector, .vector(let x)), (.dict, .dict(let x)), (.tuple, .tuple(let x)):
                items = x
            default:
                return false
            }
            let fixed = head.count + tail.count
            guard rest == nil ? items.count == fixed : items.count >= fixed else { return false }
            for (pattern, item) in zip(head, items) where !match(pattern, item, &captures) { return false }
            let tailStart = items.count - tail.count
            for (offset, pattern) in tail.enumerated() where !match(pattern, items[tailStart + offset], &captures) {
                return false
            }
            if let rest {
                let middle = Array(items[head.count..<tailStart])
                guard middle.allSatisfy(rest.type.accepts) else { return false }
                return bind(rest.name, .many(middle), &captures)
            }
            return true
        }
    }

    /// Records a capture; a name seen before must capture an equal value.
    private static func bind(_ name: String?, _ value: Capture, _ captures: inout Captures) -> Bool {
        guard let name else { return true }
        if let previous = captures.values[name] { return previous == value }
        captures.values[name] = value
        return true
    }
}
