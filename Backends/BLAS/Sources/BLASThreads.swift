#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS

/// How many threads OpenBLAS uses for matrix products.
///
/// Set it with ``count`` (the Swift API), `MINO_THREADS` (read when the blas
/// backend starts) or `mino --threads`. Elementwise kernels run on the calling
/// thread; only OpenBLAS spreads work over threads.
public enum BLASThreads {
    /// The environment variable read when the blas backend starts.
    public static let environmentVariable = "MINO_THREADS"

    /// OpenBLAS's thread count; values below 1 become 1.
    public static var count: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(clamping: Swift.max(newValue, 1))) }
    }

    /// Applies `MINO_THREADS` when it holds a positive integer; returns the count it set.
    @discardableResult
    public static func applyEnvironment() -> Int? {
        guard let text = getenv(environmentVariable).map({ String(cString: $0) }),
              let n = Int(text), n > 0 else { return nil }
        count = n
        return n
    }

    /// OpenBLAS's build description (`OpenBLAS 0.3.21 DYNAMIC_ARCH ... Zen MAX_THREADS=64`).
    public static var configuration: String {
        guard let text = openblas_get_config() else { return "OpenBLAS" }
        return String(cString: text)
    }
}
