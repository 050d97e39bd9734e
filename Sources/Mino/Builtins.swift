import MinoCore
import MinoReference
import MinoBLAS
import MinoTorch

/// The name of the backend used when neither the Swift API, `--backend` nor
/// `MINO_BACKEND` selects one.
public let defaultBackendName = BackendRegistry.defaultName

/// Registers the built-in backends with ``BackendRegistry/shared`` (once;
/// later calls do nothing); the fallback default is ``BackendRegistry/defaultName``.
///
/// Every entry point calls it (the `mino` command, `mino-bench`, the tests);
/// so do the helpers below, so a program that only uses them never has to.
public func registerBuiltins() {
    _ = builtinsRegistered
}

private let builtinsRegistered: Void = {
    let registry = BackendRegistry.shared
    registry.register("reference") { ReferenceBackend() }
    // Opens the BLAS library (MINO_BLAS, default OpenBLAS) when first asked for.
    registry.register("blas", factory: BLASBackend.make)
    // PyTorch through libpython: starts Python and torch only when first asked for.
    registry.register("torch", factory: TorchBackend.make)
}()

/// Selects the default backend by name (`reference`, `blas`, ...), as
/// `MINO_BACKEND` and `--backend` do.
///
/// - Throws: ``MinoError`` `.unknownName` listing the available backends.
public func selectBackend(_ name: String) throws {
    registerBuiltins()
    try BackendRegistry.shared.select(name)
}

/// The backend registered under `name`.
///
/// - Throws: ``MinoError`` `.unknownName` listing the available backends.
public func backend(named name: String) throws -> any Backend {
    registerBuiltins()
    return try BackendRegistry.shared.backend(named: name)
}

/// The default backend: selected, else `MINO_BACKEND`, else ``defaultBackendName``.
public func currentBackend() throws -> any Backend {
    registerBuiltins()
    return try BackendRegistry.shared.current()
}

/// The names of the registered backends, in registration order.
public var availableBackends: [String] {
    registerBuiltins()
    return BackendRegistry.shared.availableNames
}
