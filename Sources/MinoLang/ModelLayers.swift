import MinoCore
import MinoModel

/// How a Model-layer module appears in `.mu`: PyTorch's class name and `extra_repr`,
/// the source that rebuilds it, and its `torch.nn` constructor for export.
struct LayerSpec {
    let name: String
    let extra: String
    let source: String
    let python: String
}

/// The convolution, pooling, normalisation and embedding layers of `torch.nn` as `.mu`
/// components, over the Model layer's modules.
enum ModelLayers {
    /// Python's spelling of a tuple of ints: `(5, 5)`, `(3,)`.
    static func pyTuple(_ values: [Int]) -> String {
        values.count == 1 ? "(\(values[0]),)" : "(" + values.map(String.init).joined(separator: ", ") + ")"
    }

    /// `.mu`'s spelling: `(, 5 5)`.
    static func muTuple(_ values: [Int]) -> String { "(, " + values.map(String.init).joined(separator: " ") + ")" }

    /// An int or a tuple of ints as `count` values (`3` → `[3, 3]`).
    static func ints(_ a: Arguments, _ key: String, count: Int) throws -> [Int] {
        let v = a[key]
        if let i = v.integer { return Array(repeating: i, count: count) }
        let items = try TorchOps.integers(v, key, a.function)
        guard items.count == count else { throw LangError.value("\(a.function)(): \(key) must have \(count) values, got \(items.count)") }
        return items
    }

    static func install(into nn: NamespaceObject, _ interpreter: Interpreter) {
        func layer(_ name: String, _ parameters: [(String, Value?)], _ make: @escaping (Arguments) throws -> (Module, LayerSpec)) {
            nn.define(name, .object(TypeObject(name, sourceName: "torch.nn.\(name)", test: { v in
                if case .object(let o as LayerObject) = v { return o.moduleName == name }
                return false
            }, construct: { args, keywords in
                let (module, spec) = try make(try Arguments("nn.\(name)", parameters, args, keywords))
                return .object(LayerObject(.model(module, spec), generator: interpreter.generator))
            })))
        }
        let backend = interpreter.backend
        func dtype(_ a: Arguments) throws -> DType { try TensorFactory.dtype(a["dtype"]) ?? .defaultFloat }

        for (name, rank) in [("Conv2d", 2), ("Conv1d", 1)] {
            layer(name, [("in_channels", nil), ("out_channels", nil), ("kernel_size", nil), ("stride", .int(1)), ("padding", .int(0)),
                         ("dilation", .int(1)), ("groups", .int(1)), ("bias", .bool(true)), ("dtype", Value.none)]) { a in
                let (cin, cout, groups) = (try a.int("in_channels"), try a.int("out_channels"), try a.int("groups"))
                let k = try ints(a, "kernel_size", count: rank), s = try ints(a, "stride", count: rank)
                let p = try ints(a, "padding", count: rank), d = try ints(a, "dilation", count: rank)
                let bias = try a.bool("bias")
                let module: Module = rank == 2
                    ? try Conv2d(cin, cout, kernelSize: k, stride: s, padding: p, dilation: d, groups: groups, bias: bias,
                                 dtype: try dtype(a), generator: interpreter.generator, on: backend)
                    : try Conv1d(cin, cout, kernelSize: k[0], stride: s[0], padding: p[0], dilation: d[0], groups: groups, bias: bias,
                                 dtype: try dtype(a), generator: interpreter.generator, on: backend)
                // PyTorch's extra_repr: the defaults it leaves out.
                var extra = "\(cin), \(cout), kernel_size=\(pyTuple(k)), stride=\(pyTuple(s))"
                if p.contains(where: { $0 != 0 }) { extra += ", padding=\(pyTuple(p))" }
                if d.contains(where: { $0 != 1 }) { extra += ", dilation=\(pyTuple(d))" }
                if groups != 1 { extra += ", groups=\(groups)" }
                if !bias { extra += ", bias=False" }
                let flag = bias ? "True" : "False"
                return (module, LayerSpec(
                    name: name, extra: extra,
                    source: "(torch.nn.\(name) :in_channels \(cin) :out_channels \(cout) :kernel_size \(muTuple(k)) :stride \(muTuple(s)) "
                        + ":padding \(muTuple(p)) :dilation \(muTuple(d)) :groups \(groups) :bias \(flag))",
                    python: "nn.\(name)(\(cin), \(cout), kernel_size=\(pyTuple(k)), stride=\(pyTuple(s)), padding=\(pyTuple(p)), "
                        + "dilation=\(pyTuple(d)), groups=\(groups), bias=\(flag))"))
            }
        }
        for name in ["MaxPool2d", "AvgPool2d"] {
            layer(name, [("kernel_size", nil), ("stride", Value.none), ("padding", .int(0))]) { a in
                let k = try ints(a, "kernel_size", count: 2)
                let s: [Int]
                if case .none = a["stride"] { s = k } else { s = try ints(a, "stride", count: 2) }
                let p = try ints(a, "padding", count: 2)
                let module = name == "MaxPool2d" ? MaxPool2d(k, stride: s, padding: p) : AvgPool2d(k, stride: s, padding: p)
                func show(_ v: [Int]) -> String { v[0] == v[1] ? "\(v[0])" : pyTuple(v) }
                let extra = name == "MaxPool2d"
                    ? "kernel_size=\(show(k)), stride=\(show(s)), padding=\(show(p)), dilation=1, ceil_mode=False"
                    : "kernel_size=\(show(k)), stride=\(show(s)), padding=\(show(p))"
                return (module, LayerSpec(name: name, extra: extra,
                                          source: "(torch.nn.\(name) :kernel_size \(muTuple(k)) :stride \(muTuple(s)) :padding \(muTuple(p)))",
                                          python: "nn.\(name)(kernel_size=\(pyTuple(k)), stride=\(pyTuple(s)), padding=\(pyTuple(p)))"))
            }
        }
        layer("AdaptiveAvgPool2d", [("output_size", nil)]) { a in
            let o = try ints(a, "output_size", count: 2)
            return (AdaptiveAvgPool2d(o), LayerSpec(name: "AdaptiveAvgPool2d", extra: "output_size=\(pyTuple(o))",
                                                    source: "(torch.nn.AdaptiveAvgPool2d :output_size \(muTuple(o)))",
                                                    python: "nn.AdaptiveAvgPool2d(output_size=\(pyTuple(o)))"))
        }
        layer("Flatten", [("start_dim", .int(1)), ("end_dim", .int(-1))]) { a in
            let (s, e) = (try a.int("start_dim"), try a.int("end_dim"))
            return (Flatten(startDim: s, endDim: e), LayerSpec(name: "Flatten", extra: "start_dim=\(s), end_dim=\(e)",
                                                              source: "(torch.nn.Flatten :start_dim \(s) :end_dim \(e))",
                                                              python: "nn.Flatten(start_dim=\(s), end_dim=\(e))"))
        }
        for name in ["BatchNorm1d", "BatchNorm2d"] {
            layer(name, [("num_features", nil), ("eps", .float(1e-5)), ("momentum", .float(0.1)), ("dtype", Value.none)]) { a in
                let (n, eps, momentum) = (try a.int("num_features"), try a.number("eps"), try a.number("momentum"))
                let module = name == "BatchNorm1d" ? try BatchNorm1d(n, epsilon: eps, momentum: momentum, dtype: try dtype(a), on: backend)
                    : try BatchNorm2d(n, epsilon: eps, momentum: momentum, dtype: try dtype(a), on: backend)
                let (e, m) = (Value.floatText(eps), Value.floatText(momentum))
                return (module, LayerSpec(name: name, extra: "\(n), eps=\(e), momentum=\(m), affine=True, track_running_stats=True",
                                          source: "(torch.nn.\(name) :num_features \(n) :eps \(e) :momentum \(m))",
                                          python: "nn.\(name)(\(n), eps=\(e), momentum=\(m))"))
            }
        }
        for name in ["LSTM", "GRU", "RNN"] {
            let nonlinearity: [(String, Value?)] = name == "RNN" ? [("nonlinearity", .string("tanh"))] : []
            layer(name, [("input_size", nil), ("hidden_size", nil), ("num_layers", .int(1))] + nonlinearity
                  + [("bias", .bool(true)), ("batch_first", .bool(false)), ("dropout", .float(0)), ("bidirectional", .bool(false)),
                     ("dtype", Value.none)]) { a in
                let (input, hidden, layers) = (try a.int("input_size"), try a.int("hidden_size"), try a.int("num_layers"))
                let (bias, batchFirst, dropout) = (try a.bool("bias"), try a.bool("batch_first"), try a.number("dropout"))
                guard !(try a.bool("bidirectional")) else {
                    throw LangError.value("nn.\(name)(): bidirectional=True is not supported (Mino's \(name) runs forward only)")
                }
                guard dropout == 0 || layers == 1 else {
                    throw LangError.value("nn.\(name)(): dropout between layers is not supported (got dropout=\(Value.floatText(dropout)))")
                }
                let kind: String
                if name == "RNN", case .string(let k) = a["nonlinearity"] { kind = k } else { kind = "tanh" }
                let module: Recurrent
                switch name {
                case "LSTM":
                    module = try LSTM(inputSize: input, hiddenSize: hidden, numLayers: layers, bias: bias, batchFirst: batchFirst,
                                      dtype: try dtype(a), generator: interpreter.generator, on: backend)
                case "GRU":
                    module = try GRU(inputSize: input, hiddenSize: hidden, numLayers: layers, bias: bias, batchFirst: batchFirst,
                                     dtype: try dtype(a), generator: interpreter.generator, on: backend)
                default:
                    module = try RNN(inputSize: input, hiddenSize: hidden, numLayers: layers, nonlinearity: kind, bias: bias,
                                     batchFirst: batchFirst, dtype: try dtype(a), generator: interpreter.generator, on: backend)
                }
                // PyTorch's extra_repr leaves the defaults out (and never shows the nonlinearity).
                var extra = "\(input), \(hidden)"
                if layers != 1 { extra += ", num_layers=\(layers)" }
                if !bias { extra += ", bias=False" }
                if batchFirst { extra += ", batch_first=True" }
                let (b, f) = (bias ? "True" : "False", batchFirst ? "True" : "False")
                let kindSource = name == "RNN" ? " :nonlinearity \"\(kind)\"" : ""
                let kindPython = name == "RNN" ? ", nonlinearity='\(kind)'" : ""
                return (module, LayerSpec(
                    name: name, extra: extra,
                    source: "(torch.nn.\(name) :input_size \(input) :hidden_size \(hidden) :num_layers \(layers)\(kindSource) "
                        + ":bias \(b) :batch_first \(f))",
                    python: "nn.\(name)(\(input), \(hidden), num_layers=\(layers)\(kindPython), bias=\(b), batch_first=\(f))"))
            }
        }
        layer("LayerNorm", [("normalized_shape", nil), ("eps", .float(1e-5)), ("elementwise_affine", .bool(true)), ("dtype", Value.none)]) { a in
            let shape = try TorchOps.integers(a["normalized_shape"], "normalized_shape", "nn.LayerNorm")
            let (eps, affine) = (try a.number("eps"), try a.bool("elementwise_affine"))
            let module = try LayerNorm(shape, epsilon: eps, elementwiseAffine: affine, dtype: try dtype(a), on: backend)
            let (e, flag) = (Value.floatText(eps), affine ? "True" : "False")
            return (module, LayerSpec(name: "LayerNorm", extra: "\(pyTuple(shape)), eps=\(e), elementwise_affine=\(flag)",
                                      source: "(torch.nn.LayerNorm :normalized_shape \(muTuple(shape)) :eps \(e) :elementwise_affine \(flag))",
                                      python: "nn.LayerNorm(\(pyTuple(shape)), eps=\(e), elementwise_affine=\(flag))"))
        }
        layer("Embedding", [("num_embeddings", nil), ("embedding_dim", nil), ("padding_idx", Value.none), ("dtype", Value.none)]) { a in
            let (n, d) = (try a.int("num_embeddings"), try a.int("embedding_dim"))
            let padding = a["padding_idx"].integer
            let module = try Embedding(n, d, paddingIndex: padding, dtype: try dtype(a), generator: interpreter.generator, on: backend)
            let extra = "\(n), \(d)" + (padding.map { ", padding_idx=\($0)" } ?? "")
            let paddingSource = padding.map { " :padding_idx \($0)" } ?? ""
            return (module, LayerSpec(name: "Embedding", extra: extra,
                                      source: "(torch.nn.Embedding :num_embeddings \(n) :embedding_dim \(d)\(paddingSource))",
                                      python: "nn.Embedding(\(n), \(d)\(padding.map { ", padding_idx=\($0)" } ?? ""))"))
        }
        let stateless: [(String, [(String, Value?)], (Arguments) throws -> (StatelessLayer, String, String, String))] = [
            ("GELU", [], { _ in (GELU(), "approximate='none'", "", "") }),
            ("SiLU", [], { _ in (SiLU(), "", "", "") }),
            ("ELU", [("alpha", .float(1))], { a in
                let x = try a.number("alpha")
                return (ELU(alpha: x), "alpha=\(Value.floatText(x))", " :alpha \(Value.floatText(x))", "alpha=\(Value.floatText(x))")
            }),
            ("LeakyReLU", [("negative_slope", .float(0.01))], { a in
                let x = try a.number("negative_slope")
                return (LeakyReLU(negativeSlope: x), "negative_slope=\(Value.floatText(x))", " :negative_slope \(Value.floatText(x))",
                        "negative_slope=\(Value.floatText(x))")
            }),
            ("Softplus", [("beta", .float(1))], { a in
                let x = try a.number("beta")
                return (Softplus(beta: x), "beta=\(Value.floatText(x)), threshold=20.0", " :beta \(Value.floatText(x))", "beta=\(Value.floatText(x))")
            }),
        ]
        for (name, parameters, make) in stateless {
            layer(name, parameters) { a in
                let (module, extra, source, python) = try make(a)
                return (module, LayerSpec(name: name, extra: extra, source: "(torch.nn.\(name)\(source))", python: "nn.\(name)(\(python))"))
            }
        }
    }
}
