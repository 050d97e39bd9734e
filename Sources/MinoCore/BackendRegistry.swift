import Foundation

/// The backends Mino knows by name, and the one selected by default.
///
/// Backends register a factory under their name; the first request makes the
/// backend. The default is chosen by ``select(_:)`` (the `--backend` flag, the
/// Swift API) or else the `MINO_BACKEND` environment variable, else
/// ``fallbackName``.
public final class BackendRegistry: @unchecked Sendable {
    public static let shared = BackendRegistry()

    /// The environment variable that selects the default backend.
    public static let environmentVariable = "MINO_BACKEND"

    private let lock = NSLock()
    private var factories: [String: () throws -> any Backend] = [:]
    private var order: [String] = []
    private var made: [String: any Backend] = [:]
    private var selected: String?
    /// The name of the default backend, the one place it is written: what `import Mino`
    /// falls back to when neither the Swift API, `--backend` nor `MINO_BACKEND` selects one.
    public static let defaultName = "blas"

    /// The backend used when nothing else selects one.
    public var fallbackName: String = BackendRegistry.defaultName

    public init() {}

    /// Registers a backend factory under `name` (replacing an earlier one).
    public func register(_ name: String, factory: @escaping () throws -> any Backend) {
        lock.lock()
        defer { lock.unlock() }
        if factories[name] == nil { order.append(name) }
        factories[name] = factory
        made[name] = nil
    }

    /// The registered names, in registration order.
    public var availableNames: [String] {
        lock.lock()
        defer { lock.unlock() }
        return order
    }

    /// The backend registered under `name`, made on first use.
    ///
    /// - Throws: ``MinoError`` `.unknownName` listing the available backends,
    ///   or the factory's error when the backend cannot start here.
    public func backend(named name: String) throws -> any Backend {
        lock.lock()
        if let backend = made[name] {
            lock.unlock()
            return backend
        }
        guard let factory = factories[name] else {
            let names = order.joined(separator: ", ")
            lock.unlock()
            if names.isEmpty {
                throw MinoError(.unknownName, "no backend is registered (asked for '\(name)'): `import Mino` and "
                                + "call `registerBuiltins()` (the mino command does), or pass a backend explicitly")
            }
            throw MinoError(.unknownName, "unknown backend '\(name)'; available backends: \(names)")
        }
        lock.unlock()
        // Made outside the lock: a factory may take a while (starting Python).
        let backend = try factory()
        lock.lock()
        defer { lock.unlock() }
        if let raced = made[name] { return raced }
        made[name] = backend
        return backend
    }

    /// Selects the default backend by name (checked now).
    public func select(_ name: String) throws {
        _ = try backend(named: name)
        lock.lock()
        selected = name
        lock.unlock()
    }

    /// The name of the default backend: selected, else `MINO_BACKEND`, else ``fallbackName``.
    public var currentName: String {
        lock.lock()
        defer { lock.unlock() }
        if let selected { return selected }
        if let env = ProcessInfo.processInfo.environment[BackendRegistry.environmentVariable], !env.isEmpty {
            return env
        }
        return fallbackName
    }

    /// The default backend.
    public func current() throws -> any Backend {
        try backend(named: currentName)
    }
}
