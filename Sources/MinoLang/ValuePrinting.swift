import Foundation
import MinoCore
import MinoLisp

// How values print. Two spellings, as in Hy: `repr` is Hy's (`[1 2]`, `"a"`,
// `(, 1 2)`; what the REPL and `mino eval` echo) and `str` is Python's (`[1, 2]`,
// `a`; what `print`, `str` and `.format` produce). Tensors print as PyTorch's.

extension Value {
    /// Hy's repr.
    public var repr: String { Value.guarded { reprInside() } }

    /// Python's str.
    public var str: String { Value.guarded { strInside() } }

    /// Printing nests through lists and dicts; a list that contains itself prints as
    /// `[...]` (as Python's), and nesting deeper than `maxPrintDepth` is elided.
    static let maxPrintDepth = 200

    /// What the printing on this thread is inside of.
    private final class PrintState {
        var depth = 0
        var open: Set<ObjectIdentifier> = []
    }

    private static var printState: PrintState {
        let key = "mino.printState"
        if let state = Thread.current.threadDictionary[key] as? PrintState { return state }
        let state = PrintState()
        Thread.current.threadDictionary[key] = state
        return state
    }

    private static func guarded(_ body: () -> String) -> String {
        let state = printState
        guard state.depth < maxPrintDepth else { return "..." }
        state.depth += 1
        defer { state.depth -= 1 }
        return body()
    }

    private static func container(_ object: AnyObject, _ body: () -> String) -> String {
        let state = printState
        let id = ObjectIdentifier(object)
        guard !state.open.contains(id) else { return "[...]" }
        state.open.insert(id)
        defer { state.open.remove(id) }
        return body()
    }

    private func reprInside() -> String {
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return Value.floatText(d)
        case .string(let s): return Printer.string(s)
        case .keyword(let k): return ":" + k
        case .form(let e): return "'" + Printer.oneLine(e)
        case .list(let l): return Value.container(l) { "[" + l.items.map(\.repr).joined(separator: " ") + "]" }
        case .tuple(let t): return t.isEmpty ? "(,)" : "(, " + t.map(\.repr).joined(separator: " ") + ")"
        case .dict(let d): return Value.container(d) { "{" + d.pairs.map { "\($0.repr) \($1.repr)" }.joined(separator: " ") + "}" }
        case .tensor(let t): return TensorPrinter.repr(t, parameter: false)
        case .parameter(let t): return TensorPrinter.repr(t, parameter: true)
        case .function(let f): return "<function \(f.name)>"
        case .object(let o): return o.repr
        }
    }

    private func strInside() -> String {
        switch self {
        case .string(let s): return s
        case .form(let e): return Printer.oneLine(e)
        case .list(let l): return Value.container(l) { "[" + l.items.map(\.pyRepr).joined(separator: ", ") + "]" }
        case .tuple(let t): return t.count == 1 ? "(\(t[0].pyRepr),)" : "(" + t.map(\.pyRepr).joined(separator: ", ") + ")"
        case .dict(let d): return Value.container(d) { "{" + d.pairs.map { "\($0.pyRepr): \($1.pyRepr)" }.joined(separator: ", ") + "}" }
        case .object(let o): return o.str
        default: return repr
        }
    }

    /// Python's repr (elements inside a printed list: `'a'`, `1.5`).
    public var pyRepr: String {
        switch self {
        case .string(let s):
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
                .replacingOccurrences(of: "\n", with: "\\n")
            return "'" + escaped + "'"
        default: return str
        }
    }

    /// Python's float repr: `2.5`, `1e-05`, `100.0`, `inf`, `nan`.
    static func floatText(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d > 0 ? "inf" : "-inf" }
        var text = "\(d)"
        if !text.contains(".") && !text.contains("e") { text += ".0" }
        return text
    }
}

/// PyTorch's tensor repr: `tensor([[0.1000, 0.2000]], grad_fn=<AddBackward0>)`.
public enum TensorPrinter {
    /// Above this many elements, each axis shows its first and last three entries.
    static let summarizeThreshold = 1000
    static let edgeItems = 3
    static let lineWidth = 80

    public static func repr(_ t: Tensor, parameter: Bool) -> String {
        let prefix = parameter ? "Parameter containing:\ntensor(" : "tensor("
        var body: String
        if let host = try? t.toHost() {
            body = format(host, indent: "tensor(".count)
        } else {
            body = "<values unavailable>"
        }
        var suffixes: [String] = []
        if t.elementCount == 0 && t.rank != 1 { suffixes.append("size=(\(t.shape.dims.map(String.init).joined(separator: ", "))\(t.rank == 1 ? "," : ""))") }
        if t.dtype != .float32 && t.dtype != .int64 { suffixes.append("dtype=\(t.dtype.info.torchName)") }
        if t.dtype == .int64 && t.elementCount == 0 { suffixes.append("dtype=torch.int64") }
        if let creator = t.creator {
            let name = creator.definition.name
            suffixes.append("grad_fn=<\(name.prefix(1).uppercased() + name.dropFirst())Backward0>")
        } else if t.requiresGrad {
            suffixes.append("requires_grad=True")
        }
        if !suffixes.isEmpty { body += ", " + suffixes.joined(separator: ", ") }
        return prefix + body + ")"
    }

    /// The values of a host array as PyTorch nests them.
    static func format(_ host: HostArray, indent: Int) -> String {
        let values = host.doubles
        let dims = host.shape.dims
        let summarize = values.count > summarizeThreshold
        let formatter = ElementFormatter(values: visibleValues(values, dims: dims, summarize: summarize),
                                         isInteger: host.dtype == .int64)
        if dims.isEmpty { return formatter.text(values.first ?? 0) }
        return nested(values, dims: dims, offset: 0, axis: 0, indent: indent, summarize: summarize, formatter: formatter)
    }

    private static func visibleValues(_ values: [Double], dims: [Int], summarize: Bool) -> [Double] {
        guard summarize else { return values }
        // Good enough for choosing the format: the first and last few hundred values.
        return Array(values.prefix(500)) + Array(values.suffix(500))
    }

    private static func nested(_ values: [Double], dims: [Int], offset: Int, axis: Int, indent: Int,
                               summarize: Bool, formatter: ElementFormatter) -> String {
        let size = dims[axis]
        let stride = dims[(axis + 1)...].reduce(1, *)
        var indices: [Int?] = Array(0..<size)
        if summarize && size > 2 * edgeItems {
            indices = Array(0..<edgeItems) + [nil] + Array((size - edgeItems)..<size)
        }
        if axis == dims.count - 1 {
            let items = indices.map { i in i.map { formatter.text(values[offset + $0]) } ?? "..." }
            let perLine = max(1, (lineWidth - indent) / (formatter.width + 2))
            var lines: [String] = []
            var start = 0
            while start < items.count {
                lines.append(items[start..<min(items.count, start + perLine)].joined(separator: ", "))
                start += perLine
            }
            if lines.isEmpty { return "[]" }
            return "[" + lines.joined(separator: ",\n" + String(repeating: " ", count: indent + 1)) + "]"
        }
        let separator = "," + String(repeating: "\n", count: dims.count - axis - 1)
            + String(repeating: " ", count: indent + 1)
        let parts = indices.map { i -> String in
            guard let i else { return "..." }
            return nested(values, dims: dims, offset: offset + i * stride, axis: axis + 1, indent: indent + 1,
                          summarize: summarize, formatter: formatter)
        }
        return "[" + parts.joined(separator: separator) + "]"
    }

    /// PyTorch's `_Formatter`: integers as is; floats with 4 decimals, as `1.` when every
    /// value is integral, in scientific notation when the range is wide.
    struct ElementFormatter {
        enum Mode { case integer, integralFloat, fixed, scientific }
        let mode: Mode
        let width: Int

        init(values: [Double], isInteger: Bool) {
            let finite = values.filter { $0.isFinite }
            if isInteger {
                mode = .integer
            } else if finite.allSatisfy({ $0 == $0.rounded() }) {
                let maxAbs = finite.map { Swift.abs($0) }.max() ?? 0
                mode = maxAbs >= 1e8 ? .scientific : .integralFloat
            } else {
                let nonzero = finite.map { Swift.abs($0) }.filter { $0 != 0 }
                let (lo, hi) = (nonzero.min() ?? 1, nonzero.max() ?? 1)
                mode = (hi / lo > 1000 || hi > 1e8 || lo < 1e-4) ? .scientific : .fixed
            }
            let probe = ElementFormatter(mode: mode, width: 0)
            width = values.map { probe.text($0).count }.max() ?? 1
        }

        private init(mode: Mode, width: Int) {
            self.mode = mode
            self.width = width
        }

        func text(_ value: Double) -> String {
            let raw: String
            if value.isNaN { raw = "nan" } else if value.isInfinite { raw = value > 0 ? "inf" : "-inf" } else {
                switch mode {
                case .integer: raw = String(Int64(value))
                case .integralFloat: raw = String(format: "%.0f.", value)
                case .fixed: raw = String(format: "%.4f", value)
                case .scientific: raw = String(format: "%.4e", value)
                }
            }
            return raw.count >= width ? raw : String(repeating: " ", count: width - raw.count) + raw
        }
    }
}
