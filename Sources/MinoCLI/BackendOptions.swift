import ArgumentParser
import Foundation
import Mino

/// The options every `mino` command takes to choose where tensors live:
/// `--backend NAME` (else `MINO_BACKEND`, else ``defaultBackendName``) and `--threads N`
/// (else `MINO_THREADS`, else OpenBLAS's and torch's defaults). Include it with
/// `@OptionGroup var backendOptions: BackendOptions` and call ``apply()``
/// first thing in `run()`.
struct BackendOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The backend to run on (reference, blas, ...; default: $MINO_BACKEND, else \(defaultBackendName)). "
            + "`mino backends` lists them.", valueName: "name"))
    var backend: String?

    @Option(name: .long, help: ArgumentHelp(
        "Threads for OpenBLAS's matrix products and torch's kernels (default: $MINO_THREADS, else their own).",
        valueName: "n"))
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError("--threads must be at least 1, got \(threads)")
        }
        // The environment's count is held to the flag's rule (the backends would ignore a bad one).
        if threads == nil, let text = ProcessInfo.processInfo.environment[BLASThreads.environmentVariable] {
            guard let n = Int(text), n >= 1 else {
                throw ValidationError("\(BLASThreads.environmentVariable) must be an integer of at least 1, got '\(text)'")
            }
        }
    }

    /// Registers the built-in backends, applies the thread count and selects the backend.
    ///
    /// - Returns: the selected backend.
    /// - Throws: ``MinoError`` `.unknownName` listing the available backends.
    @discardableResult
    func apply() throws -> any Backend {
        registerBuiltins()
        if let threads {
            BLASThreads.count = threads
            try TorchBackend.setThreads(threads)  // torch backend: recorded now, applied when torch runs
        }
        if let backend { try selectBackend(backend) }
        return try currentBackend()
    }
}
