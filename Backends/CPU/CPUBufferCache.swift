#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MinoCore

/// Free lists of host blocks by size class, so a training loop that frees and
/// re-creates tensors of the same sizes every step stops calling `malloc` and
/// `free` (which for blocks of 128 KiB and more means `mmap`, `munmap` and
/// fresh page faults every time).
///
/// A request is rounded up to its size class: multiples of 64 bytes up to
/// 512 bytes, then four classes per power of two (at most 25 % slack). A
/// freed block goes onto its class's list unless the cache already holds
/// ``limitBytes`` or ``perClassLimit`` blocks of that class; then it is
/// released. One mutex guards the lists: a take or a give is a few tens of
/// nanoseconds, far below the cost of the kernels that use the block.
///
/// The limit comes from `MINO_BUFFER_CACHE_MB` (default 256; 0 turns the
/// cache off). At most ``perClassLimit`` (32) blocks are kept per class.
public final class CPUBufferCache: @unchecked Sendable {
    /// The cache every ``CPUStorage`` takes its block from.
    public static let shared = CPUBufferCache(limitBytes: CPUBufferCache.limitFromEnvironment())

    /// The environment variable that bounds the cache, in MiB.
    public static let environmentVariable = "MINO_BUFFER_CACHE_MB"
    /// Every block is aligned this much (a cache line, and what AVX-512 loads like).
    public static let alignment = 64

    /// What the cache did so far.
    public struct Statistics: Equatable, Sendable, CustomStringConvertible {
        /// Requests served from a free list.
        public var hits = 0
        /// Requests that allocated a new block.
        public var misses = 0
        /// Blocks released to the system (the cache was full, or trimmed).
        public var releases = 0
        /// Bytes held in free lists now.
        public var cachedBytes = 0
        /// Bytes in blocks handed out and not yet given back.
        public var liveBytes = 0
        /// The most `liveBytes + cachedBytes` seen: what the cache made the process hold.
        public var peakBytes = 0

        public var description: String {
            "hits \(hits), misses \(misses), releases \(releases), cached \(cachedBytes) B, "
                + "live \(liveBytes) B, peak \(peakBytes) B"
        }
    }

    /// Most bytes kept in free lists.
    public var limitBytes: Int {
        get { lock(); defer { unlock() }; return _limitBytes }
        set { lock(); _limitBytes = Swift.max(newValue, 0); unlock(); trim(to: newValue) }
    }
    /// Most blocks kept per size class.
    public let perClassLimit: Int

    // The state below is only touched with the mutex held, so Swift's dynamic
    // exclusivity checks (a runtime call per access) are turned off for it.
    @exclusivity(unchecked) private var _limitBytes: Int
    @exclusivity(unchecked) private var stats = Statistics()
    /// `perClassLimit` slots per size class, flat; `counts[c]` of class c's are full.
    private let slots: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let counts: UnsafeMutablePointer<Int>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(limitBytes: Int, perClassLimit: Int = 32) {
        _limitBytes = Swift.max(limitBytes, 0)
        self.perClassLimit = Swift.max(perClassLimit, 1)
        let classes = CPUBufferCache.classCount
        slots = .allocate(capacity: classes * self.perClassLimit)
        slots.initialize(repeating: nil, count: classes * self.perClassLimit)
        counts = .allocate(capacity: classes)
        counts.initialize(repeating: 0, count: classes)
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        for c in 0..<CPUBufferCache.classCount {
            for i in 0..<counts[c] { slots[c * perClassLimit + i]?.deallocate() }
        }
        slots.deallocate()
        counts.deallocate()
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) private func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) private func unlock() { pthread_mutex_unlock(mutex) }

    // MARK: Size classes

    /// Requests above this many bytes (1 TiB) bypass the cache.
    public static let largestCachedBytes = 1 << 40

    /// Classes 0..<8: 64, 128, ... 512 bytes; then four per power of two from 512 up to 1 TiB.
    static let classCount = sizeClass(largestCachedBytes).index + 1

    /// The size class of a request of `byteCount` bytes, and that class's block size.
    @inline(__always)
    public static func sizeClass(_ byteCount: Int) -> (index: Int, size: Int) {
        if byteCount <= 512 {
            let units = Swift.max((byteCount + 63) >> 6, 1)
            return (units - 1, units << 6)
        }
        // 512 < n: exponent e with 2^e < n ≤ 2^(e+1), four steps of 2^(e-2).
        let e = Int.bitWidth - 1 - (byteCount - 1).leadingZeroBitCount
        let stepShift = e - 2
        let steps = (byteCount - (1 << e) + (1 << stepShift) - 1) >> stepShift  // 1...4
        return (8 + (e - 9) * 4 + steps - 1, (1 << e) + (steps << stepShift))
    }

    // MARK: Taking and giving

    /// A block of at least `byteCount` bytes, aligned to ``alignment``, and its capacity.
    public func take(_ byteCount: Int) -> (UnsafeMutableRawPointer, Int) {
        if byteCount > CPUBufferCache.largestCachedBytes {
            return (UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: CPUBufferCache.alignment), byteCount)
        }
        let (index, size) = CPUBufferCache.sizeClass(byteCount)
        lock()
        let count = counts[index]
        if count > 0, let block = slots[index * perClassLimit + count - 1] {
            counts[index] = count - 1
            stats.hits += 1
            stats.cachedBytes -= size
            stats.liveBytes += size
            unlock()
            return (block, size)
        }
        stats.misses += 1
        stats.liveBytes += size
        stats.peakBytes = Swift.max(stats.peakBytes, stats.liveBytes + stats.cachedBytes)
        unlock()
        return (UnsafeMutableRawPointer.allocate(byteCount: size, alignment: CPUBufferCache.alignment), size)
    }

    /// Returns a block that ``take(_:)`` handed out with capacity `size`.
    public func give(_ block: UnsafeMutableRawPointer, size: Int) {
        if size > CPUBufferCache.largestCachedBytes {
            block.deallocate()
            return
        }
        let (index, _) = CPUBufferCache.sizeClass(size)
        lock()
        stats.liveBytes -= size
        let count = counts[index]
        if stats.cachedBytes + size <= _limitBytes, count < perClassLimit {
            slots[index * perClassLimit + count] = block
            counts[index] = count + 1
            stats.cachedBytes += size
            unlock()
            return
        }
        stats.releases += 1
        unlock()
        block.deallocate()
    }

    /// Releases cached blocks until at most `bytes` stay cached (all of them by default).
    public func trim(to bytes: Int = 0) {
        var released: [UnsafeMutableRawPointer] = []
        lock()
        var index = CPUBufferCache.classCount - 1
        while stats.cachedBytes > bytes && index >= 0 {
            let size = CPUBufferCache.classSize(index)
            while stats.cachedBytes > bytes && counts[index] > 0 {
                counts[index] -= 1
                if let block = slots[index * perClassLimit + counts[index]] { released.append(block) }
                slots[index * perClassLimit + counts[index]] = nil
                stats.cachedBytes -= size
                stats.releases += 1
            }
            index -= 1
        }
        unlock()
        for block in released { block.deallocate() }
    }

    /// The block size of class `index`.
    public static func classSize(_ index: Int) -> Int {
        if index < 8 { return (index + 1) << 6 }
        let e = (index - 8) / 4 + 9
        let steps = (index - 8) % 4 + 1
        return (1 << e) + (steps << (e - 2))
    }

    /// The counters so far.
    public var statistics: Statistics {
        lock()
        defer { unlock() }
        return stats
    }

    /// Zeroes the counters (not the cached blocks); `peakBytes` restarts from what is held now.
    public func resetStatistics() {
        lock()
        stats.hits = 0
        stats.misses = 0
        stats.releases = 0
        stats.peakBytes = stats.liveBytes + stats.cachedBytes
        unlock()
    }

    static func limitFromEnvironment() -> Int {
        let defaultMiB = 256
        guard let text = getenv(environmentVariable).map({ String(cString: $0) }),
              let mib = Int(text), mib >= 0 else {
            return defaultMiB << 20
        }
        return mib << 20
    }
}
