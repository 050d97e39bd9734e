/// Splits a loop over `0..<count` into contiguous chunks run on the blas backend's
/// threads (`BLASThreads.count`), the calling thread taking one.
///
/// For kernels that do not call BLAS inside the loop (the native kernels, elementwise
/// passes): a BLAS call inside would spread over the library's own threads as well.
enum ParallelLoop {
    /// Runs `body` on chunks covering `0..<count`, at most one chunk per thread and none
    /// smaller than `minimumChunk`, and returns when all are done.
    ///
    /// This first version runs the whole range on the calling thread.
    static func forEachChunk(count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        if count > 0 { body(0..<count) }
    }
}
