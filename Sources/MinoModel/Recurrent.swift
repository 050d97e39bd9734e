import Foundation
import MinoCore

/// The cell of a recurrent layer, with PyTorch's gate order.
public enum RecurrentMode: String, Sendable {
    /// `h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`
    case rnnTanh = "RNN_TANH"
    /// `h' = relu(W_ih x + b_ih + W_hh h + b_hh)`
    case rnnRelu = "RNN_RELU"
    /// Gates `i, f, g, o`: `c' = σ(f)·c + σ(i)·tanh(g)`, `h' = σ(o)·tanh(c')`.
    case lstm = "LSTM"
    /// Gates `r, z, n`: `n = tanh(W_in x + b_in + σ(r)·(W_hn h + b_hn))`, `h' = (1 − σ(z))·n + σ(z)·h`.
    case gru = "GRU"

    /// Rows of `weight_ih` per hidden unit: the number of gates.
    public var gates: Int {
        switch self {
        case .rnnTanh, .rnnRelu: return 1
        case .lstm: return 4
        case .gru: return 3
        }
    }
}

/// The state a recurrent layer carries: `h` `[layers, N, hidden]`, and `c` for an LSTM.
public struct RecurrentState {
    public var h: Tensor
    public var c: Tensor?

    public init(h: Tensor, c: Tensor? = nil) {
        self.h = h
        self.c = c
    }
}

/// `nn.RNN`, `nn.LSTM` and `nn.GRU` as composites of registered ops (linear,
/// sigmoid, tanh, …), so every backend runs them and gradients come from the
/// ops' own derivatives. Parameters carry PyTorch's names
/// (`weight_ih_l0`, `weight_hh_l0`, `bias_ih_l0`, `bias_hh_l0`, then `_l1` …)
/// and layouts (`weight_ih_l0` is `[gates·hidden, input]`, gates stacked in
/// PyTorch's order), drawn from U(±1/√hidden) as PyTorch does.
///
/// Input `[T N input]` (`[N T input]` with `batchFirst`); output `[T N hidden]`
/// (or `[N T hidden]`) from the last layer, and the final state of every layer.
/// The input projection of all time steps is one product per layer; an LSTM
/// and GRU layer is one op (``Ops/lstm``, ``Ops/gru``), which a backend may run as one kernel.
public final class Recurrent: Module {
    public let mode: RecurrentMode
    public let inputSize: Int
    public let hiddenSize: Int
    public let numLayers: Int
    public let batchFirst: Bool
    public let hasBias: Bool
    /// Per layer: `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh` (biases nil without bias).
    public let layers: [(weightIH: Tensor, weightHH: Tensor, biasIH: Tensor?, biasHH: Tensor?)]

    public init(_ mode: RecurrentMode, inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true,
                batchFirst: Bool = false, dtype: DType = .float32, generator: RandomGenerator? = nil,
                on backend: (any Backend)? = nil) throws {
        let name = Recurrent.className(mode)
        for (what, v) in [("input_size", inputSize), ("hidden_size", hiddenSize), ("num_layers", numLayers)] where v <= 0 {
            throw MinoError.argument(name, "\(what) must be positive, got \(v)")
        }
        self.mode = mode
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.batchFirst = batchFirst
        hasBias = bias
        let g = generator ?? RandomGenerator.default
        let bound = 1 / Double(hiddenSize).squareRoot()
        let uniform = Initializer.uniform(low: -bound, high: bound)
        let rows = mode.gates * hiddenSize
        var made: [(Tensor, Tensor, Tensor?, Tensor?)] = []
        for layer in 0..<numLayers {
            let input = layer == 0 ? inputSize : hiddenSize
            let wih = try uniform.makeParameter([rows, input], dtype: dtype, generator: g, on: backend,
                                                name: "weight_ih_l\(layer)")
            let whh = try uniform.makeParameter([rows, hiddenSize], dtype: dtype, generator: g, on: backend,
                                                name: "weight_hh_l\(layer)")
            let bih = bias ? try uniform.makeParameter([rows], dtype: dtype, generator: g, on: backend,
                                                       name: "bias_ih_l\(layer)") : nil
            let bhh = bias ? try uniform.makeParameter([rows], dtype: dtype, generator: g, on: backend,
                                                       name: "bias_hh_l\(layer)") : nil
            made.append((wih, whh, bih, bhh))
        }
        layers = made.map { (weightIH: $0.0, weightHH: $0.1, biasIH: $0.2, biasHH: $0.3) }
    }

    static func className(_ mode: RecurrentMode) -> String {
        switch mode {
        case .rnnTanh, .rnnRelu: return "RNN"
        case .lstm: return "LSTM"
        case .gru: return "GRU"
        }
    }

    public var namedParameters: [(name: String, tensor: Tensor)] {
        layers.enumerated().flatMap { i, l -> [(name: String, tensor: Tensor)] in
            var list: [(name: String, tensor: Tensor)] = [("weight_ih_l\(i)", l.weightIH), ("weight_hh_l\(i)", l.weightHH)]
            if let b = l.biasIH { list.append(("bias_ih_l\(i)", b)) }
            if let b = l.biasHH { list.append(("bias_hh_l\(i)", b)) }
            return list
        }
    }

    /// The output sequence alone.
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try forward(input).output }

    /// The output sequence and the final state, from `state` (zeros when nil).
    ///
    /// - Throws: ``MinoError`` `.shape` naming the layer and the shapes when the input is not
    ///   `[T N input]` (or `[N T input]`), or the state is not `[layers N hidden]` (and `c` for an LSTM).
    public func forward(_ input: Tensor, _ state: RecurrentState? = nil) throws -> (output: Tensor, state: RecurrentState) {
        let name = Recurrent.className(mode)
        guard input.rank == 3, input.shape[2] == inputSize else {
            throw MinoError.shape(name, [input.shape], "expected an input [\(batchFirst ? "N T" : "T N") \(inputSize)]")
        }
        let x = batchFirst ? try input.transposed(0, 1) : input
        let (steps, batch) = (x.shape[0], x.shape[1])
        let stateShape = Shape([numLayers, batch, hiddenSize])
        if let s = state {
            guard s.h.shape == stateShape, (mode == .lstm) == (s.c != nil), s.c.map({ $0.shape == stateShape }) ?? true else {
                throw MinoError.shape(name, [input.shape, s.h.shape] + (s.c.map { [$0.shape] } ?? []),
                                      "expected h\(mode == .lstm ? " and c" : "") of shape \(stateShape)")
            }
        }
        guard steps > 0 else { throw MinoError.shape(name, [input.shape], "the sequence is empty") }
        let zeros = try Tensor.zeros(stateShape, dtype: input.dtype, on: input.backend)
        let h0 = state?.h ?? zeros
        let c0 = mode == .lstm ? (state?.c ?? zeros) : nil

        var sequence = x
        var finalH: [Tensor] = [], finalC: [Tensor] = []
        let hidden = hiddenSize
        for (i, l) in layers.enumerated() {
            var h = try h0.narrow(axis: 0, start: i, length: 1).reshape([batch, hidden])
            let c = try c0?.narrow(axis: 0, start: i, length: 1).reshape([batch, hidden])
            func bias(_ b: Tensor?) throws -> Tensor {
                try b ?? Tensor.zeros([mode.gates * hidden], dtype: x.dtype, on: x.backend)
            }
            if mode == .lstm, let c {
                // The whole layer as one op (one kernel on blas): every step's [h c i f g o].
                let all = try Dispatch.apply(Ops.lstm, [sequence, l.weightIH, l.weightHH, try bias(l.biasIH),
                                                        try bias(l.biasHH), h, c])
                let last = try all.narrow(axis: 0, start: steps - 1, length: 1).reshape([batch, 6 * hidden])
                sequence = try all.narrow(axis: 2, start: 0, length: hidden)
                finalH.append(try last.narrow(axis: 1, start: 0, length: hidden))
                finalC.append(try last.narrow(axis: 1, start: hidden, length: hidden))
                continue
            }
            if mode == .gru {
                // Likewise: every step's [h r z n hn].
                let all = try Dispatch.apply(Ops.gru, [sequence, l.weightIH, l.weightHH, try bias(l.biasIH),
                                                       try bias(l.biasHH), h])
                sequence = try all.narrow(axis: 2, start: 0, length: hidden)
                finalH.append(try all.narrow(axis: 0, start: steps - 1, length: 1).reshape([batch, 5 * hidden])
                    .narrow(axis: 1, start: 0, length: hidden))
                continue
            }
            // The input projection of every step at once: [T N gates·hidden].
            let projected = try l.biasIH.map { try sequence.linear(l.weightIH, $0) } ?? sequence.linear(l.weightIH)
            var outputs: [Tensor] = []
            outputs.reserveCapacity(steps)
            for t in 0..<steps {
                let xi = try projected.narrow(axis: 0, start: t, length: 1).reshape([batch, mode.gates * hidden])
                let hh = try l.biasHH.map { try h.linear(l.weightHH, $0) } ?? h.linear(l.weightHH)
                switch mode {
                case .rnnTanh:
                    h = try (xi + hh).tanh()
                case .rnnRelu:
                    h = try (xi + hh).relu()
                case .lstm, .gru:
                    break  // whole-layer ops, above
                }
                outputs.append(h)
            }
            sequence = try Tensor.stack(outputs, axis: 0)
            finalH.append(h)
        }
        let output = batchFirst ? try sequence.transposed(0, 1) : sequence
        let final = RecurrentState(h: try Tensor.stack(finalH, axis: 0),
                                   c: mode == .lstm ? try Tensor.stack(finalC, axis: 0) : nil)
        return (output, final)
    }
}

/// `nn.RNN(input_size, hidden_size, num_layers, nonlinearity, bias, batch_first)`.
public func RNN(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, nonlinearity: String = "tanh", bias: Bool = true,
                batchFirst: Bool = false, dtype: DType = .float32, generator: RandomGenerator? = nil,
                on backend: (any Backend)? = nil) throws -> Recurrent {
    let mode: RecurrentMode
    switch nonlinearity {
    case "tanh": mode = .rnnTanh
    case "relu": mode = .rnnRelu
    default: throw MinoError.argument("RNN", "unknown nonlinearity '\(nonlinearity)'; choose tanh or relu")
    }
    return try Recurrent(mode, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                         batchFirst: batchFirst, dtype: dtype, generator: generator, on: backend)
}

/// `nn.LSTM(input_size, hidden_size, num_layers, bias, batch_first)`.
public func LSTM(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                 dtype: DType = .float32, generator: RandomGenerator? = nil,
                 on backend: (any Backend)? = nil) throws -> Recurrent {
    try Recurrent(.lstm, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                  batchFirst: batchFirst, dtype: dtype, generator: generator, on: backend)
}

/// `nn.GRU(input_size, hidden_size, num_layers, bias, batch_first)`.
public func GRU(inputSize: Int, hiddenSize: Int, numLayers: Int = 1, bias: Bool = true, batchFirst: Bool = false,
                dtype: DType = .float32, generator: RandomGenerator? = nil,
                on backend: (any Backend)? = nil) throws -> Recurrent {
    try Recurrent(.gru, inputSize: inputSize, hiddenSize: hiddenSize, numLayers: numLayers, bias: bias,
                  batchFirst: batchFirst, dtype: dtype, generator: generator, on: backend)
}
