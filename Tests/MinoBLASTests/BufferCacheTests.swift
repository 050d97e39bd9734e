import Foundation
import XCTest
import Mino

/// The size-class cache of host blocks: reuse, bounds, and that results stay
/// right when every buffer is a reused one.
final class BufferCacheTests: XCTestCase {
    func testSizeClassesCoverEveryRequestWithLittleSlack() {
        var previous = 0
        for bytes in [1, 63, 64, 65, 500, 512, 513, 640, 641, 1000, 1 << 20, (1 << 20) + 1, 3 << 30] {
            let (index, size) = CPUBufferCache.sizeClass(bytes)
            XCTAssertGreaterThanOrEqual(size, bytes)
            XCTAssertLessThanOrEqual(size, Swift.max(64, bytes + bytes / 4 + 64), "\(bytes) → \(size)")
            XCTAssertEqual(size, CPUBufferCache.classSize(index))
            XCTAssertGreaterThanOrEqual(index, previous)
            previous = index
        }
    }

    func testABlockGivenBackIsReused() {
        let cache = CPUBufferCache(limitBytes: 1 << 20)
        let (a, size) = cache.take(1000)
        cache.give(a, size: size)
        let (b, sizeB) = cache.take(900)  // same class
        XCTAssertEqual(a, b)
        XCTAssertEqual(size, sizeB)
        let stats = cache.statistics
        XCTAssertEqual(stats.hits, 1)
        XCTAssertEqual(stats.misses, 1)
        XCTAssertEqual(stats.liveBytes, size)
        XCTAssertEqual(stats.cachedBytes, 0)
        cache.give(b, size: sizeB)
        XCTAssertEqual(cache.statistics.cachedBytes, size)
        XCTAssertEqual(Int(bitPattern: a) % CPUBufferCache.alignment, 0)
    }

    func testTheCacheStaysWithinItsLimit() {
        let cache = CPUBufferCache(limitBytes: 10_000)
        let blocks = (0..<10).map { _ in cache.take(4096) }
        for (block, size) in blocks { cache.give(block, size: size) }
        let stats = cache.statistics
        XCTAssertLessThanOrEqual(stats.cachedBytes, 10_000)
        XCTAssertGreaterThan(stats.releases, 0)
        cache.trim()
        XCTAssertEqual(cache.statistics.cachedBytes, 0)
        let off = CPUBufferCache(limitBytes: 0)
        let (block, size) = off.take(100)
        off.give(block, size: size)
        XCTAssertEqual(off.statistics.cachedBytes, 0)
    }

    /// A training-like loop: after the first step every buffer comes from the cache,
    /// and the results equal those of the first step.
    func testATrainingLoopReachesASteadyStateWithCorrectResults() throws {
        let blas = BLASBackend()
        let g = RandomGenerator(seed: 31)
        let x = try Tensor.randn([32, 20], generator: g, on: blas)
        let w = try Tensor.randn([16, 20], generator: g, on: blas)
        let b = try Tensor.randn([16], generator: g, on: blas)
        let labels = try Tensor((0..<32).map { Int64($0 % 16) }, shape: [32], on: blas)
        w.requiresGrad = true
        b.requiresGrad = true
        func step() throws -> [Float] {
            w.zeroGrad()
            b.zeroGrad()
            let loss = try Loss.crossEntropy(try x.linear(w, b).sigmoid(), labels)
            try loss.backward()
            return try loss.floats() + (try XCTUnwrap(w.grad).floats()) + (try XCTUnwrap(b.grad).floats())
        }
        let first = try step()
        _ = try step()
        let cache = CPUBufferCache.shared
        cache.resetStatistics()
        for _ in 0..<5 { XCTAssertEqual(try step(), first) }
        let stats = cache.statistics
        XCTAssertEqual(stats.misses, 0, "steady state still allocates: \(stats)")
        XCTAssertGreaterThan(stats.hits, 0)
    }

    /// Threads share the cache (and the scalar constants): results stay those of a serial run.
    func testThreadsSharingTheCacheGetCorrectResults() throws {
        let blas = BLASBackend()
        func step(seed: UInt64) throws -> [Float] {
            let g = RandomGenerator(seed: seed)
            let x = try Tensor.randn([16, 12], generator: g, on: blas)
            let w = try Tensor.randn([8, 12], generator: g, on: blas)
            let b = try Tensor.randn([8], generator: g, on: blas)
            w.requiresGrad = true
            let labels = try Tensor((0..<16).map { Int64($0 % 8) }, shape: [16], on: blas)
            let loss = try Loss.crossEntropy(try (x.linear(w, b) * 0.5).sigmoid(), labels)
            try loss.backward()
            return try loss.floats() + (try XCTUnwrap(w.grad).floats())
        }
        let expected = try (0..<4).map { try step(seed: UInt64($0)) }
        let lock = NSLock()
        var failures: [String] = []
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for _ in 0..<200 {
                do {
                    if try step(seed: UInt64(thread)) != expected[thread] {
                        lock.lock(); failures.append("thread \(thread): different result"); lock.unlock()
                        return
                    }
                } catch {
                    lock.lock(); failures.append("thread \(thread): \(error)"); lock.unlock()
                    return
                }
            }
        }
        XCTAssertEqual(failures, [])
    }
}
