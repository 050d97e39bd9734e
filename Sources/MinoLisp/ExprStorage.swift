/// How an `Expr` stores its node so that freeing a tree of any depth is safe.
///
/// Swift frees nested values recursively: dropping a 50,000-deep tree of plain
/// `[Expr]` arrays overflows an 8 MiB stack. Here every collection's children live in a
/// `ChildBox` whose `deinit` dismantles its subtree iteratively: it moves the children
/// onto a local stack and, for each child whose box nobody else holds, steals that box's
/// children before the child is dropped, so no `deinit` ever runs on a non-empty box
/// from inside another.
extension Expr {
    enum Storage: @unchecked Sendable {
        case atom(Node)
        case list(ChildBox)
        case vector(ChildBox)
        case dict(ChildBox)
        case tuple(ChildBox)

        init(_ node: Node) {
            switch node {
            case .list(let items): self = .list(ChildBox(items))
            case .vector(let items): self = .vector(ChildBox(items))
            case .dict(let items): self = .dict(ChildBox(items))
            case .tuple(let items): self = .tuple(ChildBox(items))
            default: self = .atom(node)
            }
        }

        var node: Node {
            switch self {
            case .atom(let node): return node
            case .list(let box): return .list(box.items)
            case .vector(let box): return .vector(box.items)
            case .dict(let box): return .dict(box.items)
            case .tuple(let box): return .tuple(box.items)
            }
        }
    }

    /// Moves the child box out of this form (leaving `None`), for the iterative `deinit`.
    mutating func takeBox() -> ChildBox? {
        let old = storage
        storage = .atom(.none)
        switch old {
        case .atom: return nil
        case .list(let box), .vector(let box), .dict(let box), .tuple(let box): return box
        }
    }
}

/// The children of one collection. Immutable after creation except inside `deinit`.
final class ChildBox: @unchecked Sendable {
    var items: [Expr]

    init(_ items: [Expr]) { self.items = items }

    deinit {
        guard !items.isEmpty else { return }
        var pending: [Expr] = []
        swap(&pending, &items)
        while var expr = pending.popLast() {
            guard var box = expr.takeBox() else { continue }
            if isKnownUniquelyReferenced(&box) {
                var stolen: [Expr] = []
                swap(&stolen, &box.items)
                while let child = stolen.popLast() { pending.append(child) }
            }
            // `box` is released here: empty, or still held by someone else.
        }
    }
}
