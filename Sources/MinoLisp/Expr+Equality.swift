/// Structural equality and hashing, depth and paths. All of these walk the tree without
/// recursion, so they are safe on trees of any depth.
extension Expr: Equatable {
    /// Structural equality: same shape and same atoms; locations are ignored.
    /// Floats compare by value with `NaN` equal to `NaN` and `0.0` distinct from `-0.0`
    /// (two literals are equal when they print the same).
    public static func == (lhs: Expr, rhs: Expr) -> Bool {
        var pending: [(Expr, Expr)] = [(lhs, rhs)]
        while let (a, b) = pending.popLast() {
            switch (a.node, b.node) {
            case (.symbol(let x), .symbol(let y)): if x != y { return false }
            case (.keyword(let x), .keyword(let y)): if x != y { return false }
            case (.integer(let x), .integer(let y)): if x != y { return false }
            case (.float(let x), .float(let y)):
                if !(x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)) { return false }
            case (.string(let x), .string(let y)): if x != y { return false }
            case (.bool(let x), .bool(let y)): if x != y { return false }
            case (.none, .none): break
            case (.list(let x), .list(let y)), (.vector(let x), .vector(let y)),
                 (.dict(let x), .dict(let y)), (.tuple(let x), .tuple(let y)):
                if x.count != y.count { return false }
                for i in stride(from: x.count - 1, through: 0, by: -1) { pending.append((x[i], y[i])) }
            default: return false
            }
        }
        return true
    }
}

extension Expr: Hashable {
    /// Structural hashing, consistent with `==` (locations ignored, all NaNs alike).
    public func hash(into hasher: inout Hasher) {
        var pending: [Expr] = [self]
        while let e = pending.popLast() {
            switch e.node {
            case .symbol(let x): hasher.combine(0); hasher.combine(x)
            case .keyword(let x): hasher.combine(1); hasher.combine(x)
            case .integer(let x): hasher.combine(2); hasher.combine(x)
            case .float(let x): hasher.combine(3); hasher.combine(x.isNaN ? Double.nan.bitPattern : x.bitPattern)
            case .string(let x): hasher.combine(4); hasher.combine(x)
            case .bool(let x): hasher.combine(5); hasher.combine(x)
            case .none: hasher.combine(6)
            case .list(let items), .vector(let items), .dict(let items), .tuple(let items):
                switch e.node {
                case .list: hasher.combine(7)
                case .vector: hasher.combine(8)
                case .dict: hasher.combine(9)
                default: hasher.combine(10)
                }
                hasher.combine(items.count)
                pending.append(contentsOf: items.reversed())
            }
        }
    }
}

extension Expr {
    /// Nesting depth: 0 for an atom, 1 for a collection of atoms, and so on.
    public var depth: Int {
        var deepest = 0
        var pending: [(Expr, Int)] = [(self, 0)]
        while let (expr, level) = pending.popLast() {
            guard let children = expr.children else { continue }
            deepest = max(deepest, level + 1)
            for child in children { pending.append((child, level + 1)) }
        }
        return deepest
    }

    /// Number of forms in the tree, this one included.
    public var size: Int {
        var count = 0
        var pending: [Expr] = [self]
        while let expr = pending.popLast() {
            count += 1
            if let children = expr.children { pending.append(contentsOf: children) }
        }
        return count
    }

    /// The subform at `path` (indices into `children`, outermost first), or nil
    /// when the path leaves the tree.
    public func subform(at path: [Int]) -> Expr? {
        var current = self
        for index in path {
            guard let children = current.children, children.indices.contains(index) else { return nil }
            current = children[index]
        }
        return current
    }

    /// The tree with the subform at `path` replaced by `replacement`, or nil when the
    /// path leaves the tree.
    public func replacingSubform(at path: [Int], with replacement: Expr) -> Expr? {
        var spine: [Expr] = [self]
        for index in path {
            guard let children = spine[spine.count - 1].children, children.indices.contains(index) else { return nil }
            spine.append(children[index])
        }
        var result = replacement
        for (depth, index) in path.enumerated().reversed() {
            let parent = spine[depth]
            var children = parent.children ?? []
            children[index] = result
            result = parent.withChildren(children)
        }
        return result
    }
}
