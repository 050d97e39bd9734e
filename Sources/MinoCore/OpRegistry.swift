import Foundation

/// Every op Mino knows, by canonical name and by alias.
///
/// The built-in ops (``Ops``) are registered from the start; users add
/// composites with ``register(_:)``. The conformance suite, the gradient
/// tests, the Lisp evaluator and the docs all iterate ``all``.
public final class OpRegistry: @unchecked Sendable {
    public static let shared = OpRegistry(Ops.builtins)

    private let lock = NSLock()
    private var definitions: [OpDefinition] = []
    private var byName: [String: OpDefinition] = [:]

    public init(_ builtins: [OpDefinition]) {
        for op in builtins {
            // Built-in names are distinct (a test checks it), so this cannot fail.
            try? register(op)
        }
    }

    /// Every registered op, in registration order.
    public var all: [OpDefinition] {
        lock.lock()
        defer { lock.unlock() }
        return definitions
    }

    /// Adds an op.
    ///
    /// - Throws: ``MinoError`` `.argument` when one of its names is taken.
    public func register(_ op: OpDefinition) throws {
        lock.lock()
        defer { lock.unlock() }
        for name in op.allNames {
            if let existing = byName[name] {
                throw MinoError(.argument, "cannot register op \(op.name): the name '\(name)' "
                                + "already belongs to \(existing.name)")
            }
        }
        definitions.append(op)
        for name in op.allNames { byName[name] = op }
    }

    /// The op answering to `name` (canonical or alias).
    ///
    /// - Throws: ``MinoError`` `.unknownName`, suggesting near names.
    public func op(named name: String) throws -> OpDefinition {
        lock.lock()
        defer { lock.unlock() }
        if let op = byName[name] { return op }
        let near = byName.keys.filter { $0.hasSuffix(name) || name.hasSuffix($0) }.sorted().prefix(5)
        let hint = near.isEmpty ? "" : "; did you mean \(near.joined(separator: ", "))?"
        throw MinoError(.unknownName, "unknown op '\(name)'\(hint)")
    }

    /// The op answering to `name`, or nil.
    public func lookup(_ name: String) -> OpDefinition? {
        lock.lock()
        defer { lock.unlock() }
        return byName[name]
    }
}
