import MinoCore

/// Tensor attributes and methods as PyTorch spells them. Methods not listed here are
/// the torch function of the same name with the tensor first (`x.sum(1)` is
/// `torch.sum(x, 1)`), found through the op registry.
enum TensorMethods {
    static func attribute(_ t: Tensor, _ name: String, _ value: Value) throws -> Value {
        switch name {
        case "shape": return .tuple(t.shape.dims.map { .int($0) })
        case "dtype": return .object(DTypeObject(t.dtype))
        case "device": return .object(try DeviceObject(deviceName(t)))
        case "grad": return t.grad.map { .tensor($0) } ?? .none
        case "requires_grad": return .bool(t.requiresGrad)
        case "is_leaf": return .bool(t.isLeaf)
        case "ndim": return .int(t.rank)
        case "data": return .tensor(t.detached())
        case "T": return .tensor(try t.permute(Array((0..<t.rank).reversed())))
        case "grad_fn": return t.creator.map { .string($0.definition.name) } ?? .none
        default:
            // A method used as a value (`(map x.exp …)`): a bound function, for names that are methods.
            guard methodNames.contains(name) else {
                throw LangError.attribute("'Tensor' object has no attribute '\(name)'" + Suggestions.hint(for: name, among: methodNames))
            }
            return .function(Function(name) { args, keywords in try call(t, value, name, args, keywords) })
        }
    }

    static func setAttribute(_ t: Tensor, _ name: String, _ value: Value) throws {
        switch name {
        case "requires_grad":
            guard t.isLeaf else {
                throw LangError("RuntimeError", "you can only change requires_grad flags of leaf variables")
            }
            t.requiresGrad = try value.isTruthy()
        case "grad":
            if case .none = value { t.zeroGrad(); return }
            throw LangError.attribute("assigning a gradient directly is not supported; use (.zero_ x.grad) or backward")
        default:
            throw LangError.attribute("'Tensor' object attribute '\(name)' cannot be set")
        }
    }

    static func deviceName(_ t: Tensor) -> String {
        if t.backend.name == "torch", let d = (t.backend as? DeviceReporting)?.deviceName { return d }
        return "cpu"
    }

    static func call(_ t: Tensor, _ value: Value, _ name: String, _ args: [Value], _ keywords: [(String, Value)]) throws -> Value {
        func keyword(_ key: String, _ position: Int) -> Value? {
            keywords.first { $0.0 == key }?.1 ?? (position < args.count ? args[position] : nil)
        }
        func number(_ key: String, _ position: Int, _ fallback: Double) throws -> Double {
            guard let v = keyword(key, position) else { return fallback }
            guard let x = v.number, v.isNumeric else { throw LangError.type("\(name)(): argument '\(key)' must be a number, not \(v.typeName)") }
            return x
        }
        let generator = Interpreter.current?.generator ?? RandomGenerator.default
        switch name {
        case "size":
            if let d = keyword("dim", 0), let i = d.integer {
                return .int(t.shape[try t.shape.normalizedAxis(i, op: "size")])
            }
            return .tuple(t.shape.dims.map { .int($0) })
        case "dim", "ndimension": return .int(t.rank)
        case "numel", "nelement": return .int(t.elementCount)
        case "__len__":
            guard t.rank > 0 else { throw LangError.type("len() of a 0-d tensor") }
            return .int(t.shape[0])
        case "item":
            guard t.elementCount == 1 else {
                throw LangError.value("a Tensor with \(t.elementCount) elements cannot be converted to Scalar (shape \(t.shape))")
            }
            let x = try t.item()
            return t.dtype == .int64 ? .int(Int(x)) : .float(x)
        case "tolist": return try list(t)
        case "backward":
            let gradient = keyword("gradient", 0)?.tensor
            try t.backward(gradient)
            return .none
        case "detach": return .tensor(t.detached())
        case "requires_grad_":
            guard t.isLeaf else { throw LangError("RuntimeError", "you can only change requires_grad flags of leaf variables") }
            t.requiresGrad = try keyword("requires_grad", 0)?.isTruthy() ?? true
            return value
        case "zero_": try fill(t, with: Array(repeating: 0, count: t.elementCount)); return value
        case "fill_": try fill(t, with: Array(repeating: try number("value", 0, 0), count: t.elementCount)); return value
        case "normal_":
            let mean = try number("mean", 0, 0), std = try number("std", 1, 1)
            try fill(t, with: generator.normal(count: t.elementCount, mean: mean, std: std))
            return value
        case "uniform_":
            let low = try number("a", 0, 0), high = try number("b", 1, 1)
            try fill(t, with: generator.uniform(count: t.elementCount, low: low, high: high))
            return value
        case "to", "type":
            return try convert(t, value, args, keywords)
        case "float": return .tensor(try t.cast(to: .float32))
        case "double": return .tensor(try t.cast(to: .float64))
        case "long", "int": return .tensor(try t.cast(to: .int64))
        case "cpu", "contiguous": return value
        case "cuda":
            throw LangError("RuntimeError", "Tensor.cuda(): this tensor lives on the \(t.backend.name) backend; run with --backend torch and MINO_TORCH_DEVICE=cuda")
        case "clone": return .tensor(try t * 1.0)
        case "t":
            guard t.rank <= 2 else { throw LangError("RuntimeError", "t() expects a tensor with <= 2 dimensions, but self is \(t.rank)D") }
            return .tensor(t.rank < 2 ? t : try t.transposed())
        case "flatten":
            return .tensor(try t.flatten(from: keyword("start_dim", 0)?.integer ?? 0))
        case "unsqueeze":
            guard let d = keyword("dim", 0)?.integer else { throw LangError.type("unsqueeze() missing required argument 'dim'") }
            return .tensor(try t.unsqueeze(d))
        case "squeeze": return .tensor(try t.squeeze(keyword("dim", 0)?.integer))
        case "max", "min":
            let dim = keyword("dim", 0)
            let keep = try keyword("keepdim", 1)?.isTruthy() ?? false
            let source = name == "min" ? try t.neg() : t
            guard let d = dim?.integer else {
                let m = try source.max()
                return .tensor(name == "min" ? try m.neg() : m)
            }
            let values = try source.max(axes: [d], keepDims: keep)
            let indices = try source.argmax(axis: d, keepDims: keep)
            return .tuple([.tensor(name == "min" ? try values.neg() : values), .tensor(indices)])
        default:
            guard let function = TorchLibrary.tensorMethod(name) else {
                throw LangError.attribute("'Tensor' object has no attribute '\(name)'"
                                          + Suggestions.hint(for: name, among: methodNames))
            }
            return try function.call([value] + args, keywords)
        }
    }

    static var methodNames: [String] {
        ["size", "dim", "numel", "item", "tolist", "backward", "detach", "requires_grad_", "zero_", "fill_",
         "normal_", "uniform_", "to", "float", "double", "long", "cpu", "clone", "t", "flatten", "unsqueeze",
         "squeeze", "max", "min", "shape", "dtype", "grad", "requires_grad", "view", "reshape"]
            + TorchLibrary.tensorMethodNames
    }

    /// Writes host values into a tensor in place, recording nothing (PyTorch's in-place
    /// initialisers run under no_grad).
    static func fill(_ t: Tensor, with values: [Double]) throws {
        guard t.isLeaf else {
            throw LangError("RuntimeError", "in-place initialisation of a tensor computed from others is not supported")
        }
        try t.assign(try Tensor(doubles: values, shape: t.shape, dtype: t.dtype, on: t.backend))
    }

    static func list(_ t: Tensor) throws -> Value {
        let host = try t.toHost()
        let values = host.doubles
        func element(_ x: Double) -> Value { t.dtype == .int64 ? .int(Int(x)) : .float(x) }
        guard t.rank > 0 else { return element(values.first ?? 0) }
        func build(_ axis: Int, _ offset: Int) -> Value {
            let stride = t.shape.dims[(axis + 1)...].reduce(1, *)
            if axis == t.rank - 1 {
                return .list(ListBox((0..<t.shape[axis]).map { element(values[offset + $0]) }))
            }
            return .list(ListBox((0..<t.shape[axis]).map { build(axis + 1, offset + $0 * stride) }))
        }
        return build(0, 0)
    }

    /// `x.to(dtype)`, `x.to(device)`, `x.to("cpu")`, `x.to(other)`.
    static func convert(_ t: Tensor, _ value: Value, _ args: [Value], _ keywords: [(String, Value)]) throws -> Value {
        var result = t
        for v in args + keywords.map(\.1) {
            switch v {
            case .object(let d as DTypeObject):
                if d.dtype != result.dtype { result = try result.cast(to: d.dtype) }
            case .object(let device as DeviceObject):
                try checkDevice(device.str, of: result)
            case .string(let s):
                if let d = try? DType(parsing: s) { if d != result.dtype { result = try result.cast(to: d) } } else {
                    try checkDevice(s, of: result)
                }
            case .tensor(let other), .parameter(let other):
                if other.dtype != result.dtype { result = try result.cast(to: other.dtype) }
            case .bool, .none: break
            default: throw LangError.type("to() received an invalid combination of arguments: \(v.typeName)")
            }
        }
        if result === t { return value }
        return .tensor(result)
    }

    static func checkDevice(_ spec: String, of t: Tensor) throws {
        let device = try DeviceObject(spec)
        let current = try DeviceObject(deviceName(t))
        guard device.type == current.type else {
            throw LangError("RuntimeError", "cannot move a tensor of the \(t.backend.name) backend (device \(current.str)) to \(spec): "
                            + "Mino moves tensors between backends, not devices; run with --backend torch and MINO_TORCH_DEVICE=\(spec)")
        }
    }
}

/// Backends that know a device name beyond "cpu" (the torch backend).
public protocol DeviceReporting {
    var deviceName: String { get }
}

/// `(get x i)`, `(get x (, i j))`, `(get x (slice 1 3))` on tensors.
enum TensorIndexing {
    static func get(_ t: Tensor, _ key: Value) throws -> Tensor {
        let keys: [Value]
        if case .tuple(let items) = key { keys = items } else { keys = [key] }
        guard keys.count <= t.rank else {
            throw LangError.index("too many indices for tensor of dimension \(t.rank)")
        }
        var result = t
        var axis = 0
        var dropped: [Int] = []
        for k in keys {
            if let i = k.integer {
                let size = result.shape[axis]
                let p = i < 0 ? i + size : i
                guard p >= 0, p < size else {
                    throw LangError.index("index \(i) is out of bounds for dimension \(axis) with size \(size)")
                }
                result = try result.slice(axis: axis, start: p, end: p + 1)
                dropped.append(axis)
            } else if case .object(let s as SliceObject) = k {
                guard (s.step ?? 1) > 0 else { throw LangError.value("step must be greater than zero") }
                result = try result.slice(axis: axis, start: s.start, end: s.stop, step: s.step ?? 1)
            } else if case .none = k {
                // keep the axis whole
            } else {
                let index = try k.tensor ?? TensorFactory.tensor(from: k, dtype: .int64, on: t.backend)
                result = try result.indexSelect(axis: axis, indices: index.reshape([-1]))
            }
            axis += 1
        }
        guard !dropped.isEmpty else { return result }
        let dims = result.shape.dims.enumerated().filter { !dropped.contains($0.offset) }.map(\.element)
        return try result.reshape(Shape(dims))
    }
}
