import Foundation
import MinoCore
import MinoModel
import MinoLisp

/// Writes a Mino model as a plain PyTorch file: one `nn.Module` class per mu (its
/// bound parameters as `nn.Parameter`s, its bound children as submodules, its body
/// as `forward`), built-in layers as `nn.Linear`, `nn.ReLU`, `nn.Sequential`. The
/// file imports only torch; its `state_dict` has the model's state-dict names, so
/// `load_weights(Net(), "net.safetensors")` (defined in the file) or
/// `load_state_dict(..., strict=True)` takes the weights Mino saved.
///
/// Names in bodies map through the op registry: `@` → `torch.matmul` (written
/// `a @ b`), `view` → `x.view(...)`, `F.relu` stays `F.relu`. A form that does not
/// map, or a bound tensor that is not a parameter is an error naming the form.
/// A torch-module child is made from its class in its own `.py` file.
public enum TorchExport {
    public static func python(_ model: ModuleValue, className: String = "Net") throws -> String {
        var writer = Writer()
        let top = try writer.classFor(model, name: className, path: className)
        guard top == className else {
            throw MinoError(.argument, "export: the top-level class name \(className) is taken by a child; choose another with --class")
        }
        return writer.file(className)
    }

    /// The Python classes of one export, children first.
    struct Writer {
        var classes: [(name: String, text: String)] = []
        /// A torch-module child needs its class loaded from its file.
        var loadsFiles = false

        func file(_ top: String) -> String {
            let header = """
                # Written by `mino export`: a plain PyTorch module (no Mino needed).
                # Weights: load_weights(\(top)(), "weights.safetensors") loads them with strict=True.
                import torch
                import torch.nn as nn
                import torch.nn.functional as F
                """
            let loader = loadsFiles ? "\n\n\n" + TorchExport.fileLoader : ""
            return header + loader + "\n\n\n" + classes.map(\.text).joined(separator: "\n\n") + "\n\n" + TorchExport.loader
        }

        /// The class of `module` (made, or an identical one reused); its name.
        mutating func classFor(_ module: ModuleValue, name: String, path: String) throws -> String {
            switch module {
            case let mu as MuObject:
                return try muClass(mu, name: name, path: path)
            case let layer as LayerObject:
                // A layer at the top gets a class of its own (its state-dict names unchanged).
                let base: String, args: String
                switch layer.kind {
                case .sequential(let layers):
                    base = "nn.Sequential"
                    args = try layers.enumerated().map { try constructor($0.element, path: "\(path).\($0.offset)") }.joined(separator: ", ")
                default:
                    let made = try constructor(layer, path: path)
                    base = String(made.prefix { $0 != "(" })
                    args = String(made.dropFirst(base.count + 1).dropLast())
                }
                return add(name, "class \(name)(\(base)):\n    def __init__(self):\n        super().__init__(\(args))\n")
            default:
                throw MinoError(.argument, "export: \(path) is a \(module.moduleName) (\(try module.source())), which export cannot write "
                                + "as the top of the file: it exports mus and torch.nn layers (a torch-module at the top is PyTorch already)")
            }
        }

        /// `(name, text)` added unless an identical class exists; a clash gets `_2`, `_3`…
        mutating func add(_ name: String, _ text: String) -> String {
            var candidate = name, n = 1
            while let existing = classes.first(where: { $0.name == candidate }) {
                let renamed = text.replacingOccurrences(of: "class \(name)(", with: "class \(candidate)(")
                if existing.text == renamed { return candidate }
                n += 1
                candidate = "\(name)_\(n)"
            }
            classes.append((candidate, text.replacingOccurrences(of: "class \(name)(", with: "class \(candidate)(")))
            return candidate
        }

        /// A built-in layer as its torch.nn constructor.
        mutating func constructor(_ module: ModuleValue, path: String) throws -> String {
            if let layer = module as? LayerObject {
                switch layer.kind {
                case .linear(let l):
                    let dtype = l.weight.dtype == .float32 ? "" : ", dtype=\(l.weight.dtype.info.torchName)"
                    return "nn.Linear(\(l.inFeatures), \(l.outFeatures), bias=\(l.bias != nil ? "True" : "False")\(dtype))"
                case .activation: return "nn.\(layer.moduleName)()"
                case .dropout(let p): return "nn.Dropout(p=\(Value.floatText(p)))"
                case .model(_, let spec):
                    return spec.python
                case .sequential(let layers):
                    return "nn.Sequential(" + (try layers.enumerated().map {
                        try constructor($0.element, path: "\(path).\($0.offset)")
                    }).joined(separator: ", ") + ")"
                }
            }
            if let torch = module as? TorchModuleObject {
                // Already PyTorch: its class, from its file, with its state-dict names unchanged.
                loadsFiles = true
                let args = try torch.arguments.map { try TorchExport.literal($0) }
                    + torch.keywords.map { "\(Mangling.mangle($0.0))=\(try TorchExport.literal($0.1))" }
                return "_class_from_file(\(Value.string(torch.path).pyRepr), \(Value.string(torch.module.className).pyRepr))("
                    + args.joined(separator: ", ") + ")"
            }
            let name = Mangling.mangle((module as? MuObject)?.definition.name ?? "Mu").replacingOccurrences(of: "μ", with: "Mu")
            return try classFor(module, name: name, path: path) + "()"
        }

        mutating func muClass(_ mu: MuObject, name: String, path: String) throws -> String {
            var initLines: [String] = []
            var scope = Scope()
            for c in mu.definition.components {
                let py = Mangling.mangle(c)
                guard let value = mu.bindings[c] else {
                    scope.arguments.append(py)
                    scope.names[c] = .argument(py)
                    continue
                }
                switch value {
                case .parameter(let t):
                    let dims = t.shape.dims.map(String.init).joined(separator: ", ")
                    let dtype = t.dtype == .float32 ? "" : ", dtype=\(t.dtype.info.torchName)"
                    initLines.append("self.\(py) = nn.Parameter(torch.empty((\(dims)\(t.shape.rank == 1 ? "," : ""))\(dtype)))")
                    scope.names[c] = .attribute(py)
                case .object(let child as ModuleValue):
                    initLines.append("self.\(py) = \(try constructor(child, path: "\(path).\(py)"))")
                    scope.names[c] = .module(py)
                case .int, .float, .bool, .string, .none:
                    initLines.append("self.\(py) = \(try TorchExport.literal(value))")
                    scope.names[c] = .attribute(py)
                case .function(let f):
                    guard let source = f.sourceName, TorchExport.pythonName(source) != nil else {
                        throw MinoError(.argument, "export: \(path).\(c) is bound to the function \(f.name), which has no PyTorch name")
                    }
                    scope.names[c] = .function(source)
                default:
                    throw MinoError(.argument, "export: \(path).\(c) is bound to a \(value.typeName); export writes parameters, "
                                    + "modules, numbers and torch functions (a tensor that is not a parameter would not be in the state dict)")
                }
            }
            var bodyLines: [String] = []
            for (i, form) in mu.definition.body.enumerated() {
                let last = i == mu.definition.body.count - 1
                if let items = form.listItems, items.first?.symbolName == "setv" {
                    guard items.count % 2 == 1 else { throw TorchExport.unmappable(form, path, "setv needs name/value pairs") }
                    for k in stride(from: 1, to: items.count, by: 2) {
                        guard let target = items[k].symbolName else { throw TorchExport.unmappable(form, path, "setv of a non-symbol") }
                        bodyLines.append("\(Mangling.mangle(target)) = \(try TorchExport.expression(items[k + 1], &scope, path))")
                        scope.names[target] = .argument(Mangling.mangle(target))
                    }
                    if last { bodyLines.append("return None") }
                } else if last {
                    bodyLines.append("return \(try TorchExport.expression(form, &scope, path))")
                } else {
                    bodyLines.append(try TorchExport.expression(form, &scope, path))
                }
            }
            let doc = mu.definition.doc.isEmpty ? "" : "    \"\"\"\(mu.definition.doc)\"\"\"\n\n"
            let text = "class \(name)(nn.Module):\n" + doc
                + "    def __init__(self):\n        super().__init__()\n"
                + initLines.map { "        " + $0 + "\n" }.joined()
                + "\n    def forward(self\(scope.arguments.map { ", " + $0 }.joined())):\n"
                + bodyLines.map { "        " + $0 + "\n" }.joined()
            return add(name, text)
        }
    }

    /// What each name of a body stands for in Python.
    struct Scope {
        enum Meaning { case argument(String), attribute(String), module(String), function(String) }
        var names: [String: Meaning] = [:]
        var arguments: [String] = []
    }

    static let infix: [String: String] = ["+": "+", "-": "-", "*": "*", "/": "/", "@": "@", "**": "**"]

    /// The PyTorch spelling of an op name: `torch.x`/`F.x` as written when it is a
    /// registered op's name, else the registered op's first torch alias.
    static func pythonName(_ name: String) -> String? {
        guard let op = OpRegistry.shared.lookup(name) else { return nil }
        if name.hasPrefix("torch.") || name.hasPrefix("F.") { return name }
        return op.allNames.first { $0.hasPrefix("torch.") || $0.hasPrefix("F.") }
    }

    static func unmappable(_ form: Expr, _ path: String, _ why: String) -> MinoError {
        MinoError(.argument, "export: \(path): cannot write \(Printer.oneLine(form)) in PyTorch: \(why)")
    }

    static func literal(_ v: Value) throws -> String {
        switch v {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return Value.floatText(d)
        case .string: return v.pyRepr
        default: throw MinoError(.argument, "export: cannot write a \(v.typeName) literal")
        }
    }

    /// One body form as a Python expression.
    static func expression(_ form: Expr, _ scope: inout Scope, _ path: String) throws -> String {
        switch form.node {
        case .integer(let i): return String(i)
        case .float(let d): return Value.floatText(d)
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .string(let s): return Value.string(s).pyRepr
        case .symbol(let s):
            switch scope.names[s] {
            case .argument(let py)?: return py
            case .attribute(let py)?, .module(let py)?: return "self.\(py)"
            case .function(let f)?: return pythonName(f) ?? f
            case nil:
                if s == "True" || s == "False" || s == "None" { return s }
                throw unmappable(form, path, "\(s) is not a component of the mu")
            }
        case .tuple(let items):
            let parts = try items.map { try expression($0, &scope, path) }
            return "(" + parts.joined(separator: ", ") + (parts.count == 1 ? ",)" : ")")
        case .vector(let items):
            return "[" + (try items.map { try expression($0, &scope, path) }).joined(separator: ", ") + "]"
        case .list(let items):
            guard let head = items.first else { throw unmappable(form, path, "an empty call") }
            if head.symbolName == "get", scope.names["get"] == nil, items.count >= 3 {
                // (get v i …): Python's v[i]…, a tuple's item or a tensor's index.
                var text = try expression(items[1], &scope, path)
                for key in items.dropFirst(2) { text += "[" + (try index(key, &scope, path)) + "]" }
                return text
            }
            var positional: [String] = []
            var keywords: [String] = []
            var i = 1
            while i < items.count {
                if let k = items[i].keywordName, i + 1 < items.count {
                    keywords.append("\(Mangling.mangle(k))=\(try expression(items[i + 1], &scope, path))")
                    i += 2
                } else {
                    positional.append(try expression(items[i], &scope, path))
                    i += 1
                }
            }
            let arguments = (positional + keywords).joined(separator: ", ")
            guard let name = head.symbolName else { throw unmappable(form, path, "the head is not a name") }
            if name.hasPrefix("."), name.count > 1, let receiver = positional.first {
                let method = String(name.dropFirst())
                guard pythonName("torch." + method) != nil || pythonName(method) != nil || tensorMethods.contains(method) else {
                    throw unmappable(form, path, "no registered op is the tensor method \(method)")
                }
                return "\(receiver).\(method)(" + (Array(positional.dropFirst()) + keywords).joined(separator: ", ") + ")"
            }
            switch scope.names[name] {
            case .module(let py)?:
                return "self.\(py)(\(arguments))"
            case .function(let f)?:
                return "\(pythonName(f) ?? f)(\(arguments))"
            case .argument?, .attribute?:
                throw unmappable(form, path, "\(name) is called but holds a value, not a module")
            case nil:
                break
            }
            if let op = infix[name], keywords.isEmpty, !positional.isEmpty {
                if positional.count == 1 { return name == "-" ? "(-\(positional[0]))" : positional[0] }
                return "(" + positional.joined(separator: " \(op) ") + ")"
            }
            guard let python = pythonName(name) else {
                throw unmappable(form, path, "\(name) is not a registered op (see `mino ops`) nor a component")
            }
            if OpRegistry.shared.lookup(name)?.name == "dropout", !keywords.contains(where: { $0.hasPrefix("training=") }) {
                return "\(python)(" + (positional + keywords + ["training=self.training"]).joined(separator: ", ") + ")"
            }
            return "\(python)(\(arguments))"
        default:
            throw unmappable(form, path, "a \(form.kindDescription)")
        }
    }

    /// An index in Python's subscript syntax: `(, (slice None None None) -1)` → `:, -1`.
    static func index(_ key: Expr, _ scope: inout Scope, _ path: String) throws -> String {
        if case .tuple(let items) = key.node {
            let parts = try items.map { try index($0, &scope, path) }
            return parts.joined(separator: ", ") + (parts.count == 1 ? "," : "")
        }
        if let items = key.listItems, items.first?.symbolName == "slice", (2...4).contains(items.count) {
            var bounds = try items.dropFirst().map { e -> String in 
                let python = try expression(e, &scope, path)
                return python == "None" ? "" : python
            }
            if bounds.count == 1 { bounds.insert("", at: 0) }
            if bounds.count == 3, bounds[2].isEmpty { bounds.removeLast() }
            return bounds.joined(separator: ":")
        }
        return try expression(key, &scope, path)
    }

    /// Tensor methods whose PyTorch meaning is Mino's (shape moves and conversions).
    public static let tensorMethods: Set<String> = ["view", "reshape", "flatten", "t", "transpose", "permute", "unsqueeze",
                                             "squeeze", "contiguous", "float", "double", "sum", "mean", "size"]

    /// How the generated file gets the class of a torch-module child: from its `.py` file.
    static let fileLoader = #"""
def _class_from_file(path, name):
    """The class `name` defined in the Python file at `path` (a torch-module of the Mino model)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("mino_export_" + name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)
"""#

    /// The generated file's weight loader (public: tests load weights in Python with it): the safetensors package when installed,
    /// else the format read directly (an 8-byte little-endian header length, a JSON
    /// header of dtype/shape/offsets, then the raw little-endian data).
    public static let loader = #"""
def load_weights(module, path):
    """Loads a safetensors file into `module` with strict=True; returns the module."""
    try:
        from safetensors.torch import load_file
        state = load_file(path)
    except ImportError:
        import json
        import struct
        dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64}
        with open(path, "rb") as f:
            data = f.read()
        (length,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + length])
        state = {}
        for name, info in header.items():
            if name == "__metadata__":
                continue
            begin, end = info["data_offsets"]
            raw = bytearray(data[8 + length + begin:8 + length + end])
            dtype = dtypes[info["dtype"]]
            flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
            state[name] = flat.reshape(info["shape"]).clone()
    module.load_state_dict(state, strict=True)
    return module
"""#
}

extension TorchExport {
    /// What `mino export` does: runs the `.mu` program `file`, takes its model (the
    /// global `model`, else the last value), loads `weights` into it (strictly) when
    /// given, and returns the PyTorch source and the model.
    public static func exportProgram(file: String, weights: String?, className: String = "Net",
                                     backend: any Backend) throws -> (python: String, model: ModuleValue) {
        guard let data = FileManager.default.contents(atPath: file), let source = String(data: data, encoding: .utf8) else {
            throw MinoError(.io, "\(file): cannot read the file")
        }
        let interpreter = Interpreter(backend: backend, output: { _ in })
        let last = try interpreter.evaluate(source: source, file: file)
        let model: ModuleValue
        if case .object(let m as ModuleValue)? = interpreter.globals.value("model") {
            model = m
        } else if case .object(let m as ModuleValue) = last {
            model = m
        } else {
            throw MinoError(.argument, "\(file): defines no model (export takes the global `model`, else the "
                            + "program's last value; it ended with a \(last.typeName))")
        }
        if let weights { try ModelFiles.loadWeights(from: URL(fileURLWithPath: weights), into: model) }
        return (try python(model, className: className), model)
    }
}
