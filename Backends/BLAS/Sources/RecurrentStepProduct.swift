import MinoCore
import MinoCPU
import MinoKernels

/// The product a recurrent layer makes at every time step against its weight `W_hh`, which
/// stays fixed for the whole sequence: forward `C += A·W_hhᵀ` (h times the weight, into the
/// gate blocks), backward `C += A·W_hh` (∂gates carried back to ∂h).
///
/// With the native kernels (float32 on AVX-512) the weight is packed once per layer call and
/// each step runs `mino_sgemm_packed` for a range of hidden units, so that the threads of
/// ``RecurrentStepProduct/forEachUnitRange(_:)`` each own a slice of every gate block: the
/// product for their units, then the gates for them, with no barrier in between. Otherwise
/// each step is one BLAS gemm over every column (BLAS repacks the weight on each call), on
/// the calling thread.
final class RecurrentStepProduct<T: BLASFloat> {
    enum Direction {
        /// `C [rows × blocks·H] += A [rows × H] · Wᵀ`, W `[blocks·H × H]`: the gate blocks, each
        /// H columns, are packed apart so a unit range is the same panels of every block.
        case forward(blocks: Int)
        /// `C [rows × H] += A [rows × depth] · W`, W `[depth × H]` (depth the first gate columns).
        case backward(depth: Int)
    }

    /// Whether the native kernels run this call (float32 with them enabled).
    let native: Bool
    private let weight: UnsafePointer<T>
    private let rows: Int, hidden: Int, depth: Int, blocks: Int, transposed: Bool
    /// The native kernels' weight: `blocks` packed blocks of `packedBlockCount` floats.
    private let packed: UnsafeMutablePointer<Float>?
    private let packedBlockCount: Int
    /// The cache block behind `packed`, handed back at deinit.
    private let packedBlock: (pointer: UnsafeMutableRawPointer, size: Int)?
    private let rows32: Int32, hidden32: Int32, depth32: Int32

    /// `maximumStride` bounds every leading dimension later passed to ``accumulate``
    /// (checked here against BLAS's 32-bit sizes once, rather than at every step).
    init(weight: UnsafePointer<T>, rows: Int, hidden: Int, direction: Direction, maximumStride: Int) throws {
        native = T.self == Float.self && NativeKernels.isEnabled
        (self.weight, self.rows, self.hidden) = (weight, rows, hidden)
        switch direction {
        case .forward(let gateBlocks): (depth, blocks, transposed) = (hidden, gateBlocks, true)
        case .backward(let gradientDepth): (depth, blocks, transposed) = (gradientDepth, 1, false)
        }
        let int32 = BLASMatMul.int32
        (rows32, hidden32, depth32) = (try int32(rows, "dimension"), try int32(hidden, "dimension"),
                                       try int32(depth, "dimension"))
        _ = try int32(maximumStride, "leading dimension")
        _ = try int32(blocks * hidden, "dimension")
        guard native else {
            (packed, packedBlockCount, packedBlock) = (nil, 0, nil)
            return
        }
        packedBlockCount = mino_sgemm_packed_count(depth, hidden)
        let (count, overflow) = packedBlockCount.multipliedReportingOverflow(by: blocks)
        guard !overflow else {
            throw MinoError(.backend, "recurrent layer: weight of \(blocks)×\(packedBlockCount) too large")
        }
        // From the shared buffer cache, as every per-call buffer of the backend: a 1 MB malloc
        // per call would be an mmap, and its page faults, each time under glibc's defaults.
        let (block, size) = CPUBufferCache.shared.take(Swift.max(count, 1) * MemoryLayout<Float>.stride)
        packedBlock = (block, size)
        let buffer = block.assumingMemoryBound(to: Float.self)
        let w = UnsafeRawPointer(weight).assumingMemoryBound(to: Float.self)
        let (width, blockSize, depth, hidden, transposed) = (Int(MINO_SGEMM_PANEL_WIDTH), packedBlockCount, depth,
                                                             hidden, transposed)
        let panels = (hidden + width - 1) / width
        // A pass over all of W_hh per call: spread over the threads as well, panel by panel
        // (at least 64K floats a chunk).
        let panelsPerChunk = Swift.max(1, (1 << 16) / Swift.max(depth * width, 1))
        ParallelLoop.forEachChunk(count: blocks * panels, minimumChunk: panelsPerChunk) { range in
            for index in range {
                let (block, panel) = index.quotientAndRemainder(dividingBy: panels)
                if transposed {
                    // Block q of B = Wᵀ is (rows qH..<(q+1)H of W)ᵀ: element (κ, j) at W[(qH + j)·H + κ].
                    mino_sgemm_pack_b(depth, hidden, w + block * hidden * hidden, 1, hidden, buffer + block * blockSize,
                                      panel, panel + 1)
                } else {
                    mino_sgemm_pack_b(depth, hidden, w, hidden, 1, buffer, panel, panel + 1)
                }
            }
        }
        packed = buffer
    }

    deinit {
        if let packedBlock { CPUBufferCache.shared.give(packedBlock.pointer, size: packedBlock.size) }
    }

    /// Runs `body` on ranges of hidden units that cover `0..<hidden`: whole 32-unit panels
    /// spread over the blas threads with the native kernels, else the whole range here (BLAS
    /// must not run inside a parallel loop).
    func forEachUnitRange(_ body: (Range<Int>) -> Void) {
        guard native else { return body(0..<hidden) }
        let width = Int(MINO_SGEMM_PANEL_WIDTH)
        let panels = (hidden + width - 1) / width
        // A chunk is worth a thread when its product is about a million flops or more (the
        // fork and join cost a few microseconds).
        let flopsPerPanel = Swift.max(2 * rows * depth * blocks * width, 1)
        ParallelLoop.forEachChunk(count: panels, minimumChunk: Swift.max(1, (1 << 20) / flopsPerPanel)) { range in
            body(range.lowerBound * width..<Swift.min(range.upperBound * width, hidden))
        }
    }

    /// `C += A·B` for the columns of hidden units `units` in every block: `c` is column 0 of
    /// C (row stride `ldc`), A is `rows × depth` (row stride `lda`). `units` comes from
    /// ``forEachUnitRange(_:)``; `lda` and `ldc` are at most the `maximumStride` given to init.
    func accumulate(_ a: UnsafePointer<T>, lda: Int, into c: UnsafeMutablePointer<T>, ldc: Int, units: Range<Int>) {
        guard rows > 0, !units.isEmpty else { return }
        if let packed {
            let width = Int(MINO_SGEMM_PANEL_WIDTH)
            let (first, end) = (units.lowerBound / width, (units.upperBound + width - 1) / width)
            let af = UnsafeRawPointer(a).assumingMemoryBound(to: Float.self)
            let cf = UnsafeMutableRawPointer(c).assumingMemoryBound(to: Float.self)
            for block in 0..<blocks {
                mino_sgemm_packed(rows, hidden, depth, af, lda, packed + block * packedBlockCount, first, end,
                                  cf + block * hidden, ldc)
            }
            return
        }
        // init checked both strides' bound, and every size, against Int32.
        let (lda32, ldc32) = (Int32(truncatingIfNeeded: lda), Int32(truncatingIfNeeded: ldc))
        if units == 0..<hidden {
            // Every column in one call.
            T.gemm(transA: false, transB: transposed, m: rows32, n: Int32(truncatingIfNeeded: blocks * hidden),
                   k: depth32, alpha: 1, a: a, lda: lda32, b: weight, ldb: transposed ? depth32 : hidden32,
                   beta: 1, c: c, ldc: ldc32)
            return
        }
        let count = Int32(truncatingIfNeeded: units.count)
        for block in 0..<blocks {
            let column = block * hidden + units.lowerBound
            T.gemm(transA: false, transB: transposed, m: rows32, n: count, k: depth32, alpha: 1, a: a, lda: lda32,
                   b: transposed ? weight + column * depth : weight + column, ldb: transposed ? depth32 : hidden32,
                   beta: 1, c: c + column, ldc: ldc32)
        }
    }
}
