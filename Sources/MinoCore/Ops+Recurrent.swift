// A whole LSTM layer over a sequence as one op, and its backward pass through
// time as another, so a backend can run each as one kernel (the input
// projection of every step in one product, one product per step for the
// recurrence, the gates fused). The defaults step through time with
// registered ops and stay the oracle.

extension Ops {
    /// `(steps, batch, input, hidden)` of `lstm`'s inputs, or a shape error naming them all.
    static func lstmDimensions(_ op: String, _ shapes: [Shape]) throws -> (steps: Int, batch: Int, input: Int, hidden: Int) {
        let x = shapes[0], whh = shapes[2]
        guard x.rank == 3, whh.rank == 2 else {
            throw MinoError.shape(op, shapes, "expected an input [T N I] and weight_hh [4H H]")
        }
        let (steps, batch, input, hidden) = (x[0], x[1], x[2], whh[1])
        let gates = Shape([4 * hidden]), state = Shape([batch, hidden])
        guard steps > 0, whh[0] == 4 * hidden, shapes[1] == Shape([4 * hidden, input]),
              shapes[3] == gates, shapes[4] == gates, shapes[5] == state, shapes[6] == state else {
            throw MinoError.shape(op, shapes, "expected input [T N I] (T > 0), weight_ih [4H I], weight_hh [4H H], "
                                  + "bias_ih and bias_hh [4H], h0 and c0 [N H]")
        }
        return (steps, batch, input, hidden)
    }

    /// Every step's `[h c i f g o]` `[T N 6H]`: each step's gate pre-activations are
    /// `x_t W_ihᵀ + b_ih + h W_hhᵀ + b_hh`, then `c' = f·c + i·g`, `h' = o·tanh c'`.
    private static func lstmImplementation(_ x: [Tensor], _: OpAttributes) throws -> Tensor {
        let (steps, batch, _, hidden) = try lstmDimensions("lstm", x.map(\.shape))
        let projected = try x[0].linear(x[1], x[3])
        let recurrentWeight = try x[2].transposed(0, 1)
        var h = x[5], c = x[6]
        var rows: [Tensor] = []
        rows.reserveCapacity(steps)
        for t in 0..<steps {
            let pre = try projected.narrow(axis: 0, start: t, length: 1).reshape([batch, 4 * hidden])
                + h.matmul(recurrentWeight) + x[4]
            let (i, f, g, o) = try lstmGates(pre)
            c = try f * c + i * g
            h = try o * c.tanh()
            rows.append(try Tensor.concat([h, c, i, f, g, o], axis: 1))
        }
        return try Tensor.stack(rows, axis: 0)
    }

    /// `[T+1 N 4H]`: rows `0..<T` the gradients of each step's gate pre-activations, row `T`
    /// `[∂h0 ∂c0 0 0]`, from `weight_hh`, `c0`, `lstm`'s output and the gradient of that output.
    private static func lstmBackwardImplementation(_ x: [Tensor], _: OpAttributes) throws -> Tensor {
        let (whh, c0, out, up) = (x[0], x[1], x[2], x[3])
        let (steps, batch, hidden) = (out.shape[0], out.shape[1], whh.shape[1])
        func part(_ t: Tensor, _ step: Int, _ k: Int) throws -> Tensor {
            try t.narrow(axis: 0, start: step, length: 1).reshape([batch, 6 * hidden])
                .narrow(axis: 1, start: k * hidden, length: hidden)
        }
        var dhCarry = try Tensor.zeros([batch, hidden], dtype: out.dtype, on: out.backend)
        var dcCarry = dhCarry
        var rows: [Tensor] = []
        for t in (0..<steps).reversed() {
            let (i, f, g, o) = (try part(out, t, 2), try part(out, t, 3), try part(out, t, 4), try part(out, t, 5))
            let previousC = t == 0 ? c0 : try part(out, t - 1, 1)
            let tc = try part(out, t, 1).tanh()
            let dh = try part(up, t, 0) + dhCarry
            // ∂c' in full: from c' itself and through h' = o·tanh c'.
            let total = try part(up, t, 1) + dcCarry + dh * o * (1 - tc * tc)
            let dPre = try Tensor.concat([(total * g + part(up, t, 2)) * i * (1 - i),
                                          (total * previousC + part(up, t, 3)) * f * (1 - f),
                                          (total * i + part(up, t, 4)) * (1 - g * g),
                                          (dh * tc + part(up, t, 5)) * o * (1 - o)], axis: 1)
            rows.append(dPre)
            dhCarry = try dPre.matmul(whh)
            dcCarry = try total * f
        }
        let rest = try Tensor.zeros([batch, 2 * hidden], dtype: out.dtype, on: out.backend)
        rows.reverse()
        rows.append(try Tensor.concat([dhCarry, dcCarry, rest], axis: 1))
        return try Tensor.stack(rows, axis: 0)
    }

    /// The backward pass of ``lstm`` through time as one op (see its implementation for the layout).
    public static let lstmBackward = OpDefinition(
        composite: "lstmBackward",
        summary: "the gradient of lstm through time: [T+1 N 4H] (each step's ∂gates, then [∂h0 ∂c0 0 0]) "
            + "from weight_hh [4H H], c0 [N H], lstm's output and its gradient [T N 6H]",
        signature: OpSignature(inputs: [.value, .value, .value, .value], attributes: .recurrentCell, dtypes: .floating),
        torch: TorchCall("mino.lstm_backward", (0..<4).map(TorchArgument.input)),
        fusedKernel: .lstmBackward,
        shapeRule: { specs, _ in
            let shapes = specs.map(\.shape)
            let (whh, c0, out) = (shapes[0], shapes[1], shapes[2])
            guard whh.rank == 2, c0.rank == 2, out.rank == 3, whh[0] == 4 * whh[1], c0[1] == whh[1],
                  out[0] > 0, out[1] == c0[0], out[2] == 6 * whh[1], shapes[3] == out else {
                throw MinoError.shape("lstmBackward", shapes, "expected weight_hh [4H H], c0 [N H], "
                                      + "and lstm's output and its gradient [T N 6H] (T > 0)")
            }
            return TensorSpec([out[0] + 1, out[1], 4 * whh[1]], specs[0].dtype)
        },
        implementation: lstmBackwardImplementation,
        derivative: recomputed(lstmBackwardImplementation))

    /// A one-layer LSTM over a sequence, in PyTorch's gate order (i f g o): from the input
    /// `[T N I]`, `weight_ih` `[4H I]`, `weight_hh` `[4H H]`, `bias_ih`, `bias_hh` `[4H]` and
    /// the initial state `h0`, `c0` `[N H]`, every step's `[h c i f g o]` `[T N 6H]` (the
    /// state, then the activated gates the backward pass reads). The output sequence is
    /// `[…, 0..<H]`, the final state the last step's `h` and `c`.
    public static let lstm = OpDefinition(
        composite: "lstm",
        summary: "an LSTM layer over a sequence: every step's [h c i f g o] [T N 6H] from x [T N I], "
            + "weight_ih [4H I], weight_hh [4H H], bias_ih, bias_hh [4H], h0, c0 [N H]",
        signature: OpSignature(inputs: Array(repeating: .value, count: 7), attributes: .recurrentCell,
                               dtypes: .floating),
        torch: TorchCall("mino.lstm", (0..<7).map(TorchArgument.input)),
        fusedKernel: .lstm,
        shapeRule: { specs, _ in
            let (steps, batch, _, hidden) = try lstmDimensions("lstm", specs.map(\.shape))
            return TensorSpec([steps, batch, 6 * hidden], specs[0].dtype)
        },
        implementation: lstmImplementation,
        derivative: { c in
            let (x, wih, whh, h0, c0) = (c.inputs[0], c.inputs[1], c.inputs[2], c.inputs[5], c.inputs[6])
            let (steps, batch, input, hidden) = (x.shape[0], x.shape[1], x.shape[2], whh.shape[1])
            let need = c.needsGradient
            let g = try Dispatch.apply(lstmBackward, [whh, c0, c.output, c.upstream])
            // Every step's ∂gates as one [T·N 4H] matrix: the weights' gradients are one product each.
            let dPre = try g.narrow(axis: 0, start: 0, length: steps).reshape([steps * batch, 4 * hidden])
            var grads = [Tensor?](repeating: nil, count: 7)
            if need[0] { grads[0] = try dPre.matmul(wih).reshape(x.shape) }
            if need[1] { grads[1] = try dPre.transposed(0, 1).matmul(x.reshape([steps * batch, input])) }
            if need[2] {
                // The h each step read: h0, then the outputs of every step but the last.
                let earlier = try c.output.narrow(axis: 0, start: 0, length: steps - 1).narrow(axis: 2, start: 0, length: hidden)
                let previous = try Tensor.concat([h0.reshape([1, batch, hidden]), earlier], axis: 0)
                grads[2] = try dPre.transposed(0, 1).matmul(previous.reshape([steps * batch, hidden]))
            }
            if need[3] || need[4] {
                let db = try dPre.sum(axes: [0])
                grads[3] = need[3] ? db : nil
                grads[4] = need[4] ? db : nil
            }
            let initial = try g.narrow(axis: 0, start: steps, length: 1).reshape([batch, 4 * hidden])
            if need[5] { grads[5] = try initial.narrow(axis: 1, start: 0, length: hidden) }
            if need[6] { grads[6] = try initial.narrow(axis: 1, start: hidden, length: hidden) }
            return grads
        })
}

// MARK: - GRU

extension Ops {
    /// `(steps, batch, input, hidden)` of `gru`'s inputs, or a shape error naming them all.
    static func gruDimensions(_ shapes: [Shape]) throws -> (steps: Int, batch: Int, input: Int, hidden: Int) {
        let x = shapes[0], whh = shapes[2]
        guard x.rank == 3, whh.rank == 2 else {
            throw MinoError.shape("gru", shapes, "expected an input [T N I] and weight_hh [3H H]")
        }
        let (steps, batch, input, hidden) = (x[0], x[1], x[2], whh[1])
        let gates = Shape([3 * hidden])
        guard steps > 0, whh[0] == 3 * hidden, shapes[1] == Shape([3 * hidden, input]),
              shapes[3] == gates, shapes[4] == gates, shapes[5] == Shape([batch, hidden]) else {
            throw MinoError.shape("gru", shapes, "expected input [T N I] (T > 0), weight_ih [3H I], weight_hh [3H H], "
                                  + "bias_ih and bias_hh [3H], h0 [N H]")
        }
        return (steps, batch, input, hidden)
    }

    /// Every step's `[h r z n hn]` `[T N 5H]`, PyTorch's GRU: `r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)`,
    /// `z` likewise, `hn = h W_hnᵀ + b_hn`, `n = tanh(x W_inᵀ + b_in + r·hn)`, `h' = (1 − z)·n + z·h`.
    private static func gruImplementation(_ x: [Tensor], _: OpAttributes) throws -> Tensor {
        let (steps, batch, _, hidden) = try gruDimensions(x.map(\.shape))
        let projected = try x[0].linear(x[1], x[3])
        let recurrentWeight = try x[2].transposed(0, 1)
        var h = x[5]
        var rows: [Tensor] = []
        rows.reserveCapacity(steps)
        func part(_ t: Tensor, _ k: Int) throws -> Tensor { try t.narrow(axis: 1, start: k * hidden, length: hidden) }
        for t in 0..<steps {
            let gi = try projected.narrow(axis: 0, start: t, length: 1).reshape([batch, 3 * hidden])
            let gh = try h.matmul(recurrentWeight) + x[4]
            let r = try (part(gi, 0) + part(gh, 0)).sigmoid()
            let z = try (part(gi, 1) + part(gh, 1)).sigmoid()
            let hn = try part(gh, 2)
            let n = try (part(gi, 2) + r * hn).tanh()
            h = try n + z * (h - n)
            rows.append(try Tensor.concat([h, r, z, n, hn], axis: 1))
        }
        return try Tensor.stack(rows, axis: 0)
    }

    /// `[T+1 N 4H]`: rows `0..<T` each step's `[∂r ∂z ∂hn ∂n]` (the gradients of the pre-activations
    /// `r`, `z`, of `hn` and of `n`'s pre-activation), row `T` `[∂h0 0 0 0]`, from `weight_hh`, `h0`,
    /// `gru`'s output and the gradient of that output.
    private static func gruBackwardImplementation(_ x: [Tensor], _: OpAttributes) throws -> Tensor {
        let (whh, h0, out, up) = (x[0], x[1], x[2], x[3])
        let (steps, batch, hidden) = (out.shape[0], out.shape[1], whh.shape[1])
        func part(_ t: Tensor, _ step: Int, _ k: Int) throws -> Tensor {
            try t.narrow(axis: 0, start: step, length: 1).reshape([batch, 5 * hidden])
                .narrow(axis: 1, start: k * hidden, length: hidden)
        }
        var carry = try Tensor.zeros([batch, hidden], dtype: out.dtype, on: out.backend)
        var rows: [Tensor] = []
        for t in (0..<steps).reversed() {
            let (r, z, n, hn) = (try part(out, t, 1), try part(out, t, 2), try part(out, t, 3), try part(out, t, 4))
            let previous = t == 0 ? h0 : try part(out, t - 1, 0)
            let dh = try part(up, t, 0) + carry
            let dnPre = try (dh * (1 - z) + part(up, t, 3)) * (1 - n * n)
            let drPre = try (dnPre * hn + part(up, t, 1)) * r * (1 - r)
            let dzPre = try (dh * (previous - n) + part(up, t, 2)) * z * (1 - z)
            let dhn = try dnPre * r + part(up, t, 4)
            let recurrent = try Tensor.concat([drPre, dzPre, dhn], axis: 1)
            rows.append(try Tensor.concat([recurrent, dnPre], axis: 1))
            carry = try dh * z + recurrent.matmul(whh)
        }
        rows.reverse()
        rows.append(try Tensor.concat([carry, Tensor.zeros([batch, 3 * hidden], dtype: out.dtype, on: out.backend)], axis: 1))
        return try Tensor.stack(rows, axis: 0)
    }

    /// The backward pass of ``gru`` through time as one op (see its implementation for the layout).
    public static let gruBackward = OpDefinition(
        composite: "gruBackward",
        summary: "the gradient of gru through time: [T+1 N 4H] (each step's [∂r ∂z ∂hn ∂n], then [∂h0 0 0 0]) "
            + "from weight_hh [3H H], h0 [N H], gru's output and its gradient [T N 5H]",
        signature: OpSignature(inputs: [.value, .value, .value, .value], attributes: .recurrentCell, dtypes: .floating),
        torch: TorchCall("mino.gru_backward", (0..<4).map(TorchArgument.input)),
        fusedKernel: .gruBackward,
        shapeRule: { specs, _ in
            let shapes = specs.map(\.shape)
            let (whh, h0, out) = (shapes[0], shapes[1], shapes[2])
            guard whh.rank == 2, h0.rank == 2, out.rank == 3, whh[0] == 3 * whh[1], h0[1] == whh[1],
                  out[0] > 0, out[1] == h0[0], out[2] == 5 * whh[1], shapes[3] == out else {
                throw MinoError.shape("gruBackward", shapes, "expected weight_hh [3H H], h0 [N H], "
                                      + "and gru's output and its gradient [T N 5H] (T > 0)")
            }
            return TensorSpec([out[0] + 1, out[1], 4 * whh[1]], specs[0].dtype)
        },
        implementation: gruBackwardImplementation,
        derivative: recomputed(gruBackwardImplementation))

    /// A one-layer GRU over a sequence, in PyTorch's gate order (r z n, `b_hn` inside the reset
    /// product): from the input `[T N I]`, `weight_ih` `[3H I]`, `weight_hh` `[3H H]`, `bias_ih`,
    /// `bias_hh` `[3H]` and `h0` `[N H]`, every step's `[h r z n hn]` `[T N 5H]` (the state, then
    /// what the backward pass reads). The output sequence is `[…, 0..<H]`.
    public static let gru = OpDefinition(
        composite: "gru",
        summary: "a GRU layer over a sequence: every step's [h r z n hn] [T N 5H] from x [T N I], "
            + "weight_ih [3H I], weight_hh [3H H], bias_ih, bias_hh [3H], h0 [N H]",
        signature: OpSignature(inputs: Array(repeating: .value, count: 6), attributes: .recurrentCell,
                               dtypes: .floating),
        torch: TorchCall("mino.gru", (0..<6).map(TorchArgument.input)),
        fusedKernel: .gru,
        shapeRule: { specs, _ in
            let (steps, batch, _, hidden) = try gruDimensions(specs.map(\.shape))
            return TensorSpec([steps, batch, 5 * hidden], specs[0].dtype)
        },
        implementation: gruImplementation,
        derivative: { c in
            let (x, wih, whh, h0) = (c.inputs[0], c.inputs[1], c.inputs[2], c.inputs[5])
            let (steps, batch, input, hidden) = (x.shape[0], x.shape[1], x.shape[2], whh.shape[1])
            let need = c.needsGradient
            let g = try Dispatch.apply(gruBackward, [whh, h0, c.output, c.upstream])
            let all = try g.narrow(axis: 0, start: 0, length: steps).reshape([steps * batch, 4 * hidden])
            // ∂ of the hidden product h W_hhᵀ + b_hh: [∂r ∂z ∂hn]; of the input product: [∂r ∂z ∂n].
            let dHidden = try all.narrow(axis: 1, start: 0, length: 3 * hidden)
            let dInput = need[0] || need[1] || need[3]
                ? try Tensor.concat([all.narrow(axis: 1, start: 0, length: 2 * hidden),
                                     all.narrow(axis: 1, start: 3 * hidden, length: hidden)], axis: 1) : nil
            var grads = [Tensor?](repeating: nil, count: 6)
            if need[0], let dInput { grads[0] = try dInput.matmul(wih).reshape(x.shape) }
            if need[1], let dInput {
                grads[1] = try dInput.transposed(0, 1).matmul(x.reshape([steps * batch, input]))
            }
            if need[2] {
                let earlier = try c.output.narrow(axis: 0, start: 0, length: steps - 1).narrow(axis: 2, start: 0, length: hidden)
                let previous = try Tensor.concat([h0.reshape([1, batch, hidden]), earlier], axis: 0)
                grads[2] = try dHidden.transposed(0, 1).matmul(previous.reshape([steps * batch, hidden]))
            }
            if need[3], let dInput { grads[3] = try dInput.sum(axes: [0]) }
            if need[4] { grads[4] = try dHidden.sum(axes: [0]) }
            if need[5] {
                grads[5] = try g.narrow(axis: 0, start: steps, length: 1).reshape([batch, 4 * hidden])
                    .narrow(axis: 1, start: 0, length: hidden)
            }
            return grads
        })
}

// MARK: - The LSTM cell

extension Ops {
    /// The gates `i, f, g, o` of pre-activations `[N 4H]`, activated.
    static func lstmGates(_ a: Tensor) throws -> (i: Tensor, f: Tensor, g: Tensor, o: Tensor) {
        let h = a.shape[1] / 4
        func part(_ k: Int) throws -> Tensor { try a.narrow(axis: 1, start: k * h, length: h) }
        return (try part(0).sigmoid(), try part(1).sigmoid(), try part(2).tanh(), try part(3).sigmoid())
    }

    static func lstmCellRule(_ op: String, extra: Int) -> ([TensorSpec], inout OpAttributes) throws -> TensorSpec {
        { specs, _ in
            let shapes = specs.map(\.shape)
            let (a, c) = (shapes[0], shapes[1])
            guard a.rank == 2, c.rank == 2, a[0] == c[0], a[1] == 4 * c[1],
                  extra == 0 || shapes[2] == Shape([c[0], 2 * c[1]]) else {
                throw MinoError.shape(op, shapes, "expected gate pre-activations [N 4H] and a cell state [N H]"
                                      + (extra == 0 ? "" : " and the gradient of [h c] [N 2H]"))
            }
            return TensorSpec([c[0], (extra == 0 ? 2 : 5) * c[1]], specs[0].dtype)
        }
    }

    private static func lstmCellBackwardImplementation(_ x: [Tensor], _ a: OpAttributes) throws -> Tensor {
        let (pre, c, up) = (x[0], x[1], x[2])
        let h = c.shape[1]
        let (i, f, g, o) = try lstmGates(pre)
        let tc = try (f * c + i * g).tanh()
        let dh = try up.narrow(axis: 1, start: 0, length: h), dc = try up.narrow(axis: 1, start: h, length: h)
        // dc' = dc + dh·o·(1 − tanh²c'); then each gate through its own activation.
        let total = try dc + dh * o * (1 - tc * tc)
        return try Tensor.concat([total * g * i * (1 - i), total * c * f * (1 - f), total * i * (1 - g * g),
                                  dh * tc * o * (1 - o), total * f], axis: 1)
    }

    /// The gradient of ``lstmCell`` as one op: `[∂gates ∂c]` `[N 5H]` from the gates' pre-activations,
    /// the cell state and the gradient of `[h' c']`. A backend may run it as one pass.
    public static let lstmCellBackward = OpDefinition(
        composite: "lstmCellBackward", summary: "the gradient of lstmCell: [∂gates ∂c] from gates [N 4H], c [N H], ∂[h c] [N 2H]",
        signature: OpSignature(inputs: [.value, .value, .value], attributes: .recurrentCell, dtypes: .floating),
        torch: TorchCall("mino.lstm_cell_backward", [.input(0), .input(1), .input(2)]),
        fusedKernel: .lstmCellBackward,
        shapeRule: lstmCellRule("lstmCellBackward", extra: 1),
        implementation: lstmCellBackwardImplementation,
        derivative: recomputed(lstmCellBackwardImplementation))

    /// One LSTM step in PyTorch's gate order: `[h' c']` `[N 2H]` from gate pre-activations
    /// `[N 4H]` (`x W_ihᵀ + b_ih + h W_hhᵀ + b_hh`) and the cell state `c` `[N H]`:
    /// `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')`.
    public static let lstmCell = OpDefinition(
        composite: "lstmCell", summary: "one LSTM step: [h' c'] from gate pre-activations [N 4H] (i f g o) and c [N H]",
        signature: OpSignature(inputs: [.value, .value], attributes: .recurrentCell, dtypes: .floating),
        torch: TorchCall("mino.lstm_cell", [.input(0), .input(1)]),
        fusedKernel: .lstmCell,
        shapeRule: lstmCellRule("lstmCell", extra: 0),
        implementation: { x, _ in
            let (i, f, g, o) = try lstmGates(x[0])
            let c = try f * x[1] + i * g
            return try Tensor.concat([o * c.tanh(), c], axis: 1)
        },
        derivative: { c in
            let grads = try Dispatch.apply(lstmCellBackward, [c.inputs[0], c.inputs[1], c.upstream])
            let h = c.inputs[1].shape[1]
            return [c.needsGradient[0] ? try grads.narrow(axis: 1, start: 0, length: 4 * h) : nil,
                    c.needsGradient[1] ? try grads.narrow(axis: 1, start: 4 * h, length: h) : nil]
        })
}
