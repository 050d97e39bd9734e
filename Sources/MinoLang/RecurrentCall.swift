import MinoCore
import MinoModel

/// Calling `nn.LSTM`, `nn.GRU` or `nn.RNN` from `.mu` as PyTorch does:
/// `(lstm x)` or `(lstm x (, h0 c0))` gives `(, output (, h c))`; `(gru x h0)` gives
/// `(, output h)`. A missing state starts at zeros.
enum RecurrentCall {
    static func invoke(_ layer: Recurrent, _ name: String, _ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value {
        let state = try Arguments("\(name).forward", [("input", nil), ("hx", Value.none)], arguments, keywords)
        guard let x = state["input"].tensor else {
            throw LangError.type("\(name).forward() takes a tensor input, not \(state["input"].typeName)")
        }
        let initial = try self.state(state["hx"], layer, name)
        let (output, final) = try layer.forward(x, initial)
        if let c = final.c {
            return .tuple([.tensor(output), .tuple([.tensor(final.h), .tensor(c)])])
        }
        return .tuple([.tensor(output), .tensor(final.h)])
    }

    /// `hx`: None, a tensor `h0` (RNN, GRU) or a pair `(, h0 c0)` (LSTM).
    static func state(_ hx: Value, _ layer: Recurrent, _ name: String) throws -> RecurrentState? {
        if case .none = hx { return nil }
        if layer.mode == .lstm {
            guard case .tuple(let items) = hx, items.count == 2, let h = items[0].tensor, let c = items[1].tensor else {
                throw LangError.type("\(name).forward(): hx must be a pair (, h0 c0) of tensors, not \(hx.typeName)")
            }
            return RecurrentState(h: h, c: c)
        }
        guard let h = hx.tensor else { throw LangError.type("\(name).forward(): hx must be a tensor h0, not \(hx.typeName)") }
        return RecurrentState(h: h)
    }
}
