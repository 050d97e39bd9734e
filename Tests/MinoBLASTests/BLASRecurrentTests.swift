import XCTest
import Mino
@testable import MinoBLAS

/// The LSTM and GRU layers on blas (`lstm`/`lstmBackward`, `gru`/`gruBackward`, one kernel each)
/// against the same layers on the reference backend (the ops' defaults, step by step): outputs,
/// final state, and the gradients of every parameter, the input and the initial state, in float32
/// and float64.
final class BLASRecurrentTests: XCTestCase {
    /// A 2-layer LSTM or GRU with an initial state, a loss that reads the outputs and the final
    /// state, run on `backend`: the values, then the gradients in `namedParameters` order, then
    /// x, h0 (and c0).
    func run(_ mode: RecurrentMode, on backend: any Backend, dtype: DType, bias: Bool = true, steps: Int = 6,
             batch: Int = 3, inputSize: Int = 4, hidden: Int = 5) throws -> [(String, HostArray)] {
        let model = try Recurrent(mode, inputSize: inputSize, hiddenSize: hidden, numLayers: 2, bias: bias, dtype: dtype,
                                  generator: RandomGenerator(seed: 21), on: backend)
        let g = RandomGenerator(seed: 22)
        let x = try Tensor.randn([steps, batch, inputSize], dtype: dtype, generator: g, on: backend)
        let h0 = try Tensor.randn([2, batch, hidden], dtype: dtype, generator: g, on: backend)
        let c0 = mode == .lstm ? try Tensor.randn([2, batch, hidden], dtype: dtype, generator: g, on: backend) : nil
        let leaves = [("x", x), ("h0", h0)] + (c0.map { [("c0", $0)] } ?? [])
        for (_, t) in leaves { t.requiresGrad = true }
        let (out, state) = try model.forward(x, RecurrentState(h: h0, c: c0))
        let weights = try Tensor.randn(out.shape, dtype: dtype, generator: g, on: backend)
        var loss = try (out * weights).sum() + (state.h * state.h).sum()
        var result: [(String, HostArray)] = [("output", try out.toHost()), ("h", try state.h.toHost())]
        if let c = state.c {
            loss = try loss + (c * 0.5).sum()
            result.append(("c", try c.toHost()))
        }
        try loss.backward()
        for (name, p) in model.namedParameters {
            result.append(("∂\(name)", try XCTUnwrap(p.grad, name).toHost()))
        }
        for (name, t) in leaves {
            result.append(("∂\(name)", try XCTUnwrap(t.grad, name).toHost()))
        }
        return result
    }

    /// Fails for every value or gradient of the layer on blas (with the native kernels on or
    /// off) that differs from the reference backend's.
    func assertMatchesReference(_ mode: RecurrentMode, dtype: DType, bias: Bool = true, native: Bool,
                                steps: Int = 6, batch: Int = 3, inputSize: Int = 4, hidden: Int = 5,
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let fast = try NativeKernels.with(enabled: native) {
            try run(mode, on: BLASBackend(), dtype: dtype, bias: bias, steps: steps, batch: batch,
                    inputSize: inputSize, hidden: hidden)
        }
        let oracle = try run(mode, on: ReferenceBackend(), dtype: dtype, bias: bias, steps: steps, batch: batch,
                             inputSize: inputSize, hidden: hidden)
        XCTAssertEqual(fast.map(\.0), oracle.map(\.0), file: file, line: line)
        for ((name, a), (_, e)) in zip(fast, oracle) {
            if let problem = Closeness.mismatch(a, e) {
                XCTFail("\(mode) \(dtype) bias \(bias) native \(native) hidden \(hidden) batch \(batch) \(name): \(problem)",
                        file: file, line: line)
            }
        }
    }

    /// The kernel settings a test can run: the native kernels where the CPU has them, and
    /// always without (float64 never uses them).
    var nativeSettings: [Bool] { NativeKernels.isSupported ? [true, false] : [false] }

    func testLSTMAndGRULayersMatchTheReferenceComposite() throws {
        for mode in [RecurrentMode.lstm, .gru] {
            for dtype in [DType.float32, .float64] {
                for bias in [true, false] {
                    for native in nativeSettings {
                        try assertMatchesReference(mode, dtype: dtype, bias: bias, native: native)
                    }
                }
            }
        }
    }

    /// Hidden sizes across the native product's 32-column panels and 16-lane gate vectors
    /// (40: a full panel and a partial one), batches across its 8-row tiles, float32 with
    /// the native kernels on and off.
    func testFloat32LayersAtPanelEdgesMatchTheReference() throws {
        for (hidden, batch) in [(16, 8), (33, 1), (40, 9)] {
            for mode in [RecurrentMode.lstm, .gru] {
                for native in nativeSettings {
                    try assertMatchesReference(mode, dtype: .float32, native: native, steps: 4, batch: batch,
                                               inputSize: 3, hidden: hidden)
                }
            }
        }
    }

    /// At two threads the native kernels split every step by hidden units (the product's
    /// columns and the gates for them): big enough here for the split (7 panels of 32 units,
    /// about a million flops each), against the reference.
    func testLayersSplitOverTwoThreadsMatchTheReference() throws {
        try XCTSkipUnless(NativeKernels.isSupported, "the split runs the native kernels, which need AVX-512 (x86-64-v4)")
        let threads = BLASThreads.count
        BLASThreads.count = 2
        defer { BLASThreads.count = threads }
        for mode in [RecurrentMode.lstm, .gru] {
            try assertMatchesReference(mode, dtype: .float32, native: true, steps: 3, batch: 20, inputSize: 6,
                                       hidden: 200)
        }
    }

    /// One layer's forward and backward kernels run directly on blas: lstm/gru's output, then
    /// the backward kernel's result for the upstream gradient `up`.
    func fusedLayer(_ mode: RecurrentMode, _ inputs: [Tensor], up: Tensor) throws -> (HostArray, HostArray) {
        let forward = mode == .lstm ? Ops.lstm : Ops.gru
        let all = try Dispatch.apply(forward, inputs)
        let backward = mode == .lstm ? try Dispatch.apply(Ops.lstmBackward, [inputs[2], inputs[6], all, up])
            : try Dispatch.apply(Ops.gruBackward, [inputs[2], inputs[5], all, up])
        return (try all.toHost(), try backward.toHost())
    }

    /// ±∞ and NaN in the input: the native gate kernels give what the Swift loops give
    /// (saturated gates, NaN where the Swift path has NaN), and a NaN row of x stays in its
    /// row of the batch through every later step, forward and backward.
    func testInfinitiesAndNaNsBehaveAsTheSwiftPath() throws {
        try XCTSkipUnless(NativeKernels.isSupported, "compares the native kernels (AVX-512) with the Swift loops")
        let blas = BLASBackend()
        let (t, n, i, h) = (4, 3, 2, 20)
        for mode in [RecurrentMode.lstm, .gru] {
            let g = RandomGenerator(seed: 9)
            let gates = mode == .lstm ? 4 * h : 3 * h
            let shapes = [[t, n, i], [gates, i], [gates, h], [gates], [gates], [n, h]] + (mode == .lstm ? [[n, h]] : [])
            var inputs = try shapes.map { try Tensor.randn(Shape($0), generator: g, on: blas) }
            var x = try inputs[0].toHost().doubles
            // Step 0: row 0 saturates every gate one way, row 1 the other (weights of both
            // signs make each pre-activation ±∞); step 1: row 2 becomes NaN.
            x[0] = .infinity
            x[i] = -.infinity
            x[(1 * n + 2) * i] = .nan
            inputs[0] = try Tensor(doubles: x, shape: [t, n, i], dtype: .float32, on: blas)
            let up = try Tensor.randn([t, n, mode == .lstm ? 6 * h : 5 * h], generator: g, on: blas)
            let (native, nativeGradient) = try NativeKernels.with(enabled: true) { try fusedLayer(mode, inputs, up: up) }
            let (swift, swiftGradient) = try NativeKernels.with(enabled: false) { try fusedLayer(mode, inputs, up: up) }
            if let problem = Closeness.mismatch(native, swift) { XCTFail("\(mode) forward: \(problem)") }
            if let problem = Closeness.mismatch(nativeGradient, swiftGradient) { XCTFail("\(mode) backward: \(problem)") }
            // NaN from step 1 on in batch row 2 only; the other rows finite.
            let width = native.shape[2], values = native.doubles
            for step in 0..<t {
                for row in 0..<n {
                    let slice = values[((step * n + row) * width)..<((step * n + row + 1) * width)]
                    let expectNaN = row == 2 && step >= 1
                    XCTAssertEqual(slice.contains { $0.isNaN }, expectNaN, "\(mode) step \(step) row \(row)")
                    if !expectNaN { XCTAssertTrue(slice.allSatisfy(\.isFinite), "\(mode) step \(step) row \(row)") }
                }
            }
            let gradient = nativeGradient.doubles, gradientWidth = nativeGradient.shape[2]
            for row in 0..<n where row != 2 {
                for step in 0...t {
                    let start = (step * n + row) * gradientWidth
                    XCTAssertTrue(gradient[start..<(start + gradientWidth)].allSatisfy(\.isFinite),
                                  "\(mode) gradient step \(step) row \(row)")
                }
            }
        }
    }

    /// The blas kernels run for the layer (no fallback to the default) and give the layout
    /// the op declares: h in the first H columns, c in the next, the gates activated.
    func testTheFusedKernelsRunAndKeepTheLayout() throws {
        let blas = BLASBackend()
        let g = RandomGenerator(seed: 5)
        let (t, n, i, h) = (4, 2, 3, 3)
        let inputs = try [[t, n, i], [4 * h, i], [4 * h, h], [4 * h], [4 * h], [n, h], [n, h]].map {
            try Tensor.randn(Shape($0), dtype: .float64, generator: g, on: blas)
        }
        XCTAssertNotNil(try blas.fused(.lstm, inputs.map(\.operand), .none))
        let all = try Dispatch.apply(Ops.lstm, inputs)
        XCTAssertEqual(all.shape, [t, n, 6 * h])
        let values = try all.doubles()
        // Gates σ(i), σ(f), tanh(g), σ(o) lie in their ranges; c' = f·c + i·g and h' = o·tanh c' at the first step.
        for r in 0..<(t * n) {
            let row = Array(values[(r * 6 * h)..<((r + 1) * 6 * h)])
            XCTAssertTrue(row[(2 * h)..<(4 * h)].allSatisfy { $0 > 0 && $0 < 1 })
            XCTAssertTrue(row[(4 * h)..<(5 * h)].allSatisfy { $0 > -1 && $0 < 1 })
            XCTAssertTrue(row[(5 * h)..<(6 * h)].allSatisfy { $0 > 0 && $0 < 1 })
        }
        let c0 = try inputs[6].doubles()
        for j in 0..<h {
            let (ig, fg, gg) = (values[2 * h + j], values[3 * h + j], values[4 * h + j])
            XCTAssertEqual(values[h + j], fg * c0[j] + ig * gg, accuracy: 1e-12)
            XCTAssertEqual(values[j], values[5 * h + j] * Foundation.tanh(values[h + j]), accuracy: 1e-12)
        }
        let up = try Tensor.randn(all.shape, dtype: .float64, generator: g, on: blas)
        XCTAssertNotNil(try blas.fused(.lstmBackward, [inputs[2], inputs[6], all, up].map(\.operand), .none))
        XCTAssertEqual(try Dispatch.apply(Ops.lstmBackward, [inputs[2], inputs[6], all, up]).shape, [t + 1, n, 4 * h])
    }

    /// The GRU kernels run too, and keep the layout: `hn = h W_hnᵀ + b_hn` at the first step, and
    /// `h' = (1 − z)·n + z·h`.
    func testTheGRUKernelsRunAndKeepTheLayout() throws {
        let blas = BLASBackend()
        let g = RandomGenerator(seed: 7)
        let (t, n, i, h) = (3, 2, 3, 2)
        let inputs = try [[t, n, i], [3 * h, i], [3 * h, h], [3 * h], [3 * h], [n, h]].map {
            try Tensor.randn(Shape($0), dtype: .float64, generator: g, on: blas)
        }
        XCTAssertNotNil(try blas.fused(.gru, inputs.map(\.operand), .none))
        let all = try Dispatch.apply(Ops.gru, inputs)
        XCTAssertEqual(all.shape, [t, n, 5 * h])
        let values = try all.doubles()
        let (h0, whh, bhh) = (try inputs[5].doubles(), try inputs[2].doubles(), try inputs[4].doubles())
        for j in 0..<h {
            let hn = (0..<h).reduce(bhh[2 * h + j]) { $0 + h0[$1] * whh[(2 * h + j) * h + $1] }
            XCTAssertEqual(values[4 * h + j], hn, accuracy: 1e-12)
            let (z, candidate) = (values[2 * h + j], values[3 * h + j])
            XCTAssertEqual(values[j], (1 - z) * candidate + z * h0[j], accuracy: 1e-12)
        }
        let up = try Tensor.randn(all.shape, dtype: .float64, generator: g, on: blas)
        XCTAssertNotNil(try blas.fused(.gruBackward, [inputs[2], inputs[5], all, up].map(\.operand), .none))
        XCTAssertEqual(try Dispatch.apply(Ops.gruBackward, [inputs[2], inputs[5], all, up]).shape, [t + 1, n, 4 * h])
    }

    /// Hidden states of the wrong size are shape errors naming the op and every shape.
    func testMismatchedStatesAreShapeErrors() throws {
        let blas = BLASBackend()
        let g = RandomGenerator(seed: 6)
        func tensors(_ shapes: [[Int]]) throws -> [Tensor] {
            try shapes.map { try Tensor.randn(Shape($0), generator: g, on: blas) }
        }
        for shapes in [[[3, 2, 4], [8, 4], [8, 2], [8], [8], [2, 3], [2, 2]],
                       [[3, 2, 4], [8, 4], [8, 2], [8], [8], [2, 2], [1, 2]],
                       [[3, 2, 4], [8, 3], [8, 2], [8], [8], [2, 2], [2, 2]]] {
            XCTAssertThrowsError(try Dispatch.apply(Ops.lstm, try tensors(shapes))) { error in
                guard let e = error as? MinoError else { return XCTFail("\(error)") }
                XCTAssertEqual(e.kind, .shape)
                XCTAssertTrue("\(e)".contains("lstm") && "\(e)".contains("[2 2]"), "\(e)")
            }
        }
        XCTAssertThrowsError(try Dispatch.apply(Ops.gru, try tensors([[3, 2, 4], [6, 4], [6, 2], [6], [6], [3, 2]]))) { error in
            XCTAssertTrue("\(error)".contains("gru") && "\(error)".contains("[3 2]"), "\(error)")
        }
    }
}
