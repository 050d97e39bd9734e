import MinoCore
import MinoLisp

/// Models back to source: MinoTauro's `hy-repr` of mu trees, and beyond it, valid
/// source for built-in layers and named functions.
///
/// `(bind (mu [x w b] (+ (@ x w) b)) :w (torch.nn.Parameter (torch.empty (, 3 2) :dtype torch.float32)) …)`:
/// a mu reverts to an anonymous `mu` (the `defmu` name is not kept, as in MinoTauro),
/// bound to its components in component order under their Hy names. Parameters keep
/// their shape and dtype (values travel in safetensors beside the source); child mus
/// and layers revert recursively; functions revert by name where they have one
/// (`torch.relu`); numbers, strings and booleans as literals. Plain tensors and
/// anonymous functions are left out, as MinoTauro leaves them out.
public enum Reversion {
    /// Hy's `hy-repr` of any value: models revert to source, other values print as Hy.
    public static func source(of value: Value) throws -> String {
        switch value {
        case .object(let m as ModuleValue): return try m.source()
        case .parameter(let t): return parameterSource(t)
        default: return value.repr
        }
    }

    static func muSource(_ mu: MuObject) throws -> String {
        let d = mu.definition
        let body = d.body.map { Printer.oneLine($0) }.joined(separator: " ")
        let base = "(mu [\(d.components.joined(separator: " "))] \(body))"
        var bound: [String] = []
        for c in d.components {
            guard let v = mu.bindings[c], let text = try bindableSource(v) else { continue }
            bound.append(":\(c) \(text)")
        }
        return bound.isEmpty ? base : "(bind \(base) " + bound.joined(separator: " ") + ")"
    }

    static func bindableSource(_ value: Value) throws -> String? {
        switch value {
        case .object(let m as ModuleValue): return try m.source()
        case .parameter(let t): return parameterSource(t)
        case .function(let f): return f.sourceName
        case .int, .float, .bool, .string: return value.repr
        default: return nil
        }
    }

    /// `(torch.nn.Parameter (torch.empty (, 3 2) :dtype torch.float32))`.
    static func parameterSource(_ t: Tensor) -> String {
        let dims = t.shape.dims.isEmpty ? "(,)" : "(, " + t.shape.dims.map(String.init).joined(separator: " ") + ")"
        return "(torch.nn.Parameter (torch.empty \(dims) :dtype \(t.dtype.info.torchName)))"
    }
}
