import MinoCore
import MinoModel

/// What a model's components are: mus and built-in layers. Each lists its
/// parameters under PyTorch's state-dict names, prints as PyTorch prints modules,
/// reverts to source, and switches between training and evaluation.
public protocol ModuleValue: LangObject {
    /// Own parameters, in registration order, under their Python names.
    var ownParameters: [(name: String, tensor: Tensor)] { get }
    /// Own buffers (batch norm's running statistics): state saved and loaded with the
    /// parameters, never trained. None by default.
    var ownBuffers: [(name: String, tensor: Tensor)] { get }
    /// Child modules, in registration order, under their Python names.
    var childModules: [(name: String, module: ModuleValue)] { get }
    /// The body of PyTorch's `extra_repr`, and the name before the parenthesis.
    var moduleName: String { get }
    var extraRepr: String { get }
    /// One-line source that rebuilds the module (its architecture; weights go to safetensors).
    func source() throws -> String
    /// Calls the module.
    func invoke(_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value
    var training: Bool { get set }
}

extension ModuleValue {
    public var ownBuffers: [(name: String, tensor: Tensor)] { [] }

    /// Every buffer with its state-dict path (`norm.running_mean`), depth first.
    public var namedBuffers: [(name: String, tensor: Tensor)] {
        var out = ownBuffers
        for (name, child) in childModules {
            out += child.namedBuffers.map { ("\(name).\($0.name)", $0.tensor) }
        }
        return out
    }

    /// PyTorch's `state_dict`, in its order: own parameters, own buffers, then each child's, by path.
    public var stateDict: [(name: String, tensor: Tensor)] {
        var out = ownParameters + ownBuffers
        for (name, child) in childModules {
            out += child.stateDict.map { ("\(name).\($0.name)", $0.tensor) }
        }
        return out
    }

    /// Every parameter with its state-dict path (`linear_to_hidden.weights`), depth first.
    public var namedParameters: [(name: String, tensor: Tensor)] {
        var out = ownParameters
        for (name, child) in childModules {
            out += child.namedParameters.map { ("\(name).\($0.name)", $0.tensor) }
        }
        return out
    }

    /// The distinct parameters (a tensor shared by two components counts once, as in PyTorch).
    public var uniqueParameters: [Tensor] {
        var seen = Set<ObjectIdentifier>()
        return namedParameters.map(\.tensor).filter { seen.insert(ObjectIdentifier($0)).inserted }
    }

    /// PyTorch's `Module.__repr__`.
    public var torchRepr: String {
        let extraLines = extraRepr.isEmpty ? [] : extraRepr.components(separatedBy: "\n")
        let childLines = childModules.map { "(\($0.name)): " + ModulePrinting.indent($0.module.torchRepr, by: 2) }
        let lines = extraLines + childLines
        var text = moduleName + "("
        if !lines.isEmpty {
            if extraLines.count == 1 && childLines.isEmpty {
                text += extraLines[0]
            } else {
                text += "\n  " + lines.joined(separator: "\n  ") + "\n"
            }
        }
        return text + ")"
    }

    /// Sets training mode on this module and every child (`.train` / `.eval`).
    public func setTraining(_ on: Bool) {
        let copy = self
        copy.training = on
        for (_, child) in childModules { child.setTraining(on) }
    }

    public var str: String { torchRepr }
    public var repr: String { torchRepr }
    public var callable: ((_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value)? { invoke }

    /// The methods every module has: `.parameters`, `.named_parameters`, `.state_dict`,
    /// `.zero_grad`, `.train`, `.eval`, `.to`, `.forward`, `.children`; then children by name.
    public func moduleAttribute(_ name: String) throws -> Value? {
        switch name {
        case "parameters":
            return .function(Function("parameters") { _, _ in .list(ListBox(self.uniqueParameters.map { .parameter($0) })) })
        case "named_parameters":
            return .function(Function("named_parameters") { _, _ in
                .list(ListBox(self.namedParameters.map { .tuple([.string($0.name), .parameter($0.tensor)]) }))
            })
        case "state_dict":
            return .function(Function("state_dict") { _, _ in
                .dict(DictBox(self.stateDict.map { (.string($0.name), .tensor($0.tensor.detached())) }))
            })
        case "named_buffers":
            return .function(Function("named_buffers") { _, _ in
                .list(ListBox(self.namedBuffers.map { .tuple([.string($0.name), .tensor($0.tensor)]) }))
            })
        case "buffers":
            return .function(Function("buffers") { _, _ in .list(ListBox(self.namedBuffers.map { .tensor($0.tensor) })) })
        case "zero_grad":
            return .function(Function("zero_grad") { _, _ in
                for p in self.namedParameters { p.tensor.zeroGrad() }
                return .none
            })
        case "train":
            return .function(Function("train") { args, _ in
                self.setTraining(try args.first?.isTruthy() ?? true)
                return .object(self)
            })
        case "eval":
            return .function(Function("eval") { _, _ in
                self.setTraining(false)
                return .object(self)
            })
        case "to":
            return .function(Function("to") { args, kw in
                for p in self.namedParameters {
                    _ = try TensorMethods.convert(p.tensor, .parameter(p.tensor), args, kw)
                    for v in args + kw.map(\.1) {
                        if case .object(let d as DTypeObject) = v, d.dtype != p.tensor.dtype {
                            throw LangError.type("model.to(dtype) is not supported: build the model in \(d.str) instead")
                        }
                    }
                }
                return .object(self)
            })
        case "forward":
            return .function(Function("forward") { args, kw in try self.invoke(args, kw) })
        case "children":
            return .function(Function("children") { _, _ in .list(ListBox(self.childModules.map { .object($0.module) })) })
        case "training":
            return .bool(training)
        default:
            if let child = childModules.first(where: { $0.name == name }) { return .object(child.module) }
            if let p = ownParameters.first(where: { $0.name == name }) { return .parameter(p.tensor) }
            return nil
        }
    }
}

enum ModulePrinting {
    /// PyTorch's `_addindent`: every line but the first indented.
    static func indent(_ text: String, by spaces: Int) -> String {
        let lines = text.components(separatedBy: "\n")
        guard lines.count > 1 else { return text }
        let pad = String(repeating: " ", count: spaces)
        return lines[0] + "\n" + lines.dropFirst().map { pad + $0 }.joined(separator: "\n")
    }

    /// `(Parameter :size [3 2] :dtype torch.float32)`.
    static func parameterLine(_ name: String, _ t: Tensor) -> String {
        "\(name): (Parameter :size [\(t.shape.dims.map(String.init).joined(separator: " "))] :dtype \(t.dtype.info.torchName))"
    }

    /// `0x7f32fdb3a190`: the object's address, as Python's `hex(id(x))`.
    static func address(_ object: AnyObject) -> String {
        "0x" + String(UInt(bitPattern: Unmanaged.passUnretained(object).toOpaque()), radix: 16)
    }
}

/// A model tree as a Model-layer `Module`, so `Checkpoint`, the optimizers and training
/// loops written against the Swift API take mu models unchanged.
public final class ModuleAdapter: Module {
    public let value: ModuleValue
    public init(_ value: ModuleValue) { self.value = value }
    public func callAsFunction(_ input: Tensor) throws -> Tensor {
        let out = try value.invoke([.tensor(input)], [])
        guard let t = out.tensor else {
            throw MinoError(.argument, "the model returned \(out.typeName), not a tensor")
        }
        return t
    }
    public var namedParameters: [(name: String, tensor: Tensor)] { value.namedParameters }
    public var namedBuffers: [(name: String, tensor: Tensor)] { value.namedBuffers }
    public var stateDict: [(name: String, tensor: Tensor)] { value.stateDict }
}
