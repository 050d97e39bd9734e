import XCTest
import Foundation
@testable import MinoBLAS

/// The blas backend's fork-join pool: every index runs exactly once, whatever the
/// count, chunk size and thread count; loops inside a chunk and loops started from
/// two threads at once run correctly (serially where the pool is taken).
final class ParallelLoopTests: XCTestCase {
    override func tearDown() {
        BLASThreads.count = 1
        super.tearDown()
    }

    /// Visits `0..<count` and returns how often each index ran.
    func visits(count: Int, minimumChunk: Int) -> [Int] {
        var seen = [Int](repeating: 0, count: count)
        seen.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress
            ParallelLoop.forEachChunk(count: count, minimumChunk: minimumChunk) { range in
                // Chunks are disjoint, so each thread writes its own elements.
                for i in range { base?[i] += 1 }
            }
        }
        return seen
    }

    func testEveryIndexRunsOnceAtEachThreadCount() {
        for threads in [1, 2, 3, 5] {
            BLASThreads.count = threads
            for count in [0, 1, 2, 3, 7, 64, 1000, 4097] {
                for minimumChunk in [1, 3, 100, 5000] {
                    let seen = visits(count: count, minimumChunk: minimumChunk)
                    XCTAssertEqual(seen, [Int](repeating: 1, count: count),
                                   "threads \(threads) count \(count) minimum chunk \(minimumChunk)")
                }
            }
        }
    }

    func testChunksRespectTheMinimumAndCoverContiguously() {
        BLASThreads.count = 4
        let lock = NSLock()
        var ranges: [Range<Int>] = []
        ParallelLoop.forEachChunk(count: 10, minimumChunk: 3) { range in
            lock.lock()
            ranges.append(range)
            lock.unlock()
        }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        // 10 / 3 allows three chunks; four threads are asked for, but no more than the cores run.
        let expected = Swift.min(3, ProcessInfo.processInfo.activeProcessorCount)
        XCTAssertEqual(ranges.count, expected)
        XCTAssertEqual(ranges.first?.lowerBound, 0)
        XCTAssertEqual(ranges.last?.upperBound, 10)
        for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound, "contiguous") }
        XCTAssertTrue(ranges.allSatisfy { $0.count >= 3 }, "\(ranges)")
        XCTAssertLessThanOrEqual((ranges.map(\.count).max() ?? 0) - (ranges.map(\.count).min() ?? 0), 1, "near-equal")
    }

    func testManyShortJobsInARow() {
        // A training step runs hundreds of short loops: the pool must hand each job to its
        // workers and collect them without losing or repeating a chunk.
        BLASThreads.count = 2
        var total = 0
        for job in 0..<20_000 {
            let count = 2 + job % 5
            total += visits(count: count, minimumChunk: 1).reduce(0, +) == count ? 1 : 0
        }
        XCTAssertEqual(total, 20_000)
    }

    func testALoopInsideAChunkRunsAndIsComplete() {
        BLASThreads.count = 2
        let lock = NSLock()
        var inner = 0
        ParallelLoop.forEachChunk(count: 4) { outer in
            for _ in outer {
                let seen = self.visits(count: 100, minimumChunk: 1)
                lock.lock()
                inner += seen.reduce(0, +)
                lock.unlock()
            }
        }
        XCTAssertEqual(inner, 400)
    }

    func testLoopsFromTwoThreadsAtOnce() {
        BLASThreads.count = 2
        let failures = FailureCount()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for round in 0..<2_000 {
                let count = 1 + round % 37
                if self.visits(count: count, minimumChunk: 1) != [Int](repeating: 1, count: count) { failures.add() }
            }
        }
        XCTAssertEqual(failures.value, 0)
    }
}

private final class FailureCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}
