#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many threads the BLAS library uses for matrix products.
///
/// Set it with ``count`` (the Swift API), `MINO_THREADS` (read when the blas
/// backend starts) or `mino --threads`. Elementwise kernels run on the calling
/// thread; only the BLAS library spreads work over threads.
public enum BLASThreads {
    /// The environment variable read when the blas backend starts.
    public static let environmentVariable = "MINO_THREADS"

    /// The active library's thread count; values below 1 become 1. A count set
    /// before the library is opened applies when it opens (and to a library chosen later).
    public static var count: Int {
        get { (try? BLASLibrary.current())?.threads ?? BLASLibrary.requestedThreads ?? 1 }
        set {
            BLASLibrary.requestThreads(Swift.max(newValue, 1))
        }
    }

    /// Applies `MINO_THREADS` when it holds a positive integer; returns the count it set.
    @discardableResult
    public static func applyEnvironment() -> Int? {
        guard let text = getenv(environmentVariable).map({ String(cString: $0) }),
              let n = Int(text), n > 0 else { return nil }
        count = n
        return n
    }

    /// The active library in one line (`OpenBLAS 0.3.21 ... (kernel SkylakeX, 1 thread) /usr/lib/...`),
    /// or why there is none.
    public static var configuration: String {
        do {
            return try BLASLibrary.current().summary
        } catch {
            return "no BLAS library: \(error)"
        }
    }
}
