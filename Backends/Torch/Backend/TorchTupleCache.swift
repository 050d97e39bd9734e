#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MinoPython

/// Python tuples of small integer lists (shapes, axes, permutations, slice
/// ranges), made once and reused.
///
/// Converting `[2, 3]` to a Python list costs more than a torch call on a
/// small tensor (~0.6 µs: an object per element); the same few shapes recur
/// on every training step. Tuples are immutable, so sharing them is safe.
///
/// Lock order: the mutex guards the table only. It is never held while the
/// GIL is taken (making a tuple, or dropping evicted ones happens outside it),
/// so a thread inside a user's `withGIL` block cannot deadlock with one that
/// holds the mutex.
final class TorchTupleCache: @unchecked Sendable {
    /// Entries kept; when full, the table starts over (shapes of one model fit easily).
    static let capacity = 1024

    private var table: [[Int]: PythonObject] = [:]
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        table.reserveCapacity(64)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// The tuple of `values`.
    func tuple(_ values: [Int]) throws -> PythonObject {
        pthread_mutex_lock(mutex)
        if let hit = table[values] {
            pthread_mutex_unlock(mutex)
            return hit
        }
        pthread_mutex_unlock(mutex)
        let made = try PythonTuple(items: values.map { $0 as PythonConvertible? }).pythonObject()
        var evicted: [[Int]: PythonObject] = [:]
        pthread_mutex_lock(mutex)
        if table.count >= TorchTupleCache.capacity { swap(&evicted, &table) }
        table[values] = made
        pthread_mutex_unlock(mutex)
        withExtendedLifetime(evicted) {}  // dropped here, outside the mutex
        return made
    }
}
