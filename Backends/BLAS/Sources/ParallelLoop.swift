import Foundation
import MinoKernels

/// Splits a loop over `0..<count` into contiguous chunks run on the blas backend's
/// threads (`BLASThreads.count`), the calling thread taking one (the pool is
/// `mino_parallel_run`, `Backends/BLAS/Kernels/ParallelRun.c`).
///
/// For the native kernels, which do not call BLAS inside the loop (a BLAS call inside would
/// spread over the library's own threads as well). Not for the generic Swift loops: a
/// chunk's body is a closure called through C, so a loop in it no longer inlines the
/// element function it was handed, and stops vectorising (an elementwise map ran 2× slower
/// split over two threads than whole on one). A loop started inside a chunk runs serially.
enum ParallelLoop {
    /// Runs `body` on chunks covering `0..<count`, at most one chunk per thread and none
    /// smaller than `minimumChunk`, and returns when all are done.
    static func forEachChunk(count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        // More threads than cores never helps these loops: the extra ones would only wait.
        let threads = Swift.min(BLASThreads.count, cores)
        let chunks = Swift.min(threads, Swift.max(1, count / Swift.max(minimumChunk, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        withoutActuallyEscaping(body) { body in
            var job = Job(body: body, count: count, chunks: chunks)
            withUnsafeMutablePointer(to: &job) { pointer in
                mino_parallel_run(chunks, { context, chunk in
                    guard let job = context?.assumingMemoryBound(to: Job.self).pointee else { return }
                    job.body(job.range(chunk))
                }, pointer, Int32(clamping: threads))
            }
        }
    }

    private static let cores = Swift.max(1, ProcessInfo.processInfo.activeProcessorCount)

    private struct Job {
        let body: (Range<Int>) -> Void
        let count: Int
        let chunks: Int

        /// Chunk `i` of `chunks` contiguous pieces, the first `count % chunks` one longer.
        func range(_ i: Int) -> Range<Int> {
            let (size, extra) = count.quotientAndRemainder(dividingBy: chunks)
            let start = i * size + Swift.min(i, extra)
            return start..<start + size + (i < extra ? 1 : 0)
        }
    }
}
