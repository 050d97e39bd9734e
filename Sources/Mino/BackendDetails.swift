import MinoBLAS
import MinoCore
import MinoTorch

/// What runs behind the backend `name`, as key–value lines (what `mino backends
/// --verbose` prints): for blas the BLAS library, its version, kernels,
/// threads and the CPU features seen; for torch the Python, torch's version,
/// the device and threads. A backend that cannot start says why instead.
/// Starts the backend (for torch: Python and torch).
public func backendDetails(_ name: String) -> [(key: String, value: String)] {
    registerBuiltins()
    do {
        switch try backend(named: name) {
        case is BLASBackend:
            return try BLASLibrary.current().details + [("native kernels", NativeKernels.summary)]
        case let torch as TorchBackend:
            let python = torch.pythonEnvironment
            return [("python", "\(python.executable) (\(python.versionString), found by \(python.origin))"),
                    ("libpython", python.library),
                    ("torch", torch.torchVersion),
                    ("device", torch.configuration.device.description),
                    ("threads", "\(try torch.threadCount())")]
        case is ReferenceBackend:
            return [("kernels", "pure Swift, one thread")]
        default:
            return []
        }
    } catch {
        return [("unavailable", "\(error)")]
    }
}
