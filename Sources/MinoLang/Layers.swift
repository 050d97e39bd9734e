import MinoCore
import MinoModel

/// The built-in layers of `torch.nn` as components: PyTorch's names, parameters,
/// printing and default initialisation.
final class LayerObject: ModuleValue {
    enum Kind {
        case linear(Linear)
        case activation(Activation)
        case dropout(Double)
        case sequential([ModuleValue])
        /// A Model-layer module (convolution, pooling, normalisation, embedding…) with its spellings.
        case model(Module, LayerSpec)
    }
    let kind: Kind
    var training = true
    /// The generator dropout draws masks from.
    let generator: RandomGenerator

    init(_ kind: Kind, generator: RandomGenerator) {
        self.kind = kind
        self.generator = generator
    }

    var typeName: String { moduleName }

    var moduleName: String {
        switch kind {
        case .linear: return "Linear"
        case .activation(let a):
            switch a {
            case .relu: return "ReLU"
            case .sigmoid: return "Sigmoid"
            case .tanh: return "Tanh"
            case .identity: return "Identity"
            }
        case .dropout: return "Dropout"
        case .sequential: return "Sequential"
        case .model(_, let spec): return spec.name
        }
    }

    var extraRepr: String {
        switch kind {
        case .linear(let l): return "in_features=\(l.inFeatures), out_features=\(l.outFeatures), bias=\(l.bias != nil ? "True" : "False")"
        case .dropout(let p): return "p=\(Value.floatText(p)), inplace=False"
        case .model(_, let spec): return spec.extra
        case .activation, .sequential: return ""
        }
    }

    var ownParameters: [(name: String, tensor: Tensor)] {
        if case .linear(let l) = kind { return l.namedParameters }
        if case .model(let m, _) = kind { return m.namedParameters }
        return []
    }

    var ownBuffers: [(name: String, tensor: Tensor)] {
        if case .model(let m, _) = kind { return m.namedBuffers }
        return []
    }

    var childModules: [(name: String, module: ModuleValue)] {
        if case .sequential(let layers) = kind { return layers.enumerated().map { ("\($0.offset)", $0.element) } }
        return []
    }

    func source() throws -> String {
        switch kind {
        case .linear(let l):
            return "(torch.nn.Linear :in_features \(l.inFeatures) :out_features \(l.outFeatures) :bias \(l.bias != nil ? "True" : "False"))"
        case .activation: return "(torch.nn.\(moduleName))"
        case .dropout(let p): return "(torch.nn.Dropout :p \(Value.floatText(p)))"
        case .sequential(let layers):
            return "(torch.nn.Sequential" + (try layers.map { " " + (try $0.source()) }.joined()) + ")"
        case .model(_, let spec): return spec.source
        }
    }

    func invoke(_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value {
        if case .model(let recurrent as Recurrent, _) = kind {
            return try RecurrentCall.invoke(recurrent, moduleName, arguments, keywords)
        }
        guard arguments.count == 1, keywords.isEmpty, let x = arguments[0].tensor else {
            throw LangError.type("\(moduleName).forward() takes one tensor (got \(arguments.count) argument\(arguments.count == 1 ? "" : "s")\(arguments.first.map { " of type \($0.typeName)" } ?? ""))")
        }
        switch kind {
        case .linear(let l): return .tensor(try l(x))
        case .activation(let a): return .tensor(try a.apply(x))
        case .dropout(let p): return .tensor(try x.dropout(p, training: training, generator: generator))
        case .sequential(let layers):
            var v = arguments[0]
            for layer in layers { v = try layer.invoke([v], []) }
            return v
        case .model(let m, _):
            if let modal = m as? TrainingModal, modal.training != training { modal.training = training }
            return .tensor(try m(x))
        }
    }

    func attribute(_ name: String) throws -> Value {
        if let v = try moduleAttribute(name) { return v }
        switch (kind, name) {
        case (.linear(let l), "in_features"): return .int(l.inFeatures)
        case (.linear(let l), "out_features"): return .int(l.outFeatures)
        case (.dropout(let p), "p"): return .float(p)
        case (.sequential(let layers), "__getitem__"):
            return .function(Function("__getitem__") { args, _ in
                .object(layers[try Indexing.position(args.first ?? .none, count: layers.count, in: .object(self))])
            })
        case (.sequential(let layers), "__len__"):
            return .function(Function("__len__") { _, _ in .int(layers.count) })
        default:
            throw LangError.attribute("'\(moduleName)' object has no attribute '\(name)'"
                                      + Suggestions.hint(for: name, among: attributeNames))
        }
    }

    var attributeNames: [String] {
        ownParameters.map(\.name) + childModules.map(\.name) + ["parameters", "named_parameters", "zero_grad", "train", "eval"]
    }
}

/// `torch.optim.SGD`, `Adam`, `AdamW` over the Model layer's optimizers.
final class OptimizerObject: LangObject, MethodCalling {
    func callMethod(_ name: String, _ args: [Value], _ keywords: [(String, Value)]) throws -> Value? {
        guard args.isEmpty, keywords.isEmpty else { return nil }
        switch name {
        case "step": try optimizer.step(); return Value.none
        case "zero_grad": optimizer.zeroGrad(); return Value.none
        default: return nil
        }
    }

    let name: String
    let optimizer: Optimizer
    init(_ name: String, _ optimizer: Optimizer) {
        self.name = name
        self.optimizer = optimizer
    }
    var typeName: String { name }
    var str: String { "\(name) (lr: \(Value.floatText(optimizer.learningRate)), parameters: \(optimizer.parameters.count))" }
    func attribute(_ attribute: String) throws -> Value {
        switch attribute {
        case "step":
            return .function(Function("step") { _, _ in try self.optimizer.step(); return .none })
        case "zero_grad":
            return .function(Function("zero_grad") { _, _ in self.optimizer.zeroGrad(); return .none })
        case "lr": return .float(optimizer.learningRate)
        default:
            throw LangError.attribute(missingAttribute(attribute))
        }
    }
    func setAttribute(_ attribute: String, _ value: Value) throws {
        guard attribute == "lr", let lr = value.number, value.isNumeric else {
            throw LangError.attribute("'\(name)' object attribute '\(attribute)' cannot be set (only lr can)")
        }
        optimizer.learningRate = lr
    }
    var attributeNames: [String] { ["step", "zero_grad", "lr"] }
}
