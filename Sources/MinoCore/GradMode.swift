#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether ops record the operations that gradients need, per thread.
///
/// Recording is on by default; ``withoutGradients(_:)`` turns it off for a
/// scope (evaluation, optimizer updates, the derivatives themselves).
public enum GradMode {
    /// The number of enclosing no-grad scopes on this thread, in a pthread
    /// key: a read costs a few nanoseconds, and threads do not see each other's scopes.
    private static let depthKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private static var depth: Int {
        get { Int(bitPattern: pthread_getspecific(depthKey)) }
        set { pthread_setspecific(depthKey, UnsafeRawPointer(bitPattern: newValue)) }
    }

    /// True unless inside ``withoutGradients(_:)`` on this thread.
    public static var isEnabled: Bool { depth == 0 }

    /// Runs `body` with recording off on this thread.
    public static func withoutGradients<T>(_ body: () throws -> T) rethrows -> T {
        depth += 1
        defer { depth -= 1 }
        return try body()
    }

    /// Runs `body` with recording on, even inside a no-grad scope
    /// (for derivatives that should themselves be differentiable).
    public static func withGradients<T>(_ body: () throws -> T) rethrows -> T {
        let saved = depth
        depth = 0
        defer { depth = saved }
        return try body()
    }
}

/// Runs `body` without recording operations for gradients.
public func withoutGradients<T>(_ body: () throws -> T) rethrows -> T {
    try GradMode.withoutGradients(body)
}
