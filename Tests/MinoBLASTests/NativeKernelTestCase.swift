import XCTest
import MinoBLAS

/// The setting every test of the native kernels shares: skipped, saying why, on a CPU without
/// AVX-512 (the kernels never run there), with the blas thread count the test changes put back.
class NativeKernelTestCase: XCTestCase {
    let blas = BLASBackend()
    private var savedThreads = 1

    override func setUpWithError() throws {
        try super.setUpWithError()
        try XCTSkipUnless(NativeKernels.isSupported, "this CPU has no AVX-512 (x86-64-v4): the native kernels never run here")
        savedThreads = BLASThreads.count
    }

    override func tearDown() {
        BLASThreads.count = savedThreads
        super.tearDown()
    }
}
