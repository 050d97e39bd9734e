#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rank-0 constants that arithmetic with plain numbers needs (`x * 0.5`,
/// `1 - y`, the seed of `backward()`), made once per backend, dtype and value
/// and then shared.
///
/// Derivatives use such constants on every backward pass, and each new one
/// cost a storage and a tensor. These tensors never escape to user code (the
/// operators only use them as operands), so sharing them is safe: nothing
/// sets their gradient flag or writes into them. ``Tensor/scalarLike(_:)``,
/// which does hand its tensor to the caller, still makes a fresh one.
///
/// At most ``capacity`` constants are kept (oldest out first); a mutex makes
/// the table safe to use from several threads.
final class ScalarConstants: @unchecked Sendable {
    static let shared = ScalarConstants()
    static let capacity = 64

    private struct Entry {
        let backend: ObjectIdentifier
        let dtype: DType
        let bits: UInt64
        let tensor: Tensor
    }

    @exclusivity(unchecked) private var entries: [Entry] = []
    @exclusivity(unchecked) private var next = 0
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    private init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        entries.reserveCapacity(ScalarConstants.capacity)
    }

    /// The shared rank-0 tensor holding `value` in `dtype` on `backend`.
    func scalar(_ value: Double, dtype: DType, on backend: any Backend) throws -> Tensor {
        let key = ObjectIdentifier(backend)
        let bits = value.bitPattern
        pthread_mutex_lock(mutex)
        for entry in entries where entry.bits == bits && entry.dtype == dtype && entry.backend == key {
            pthread_mutex_unlock(mutex)
            return entry.tensor
        }
        pthread_mutex_unlock(mutex)
        let tensor = try Tensor.full(value, shape: .scalar, dtype: dtype, on: backend)
        pthread_mutex_lock(mutex)
        let entry = Entry(backend: key, dtype: dtype, bits: bits, tensor: tensor)
        if entries.count < ScalarConstants.capacity {
            entries.append(entry)
        } else {
            entries[next] = entry
            next = (next + 1) % ScalarConstants.capacity
        }
        pthread_mutex_unlock(mutex)
        return tensor
    }
}

extension Tensor {
    /// A shared rank-0 constant of this tensor's dtype and backend, for operands
    /// that never reach user code (see ``ScalarConstants``).
    func constant(_ value: Double) throws -> Tensor {
        try ScalarConstants.shared.scalar(value, dtype: dtype, on: backend)
    }
}
