import MinoCore

/// Registered ops as torch functions: `torch.sum(x, dim=1, keepdim=True)`,
/// `F.softmax(x, dim=-1)`, `torch.cat([a, b], 0)`.
///
/// The op registry says which op a torch name means (its aliases) and what attributes
/// the op takes (its `AttributeSchema`); this file says how torch spells those
/// attributes as arguments: per schema, with the few ops whose torch signature
/// differs named explicitly. Numbers among tensor arguments become scalars on the
/// other tensors' backend (`torch.add(x, 1)`).
enum TorchOps {
    /// A torch parameter: its name and default (nil: required).
    typealias Parameter = (name: String, defaultValue: Value?)

    /// The torch function for `op`, named `name` in error messages.
    static func function(_ op: OpDefinition, name: String) -> Function {
        let (tensorNames, attributeParameters) = signature(op)
        let variadic = op.signature.variadic
        // Ops without attributes, called with their tensors only (torch.sigmoid x): no binding.
        let plain = attributeParameters.isEmpty && !variadic && op.implementation == nil
        return Function(name, sourceName: name) { args, keywords in
            if plain, keywords.isEmpty, args.count == tensorNames.count {
                return .tensor(try Dispatch.apply(op, try tensorArguments(args, name)))
            }
            let bound = try bind(name, tensorNames + attributeParameters.map(\.name), attributeParameters,
                                 args, keywords, variadicFirst: variadic)
            return try apply(op, name, tensorNames, bound)
        }
    }

    /// Torch's parameter names for an op: its tensor arguments, then its attributes.
    static func signature(_ op: OpDefinition) -> ([String], [Parameter]) {
        let none = Value.none
        switch op.name {
        case "linear": return (["input", "weight"], [("bias", none)])
        case "where": return (["condition", "input", "other"], [])
        case "indexSelect", "gather": return (["input"], [("dim", nil), ("index", nil)])
        case "indexAdd", "scatterAdd": return (["input"], [("dim", nil), ("index", nil), ("source", nil)])
        case "sliceScatter": return (["input", "src"], [("dim", .int(0)), ("start", none), ("end", none), ("step", .int(1))])
        case "transpose": return (["input"], [("dim0", nil), ("dim1", nil)])
        case "slice": return (["input"], [("dim", nil), ("start", nil), ("length", nil)])
        case "concat", "stack": return (["tensors"], [("dim", .int(0))])
        case "softmax", "logSoftmax": return (["input"], [("dim", .int(-1))])
        case "crossEntropy", "mse", "binaryCrossEntropyWithLogits":
            return (["input", "target"], [("reduction", .string("mean"))])
        case "dropout": return (["input"], [("p", .float(0.5)), ("training", .bool(true))])
        case "conv1d", "conv2d":
            return (["input", "weight"], [("bias", none), ("stride", .int(1)), ("padding", .int(0)),
                                          ("dilation", .int(1)), ("groups", .int(1))])
        case "convTranspose2d":
            return (["input", "weight"], [("bias", none), ("stride", .int(1)), ("padding", .int(0)),
                                          ("output_padding", .int(0)), ("groups", .int(1)), ("dilation", .int(1))])
        case "maxPool2d", "avgPool2d":
            return (["input"], [("kernel_size", nil), ("stride", none), ("padding", .int(0))])
        case "adaptiveAvgPool2d": return (["input"], [("output_size", nil)])
        case "flatten": return (["input"], [("start_dim", .int(0)), ("end_dim", .int(-1))])
        case "embedding": return (["input", "weight"], [("padding_idx", none)])
        case "layerNorm":
            return (["input"], [("normalized_shape", nil), ("weight", none), ("bias", none), ("eps", .float(1e-5))])
        case "nllLoss": return (["input", "target"], [("reduction", .string("mean"))])
        case "batchNorm":
            return (["input", "running_mean", "running_var"], [("weight", none), ("bias", none), ("training", .bool(false)),
                                                               ("momentum", .float(0.1)), ("eps", .float(1e-5))])
        default: break
        }
        let tensorCount = op.signature.inputs.count
        let tensors = tensorCount == 1 ? ["input"] : tensorCount == 2 ? ["input", "other"]
            : (0..<tensorCount).map { "input\($0)" }
        switch op.signature.attributes {
        case .none: return (tensors, [])
        case .axes, .axisKeepDims: return (tensors, [("dim", none), ("keepdim", .bool(false))])
        case .axis: return (tensors, [("dim", nil)])
        case .shape: return (tensors, [("size", nil)])
        case .permutation: return (tensors, [("dims", nil)])
        case .dtype: return (tensors, [("dtype", nil)])
        case .reduction: return (tensors, [("reduction", .string("mean"))])
        case .probability: return (tensors, [("p", .float(0.5))])
        case .scalar(let parameter, let fallback): return (tensors, [(parameter, .float(fallback))])
        case .slice, .sliceScatter, .scatter, .convolution, .pooling, .outputSize, .axisRange, .paddingIndex,
             .normalization, .recurrentCell:
            return (tensors, [])
        }
    }

    /// Python's binding of positional and keyword arguments to named parameters.
    /// A shape or permutation may also come as trailing integers (`x.view(2, 3)`).
    static func bind(_ function: String, _ names: [String], _ attributes: [Parameter], _ args: [Value],
                     _ keywords: [(String, Value)], variadicFirst: Bool) throws -> [String: Value] {
        var bound: [String: Value] = [:]
        var positional = args
        if let last = names.last, ["size", "dims"].contains(last) {
            // x.view(2, 3) / x.permute(1, 0): trailing integers are the one argument.
            let fixed = names.count - 1
            if positional.count > fixed {
                let tail = Array(positional[fixed...])
                if tail.allSatisfy({ $0.integer != nil }) { positional = Array(positional.prefix(fixed)) + [.tuple(tail)] }
            }
        }
        guard positional.count <= names.count else {
            throw LangError.type("\(function)() takes at most \(names.count) arguments (\(args.count) given)")
        }
        for (name, value) in zip(names, positional) { bound[name] = value }
        for (key, value) in keywords {
            let name = key == "axis" ? "dim" : (key == "keepdims" ? "keepdim" : key)
            guard names.contains(name) else {
                throw LangError.type("\(function)() got an unexpected keyword argument '\(key)'"
                                     + Suggestions.hint(for: key, among: names))
            }
            guard bound[name] == nil else { throw LangError.type("\(function)() got multiple values for argument '\(name)'") }
            bound[name] = value
        }
        for p in attributes where bound[p.name] == nil {
            guard let d = p.defaultValue else {
                throw LangError.type("\(function)() missing required argument '\(p.name)'")
            }
            bound[p.name] = d
        }
        for name in names where bound[name] == nil {
            throw LangError.type("\(function)() missing required argument '\(name)'")
        }
        return bound
    }

    static func apply(_ op: OpDefinition, _ name: String, _ tensorNames: [String], _ bound: [String: Value]) throws -> Value {
        // Tensors first: numbers join as scalars like the tensors among them.
        var raw = tensorNames.compactMap { bound[$0] }
        if op.signature.variadic, let list = raw.first { raw = try Iteration.array(list) }
        let tensors = try tensorArguments(raw, name)
        func int(_ key: String) throws -> Int {
            guard let v = bound[key], let i = v.integer else {
                throw LangError.type("\(name)(): argument '\(key)' must be an int, not \(bound[key]?.typeName ?? "None")")
            }
            return i
        }
        var a = OpAttributes()
        switch op.name {
        case "linear":
            let bias: Tensor? = bound["bias"].flatMap { v in if case .none = v { return nil }; return v.tensor }
            return .tensor(try tensors[0].linear(tensors[1], bias))
        case "dropout":
            let p = try float(bound["p"], "p", name)
            let training = try bound["training"]?.isTruthy() ?? true
            return .tensor(try tensors[0].dropout(p, training: training, generator: Interpreter.current?.generator))
        case "indexSelect", "gather":
            let index = try indexTensor(bound["index"], name, like: tensors[0])
            let axis = try int("dim")
            return .tensor(op.name == "gather" ? try tensors[0].gather(axis: axis, indices: index)
                           : try tensors[0].indexSelect(axis: axis, indices: index))
        case "indexAdd", "scatterAdd":
            guard let source = bound["source"]?.tensor else { throw LangError.type("\(name)(): 'source' must be a tensor") }
            let index = try indexTensor(bound["index"], name, like: tensors[0])
            let axis = try int("dim")
            let added = op.name == "indexAdd" ? try source.indexAdd(axis: axis, indices: index, shape: tensors[0].shape)
                : try source.scatterAdd(axis: axis, indices: index, shape: tensors[0].shape)
            return .tensor(try tensors[0] + added)
        case "sliceScatter":
            let (input, source) = (tensors[0], tensors[1])
            let axis = try input.shape.normalizedAxis(try int("dim"), op: name)
            let ranges = try sliceRanges(input.shape, axis: axis, bound["start"], bound["end"], bound["step"], name)
            let old = try input.slice(ranges: ranges).sliceScatter(ranges, shape: input.shape)
            return .tensor(try input - old + source.sliceScatter(ranges, shape: input.shape))
        case "transpose":
            a.axes = [try int("dim0"), try int("dim1")]
        case "conv1d", "conv2d", "convTranspose2d", "maxPool2d", "avgPool2d", "adaptiveAvgPool2d", "flatten",
             "embedding", "layerNorm", "batchNorm":
            return .tensor(try layer(op.name, name, tensors, bound))
        case "slice":
            let axis = try int("dim"), start = try int("start"), length = try int("length")
            return .tensor(try tensors[0].narrow(axis: axis, start: start, length: length))
        default:
            switch op.signature.attributes {
            case .axes, .axisKeepDims:
                let keep = try bound["keepdim"]?.isTruthy() ?? false
                let dims = try dimensions(bound["dim"], name)
                if op.signature.attributes == .axisKeepDims {
                    guard let d = dims else { return .tensor(try tensors[0].argmax(axis: nil)) }
                    guard d.count == 1 else { throw LangError.type("\(name)(): dim must be a single int") }
                    a.axis = d[0]
                    a.keepDims = keep
                } else {
                    a.axes = dims ?? []
                    a.keepDims = keep
                }
            case .axis: a.axis = try int("dim")
            case .shape: a.shape = Shape(try integers(bound["size"], "size", name))
            case .permutation: a.permutation = try integers(bound["dims"], "dims", name)
            case .dtype:
                guard case .object(let d as DTypeObject)? = bound["dtype"] else {
                    throw LangError.type("\(name)(): dtype must be a torch dtype such as torch.float32")
                }
                a.dtype = d.dtype
            case .reduction:
                let text = bound["reduction"]?.str ?? "mean"
                guard let r = Reduction(rawValue: text) else {
                    throw LangError.value("\(text) is not a valid value for reduction (mean, sum, none)")
                }
                a.reduction = r
            case .probability: a.scalar = try float(bound["p"], "p", name)
            case .scalar(let parameter, _): a.scalar = try float(bound[parameter], parameter, name)
            case .none, .slice, .sliceScatter, .scatter, .convolution, .pooling, .outputSize, .axisRange,
                 .paddingIndex, .normalization, .recurrentCell:
                break
            }
        }
        return .tensor(try Dispatch.apply(op, tensors, a))
    }

    static func float(_ v: Value?, _ key: String, _ name: String) throws -> Double {
        guard let v, let x = v.number, v.isNumeric else {
            throw LangError.type("\(name)(): argument '\(key)' must be a number, not \(v?.typeName ?? "None")")
        }
        return x
    }

    /// The layer functions (`F.conv2d`, `F.max_pool2d`, `torch.flatten`, `F.embedding`, …) through the Swift API.
    static func layer(_ op: String, _ name: String, _ tensors: [Tensor], _ bound: [String: Value]) throws -> Tensor {
        func ints(_ key: String) throws -> [Int] { try integers(bound[key], key, name) }
        func int(_ key: String) throws -> Int {
            guard let i = bound[key]?.integer else { throw LangError.type("\(name)(): argument '\(key)' must be an int") }
            return i
        }
        func optionalTensor(_ key: String) -> Tensor? {
            guard let v = bound[key] else { return nil }
            if case .none = v { return nil }
            return v.tensor
        }
        func optionalInts(_ key: String) throws -> [Int] {
            guard let v = bound[key] else { return [] }
            if case .none = v { return [] }
            return try ints(key)
        }
        let x = tensors[0]
        switch op {
        case "conv2d":
            return try x.conv2d(tensors[1], optionalTensor("bias"), stride: ints("stride"), padding: ints("padding"),
                                dilation: ints("dilation"), groups: int("groups"))
        case "conv1d":
            return try x.conv1d(tensors[1], optionalTensor("bias"), stride: int("stride"), padding: int("padding"),
                                dilation: int("dilation"), groups: int("groups"))
        case "convTranspose2d":
            return try x.convTranspose2d(tensors[1], optionalTensor("bias"), stride: ints("stride"),
                                         padding: ints("padding"), outputPadding: ints("output_padding"),
                                         groups: int("groups"), dilation: ints("dilation"))
        case "maxPool2d":
            return try x.maxPool2d(kernelSize: ints("kernel_size"), stride: optionalInts("stride"), padding: ints("padding"))
        case "avgPool2d":
            return try x.avgPool2d(kernelSize: ints("kernel_size"), stride: optionalInts("stride"), padding: ints("padding"))
        case "adaptiveAvgPool2d":
            return try x.adaptiveAvgPool2d(ints("output_size"))
        case "flatten":
            return try x.flatten(startDim: int("start_dim"), endDim: int("end_dim"))
        case "embedding":
            let padding = bound["padding_idx"]?.integer
            return try x.embedding(tensors[1], paddingIndex: padding)
        case "batchNorm":
            let c = x.rank >= 2 ? x.shape[1] : 0
            let weight = try optionalTensor("weight") ?? Tensor.ones([c], dtype: x.dtype, on: x.backend)
            let bias = try optionalTensor("bias") ?? Tensor.zeros([c], dtype: x.dtype, on: x.backend)
            return try x.batchNorm(runningMean: tensors[1], runningVar: tensors[2], weight: weight, bias: bias,
                                   training: try bound["training"]?.isTruthy() ?? false,
                                   momentum: try float(bound["momentum"], "momentum", name),
                                   epsilon: try float(bound["eps"], "eps", name))
        default:  // layerNorm
            let shape = try ints("normalized_shape")
            let eps = try float(bound["eps"], "eps", name)
            let weight = try optionalTensor("weight") ?? Tensor.ones(Shape(shape), dtype: x.dtype, on: x.backend)
            let bias = try optionalTensor("bias") ?? Tensor.zeros(Shape(shape), dtype: x.dtype, on: x.backend)
            guard weight.shape == Shape(shape) else {
                throw LangError.value("\(name)(): weight \(weight.shape) does not match normalized_shape \(shape)")
            }
            return try x.layerNorm(weight, bias, epsilon: eps)
        }
    }

    /// `None` → nil, an int → [int], a tuple or list of ints → the ints.
    static func dimensions(_ v: Value?, _ name: String) throws -> [Int]? {
        guard let v else { return nil }
        if case .none = v { return nil }
        if let i = v.integer { return [i] }
        return try integers(v, "dim", name)
    }

    static func integers(_ v: Value?, _ key: String, _ name: String) throws -> [Int] {
        guard let v else { throw LangError.type("\(name)() missing argument '\(key)'") }
        if let i = v.integer { return [i] }
        if let t = v.tensor, t.dtype == .int64, t.rank <= 1 { return try t.int64s().map { Int($0) } }
        guard let items = v.sequenceItems() else {
            throw LangError.type("\(name)(): argument '\(key)' must be a tuple of ints, not \(v.typeName)")
        }
        return try items.map { item in
            guard let i = item.integer else {
                throw LangError.type("\(name)(): argument '\(key)' must be a tuple of ints, but found element of type \(item.typeName)")
            }
            return i
        }
    }

    static func sliceRanges(_ shape: Shape, axis: Int, _ start: Value?, _ end: Value?, _ step: Value?,
                            _ name: String) throws -> [SliceRange] {
        let n = shape[axis]
        func value(_ v: Value?, _ fallback: Int) -> Int {
            guard let i = v?.integer else { return fallback }
            return Swift.min(Swift.max(i < 0 ? i + n : i, 0), n)
        }
        let s = step?.integer ?? 1
        guard s > 0 else { throw LangError.value("\(name)(): slice step must be positive") }
        var ranges = shape.dims.map { SliceRange.all($0) }
        ranges[axis] = SliceRange(start: value(start, 0), end: value(end, n), step: s)
        return ranges
    }

    /// Tensor arguments: tensors as they are; numbers and nested lists as tensors on the
    /// backend (and, for numbers, in the dtype) of the other tensors.
    static func tensorArguments(_ values: [Value], _ name: String) throws -> [Tensor] {
        if values.count == 1, let t = values[0].tensor { return [t] }
        let reference = values.lazy.compactMap(\.tensor).first
        guard let reference else {
            guard let interpreter = Interpreter.current else {
                throw LangError.type("\(name)() needs at least one tensor argument")
            }
            return try values.map { try TensorFactory.tensor(from: $0, dtype: nil, on: interpreter.backend) }
        }
        return try values.map { v in
            if let t = v.tensor { return t }
            if v.isNumeric { return try Arith.scalar(v, beside: reference) }
            if v.sequenceItems() != nil { return try TensorFactory.tensor(from: v, dtype: nil, on: reference.backend) }
            throw LangError.type("\(name)(): expected a tensor, got \(v.typeName)")
        }
    }

    static func indexTensor(_ v: Value?, _ name: String, like reference: Tensor) throws -> Tensor {
        guard let v else { throw LangError.type("\(name)() missing argument 'index'") }
        if let t = v.tensor { return t }
        return try TensorFactory.tensor(from: v, dtype: .int64, on: reference.backend)
    }
}
