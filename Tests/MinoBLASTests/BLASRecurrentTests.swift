import XCTest
import Mino

/// The LSTM and GRU layers on blas (`lstm`/`lstmBackward`, `gru`/`gruBackward`, one kernel each)
/// against the same layers on the reference backend (the ops' defaults, step by step): outputs,
/// final state, and the gradients of every parameter, the input and the initial state, in float32
/// and float64.
final class BLASRecurrentTests: XCTestCase {
    /// A 2-layer LSTM or GRU with an initial state, a loss that reads the outputs and the final
    /// state, run on `backend`: the values, then the gradients in `namedParameters` order, then
    /// x, h0 (and c0).
    func run(_ mode: RecurrentMode, on backend: any Backend, dtype: DType, bias: Bool = true) throws -> [(String, HostArray)] {
        let model = try Recurrent(mode, inputSize: 4, hiddenSize: 5, numLayers: 2, bias: bias, dtype: dtype,
                                  generator: RandomGenerator(seed: 21), on: backend)
        let g = RandomGenerator(seed: 22)
        let x = try Tensor.randn([6, 3, 4], dtype: dtype, generator: g, on: backend)
        let h0 = try Tensor.randn([2, 3, 5], dtype: dtype, generator: g, on: backend)
        let c0 = mode == .lstm ? try Tensor.randn([2, 3, 5], dtype: dtype, generator: g, on: backend) : nil
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

    func testLSTMAndGRULayersMatchTheReferenceComposite() throws {
        for mode in [RecurrentMode.lstm, .gru] {
            for dtype in [DType.float32, .float64] {
                for bias in [true, false] {
                    let fast = try run(mode, on: BLASBackend(), dtype: dtype, bias: bias)
                    let oracle = try run(mode, on: ReferenceBackend(), dtype: dtype, bias: bias)
                    XCTAssertEqual(fast.map(\.0), oracle.map(\.0))
                    for ((name, a), (_, e)) in zip(fast, oracle) {
                        if let problem = Closeness.mismatch(a, e) {
                            XCTFail("\(mode) \(dtype) bias \(bias) \(name): \(problem)")
                        }
                    }
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
