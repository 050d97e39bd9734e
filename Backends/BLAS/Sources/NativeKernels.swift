#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MinoKernels

/// The blas backend's float32 kernels written in C for AVX-512 (`Backends/BLAS/Kernels`):
/// where they run, and a switch to turn them off.
///
/// Off, or on a CPU without AVX-512, the backend runs its Swift loops and BLAS calls
/// instead, which compute the same values within the conformance tolerances; the tests
/// run both.
public enum NativeKernels {
    /// The environment variable that turns the kernels off when it is `0` (read once).
    public static let environmentVariable = "MINO_NATIVE_KERNELS"

    /// Whether this CPU and OS can run the kernels (AVX-512 F, BW, CD, DQ, VL).
    public static let isSupported: Bool = mino_kernels_supported() != 0

    /// Whether the backend uses them: supported, and not turned off by the environment or here.
    /// Setting `true` on a CPU without support keeps it `false`.
    public static var isEnabled: Bool {
        get { enabled }
        set { enabled = newValue && isSupported }
    }

    nonisolated(unsafe) private static var enabled: Bool =
        isSupported && getenv(environmentVariable).map { String(cString: $0) } != "0"

    /// One line for reports: `AVX-512`, `off (MINO_NATIVE_KERNELS=0)` or `unsupported (no AVX-512)`.
    public static var summary: String {
        if !isSupported { return "unsupported (no AVX-512): Swift loops" }
        return enabled ? "AVX-512" : "off: Swift loops"
    }

    /// Runs `body` with the kernels on or off, restoring the setting after (for tests and benchmarks).
    public static func with<R>(enabled value: Bool, _ body: () throws -> R) rethrows -> R {
        let saved = enabled
        isEnabled = value
        defer { enabled = saved }
        return try body()
    }
}
