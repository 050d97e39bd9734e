/// A Lisp form: the data that Mino code, models and patterns are made of.
///
/// An `Expr` is a value: a `node` (what the form is) and an optional `location`
/// (where the reader found it; forms built by macros carry the location of the form
/// they came from, or none). Equality (`==`) is *structural*: it ignores locations.
///
/// Quote forms are ordinary two-element lists, as in Hy: `'x` reads as
/// `(quote x)`, `` `x `` as `(quasiquote x)`, `~x` as `(unquote x)` and `~@x` as
/// `(unquote-splice x)`. The printer writes them back in the short form.
public struct Expr: Sendable {
    public enum Node: Sendable {
        /// A symbol, spelled exactly as written: `tfun.sigmoid`, `|->`, `.zero_grad`, `@`.
        case symbol(String)
        /// A keyword, stored without its colon: `:lr` is `.keyword("lr")`; `:` alone is `.keyword("")`.
        case keyword(String)
        case integer(Int)
        case float(Double)
        case string(String)
        /// `True` or `False`.
        case bool(Bool)
        /// `None`.
        case none
        /// `( ... )`: a call or special form (Hy's "expression").
        case list([Expr])
        /// `[ ... ]` (Hy's "list").
        case vector([Expr])
        /// `{ k1 v1 k2 v2 ... }`, keys and values alternating, in source order.
        case dict([Expr])
        /// `(, a b)`: a tuple literal.
        case tuple([Expr])
    }

    /// What the form is. Collections are stored in a `ChildBox` (see `ExprStorage.swift`)
    /// so that dropping a deep tree never recurses; reading `node` costs one retain.
    public var node: Node {
        get { storage.node }
        set { storage = Storage(newValue) }
    }
    public var location: SourceLocation?
    var storage: Storage

    public init(_ node: Node, at location: SourceLocation? = nil) {
        self.storage = Storage(node)
        self.location = location
    }
}

// MARK: - Constructors

extension Expr {
    public static func symbol(_ name: String, at location: SourceLocation? = nil) -> Expr {
        Expr(.symbol(name), at: location)
    }
    public static func keyword(_ name: String, at location: SourceLocation? = nil) -> Expr {
        Expr(.keyword(name), at: location)
    }
    public static func integer(_ value: Int, at location: SourceLocation? = nil) -> Expr {
        Expr(.integer(value), at: location)
    }
    public static func float(_ value: Double, at location: SourceLocation? = nil) -> Expr {
        Expr(.float(value), at: location)
    }
    public static func string(_ value: String, at location: SourceLocation? = nil) -> Expr {
        Expr(.string(value), at: location)
    }
    public static func bool(_ value: Bool, at location: SourceLocation? = nil) -> Expr {
        Expr(.bool(value), at: location)
    }
    public static func none(at location: SourceLocation? = nil) -> Expr {
        Expr(.none, at: location)
    }
    public static func list(_ items: [Expr], at location: SourceLocation? = nil) -> Expr {
        Expr(.list(items), at: location)
    }
    public static func vector(_ items: [Expr], at location: SourceLocation? = nil) -> Expr {
        Expr(.vector(items), at: location)
    }
    public static func dict(_ items: [Expr], at location: SourceLocation? = nil) -> Expr {
        Expr(.dict(items), at: location)
    }
    public static func tuple(_ items: [Expr], at location: SourceLocation? = nil) -> Expr {
        Expr(.tuple(items), at: location)
    }
    /// `(quote x)`, `(quasiquote x)`, ...: a list headed by `name` with one argument.
    public static func wrapped(_ name: String, _ form: Expr, at location: SourceLocation? = nil) -> Expr {
        Expr(.list([.symbol(name, at: location), form]), at: location)
    }
}

// MARK: - Accessors

extension Expr {
    /// The symbol's name, or nil when this is not a symbol.
    public var symbolName: String? {
        if case .symbol(let name) = node { return name }
        return nil
    }

    /// The keyword's name (without the colon), or nil.
    public var keywordName: String? {
        if case .keyword(let name) = node { return name }
        return nil
    }

    /// The elements of a `( )` list, or nil.
    public var listItems: [Expr]? {
        if case .list(let items) = node { return items }
        return nil
    }

    /// The elements of a `[ ]` vector, or nil.
    public var vectorItems: [Expr]? {
        if case .vector(let items) = node { return items }
        return nil
    }

    /// The children of any collection (list, vector, dict, tuple); nil for atoms.
    public var children: [Expr]? {
        switch node {
        case .list(let items), .vector(let items), .dict(let items), .tuple(let items): return items
        default: return nil
        }
    }

    /// True for a `( )` list.
    public var isList: Bool { listItems != nil }
    /// True for a `[ ]` vector.
    public var isVector: Bool { vectorItems != nil }
    /// True for everything that is not a collection.
    public var isAtom: Bool { children == nil }
    /// True for integers and floats (not booleans).
    public var isNumber: Bool {
        switch node {
        case .integer, .float: return true
        default: return false
        }
    }

    /// The same collection kind with other children; atoms are returned unchanged.
    public func withChildren(_ items: [Expr]) -> Expr {
        switch node {
        case .list: return Expr(.list(items), at: location)
        case .vector: return Expr(.vector(items), at: location)
        case .dict: return Expr(.dict(items), at: location)
        case .tuple: return Expr(.tuple(items), at: location)
        default: return self
        }
    }

    /// If this is `(name x)` for a symbol `name`, returns `x`.
    public func argumentOfWrapper(_ name: String) -> Expr? {
        guard case .list(let items) = node, items.count == 2, items[0].symbolName == name else { return nil }
        return items[1]
    }

    /// The head symbol's name of a `( )` list, or nil.
    public var headSymbol: String? { listItems?.first?.symbolName }

    /// A short description of the form's kind, for error messages ("a symbol", "a vector").
    public var kindDescription: String {
        switch node {
        case .symbol: return "a symbol"
        case .keyword: return "a keyword"
        case .integer: return "an integer"
        case .float: return "a float"
        case .string: return "a string"
        case .bool: return "a boolean"
        case .none: return "None"
        case .list: return "a list"
        case .vector: return "a vector"
        case .dict: return "a dict"
        case .tuple: return "a tuple"
        }
    }

    /// The same tree with every location removed.
    public var withoutLocations: Expr {
        Expr.rebuild(self) { expr, children in
            var copy = children.map { expr.withChildren($0) } ?? expr
            copy.location = nil
            return copy
        }
    }
}

// MARK: - Iterative bottom-up rebuild

extension Expr {
    /// Rebuilds a tree bottom-up without recursion: `transform` receives each original
    /// node and, for collections, its already-transformed children (nil for atoms).
    /// Safe on trees of any depth.
    static func rebuild(_ root: Expr, _ transform: (Expr, [Expr]?) throws -> Expr) rethrows -> Expr {
        struct Frame { var expr: Expr; var children: [Expr]; var next: Int; var done: [Expr] }
        var stack: [Frame] = []
        var result: Expr? = nil
        func enter(_ expr: Expr) throws -> Expr? {
            if let children = expr.children, !children.isEmpty {
                stack.append(Frame(expr: expr, children: children, next: 0, done: []))
                stack[stack.count - 1].done.reserveCapacity(children.count)
                return nil
            }
            return try transform(expr, expr.children)
        }
        result = try enter(root)
        while !stack.isEmpty {
            let top = stack.count - 1
            if let finished = result {
                stack[top].done.append(finished)
                result = nil
            }
            if stack[top].next < stack[top].children.count {
                let child = stack[top].children[stack[top].next]
                stack[top].next += 1
                result = try enter(child)
            } else {
                let frame = stack.removeLast()
                result = try transform(frame.expr, frame.done)
            }
        }
        return result ?? root
    }
}
