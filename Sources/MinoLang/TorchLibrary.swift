import MinoCore
import MinoModel

/// The torch-like namespaces, built from the op registry's names and the Model
/// layer's constructors: `torch`, `torch.nn`, `torch.nn.functional`, `torch.nn.init`,
/// `torch.optim`, `torch.cuda`.
enum TorchLibrary {
    /// Every registered op under each of its torch names (`torch.add`,
    /// `torch.nn.functional.relu`; `F.x` aliases are `torch.nn.functional.x`), built once.
    static let opFunctions: [String: Function] = {
        var table: [String: Function] = [:]
        for op in OpRegistry.shared.all {
            for alias in op.allNames {
                guard let path = torchPath(alias) else { continue }
                table[path] = TorchOps.function(op, name: path)
            }
        }
        return table
    }()

    /// `torch.add` → `torch.add`; `F.relu` → `torch.nn.functional.relu`; others nil.
    static func torchPath(_ alias: String) -> String? {
        if alias.hasPrefix("torch.Tensor.") { return nil }
        if alias.hasPrefix("torch.") { return alias }
        if alias.hasPrefix("F.") { return "torch.nn.functional." + alias.dropFirst(2) }
        return nil
    }

    /// Method names that are ops: `x.sum(…)` is `torch.sum(x, …)`; `x.view` and other
    /// bare aliases too.
    static let methodTable: [String: Function] = {
        var table: [String: Function] = [:]
        for (path, f) in opFunctions where path.hasPrefix("torch.") && !path.dropFirst(6).contains(".") {
            table[String(path.dropFirst(6))] = f
        }
        for op in OpRegistry.shared.all {
            for alias in op.allNames where !alias.contains(".") && alias.first?.isLetter == true && table[alias] == nil {
                table[alias] = TorchOps.function(op, name: alias)
            }
        }
        for (path, f) in opFunctions where path.hasPrefix("torch.nn.functional.") {
            let name = String(path.dropFirst("torch.nn.functional.".count))
            if table[name] == nil { table[name] = f }
        }
        return table
    }()

    static func tensorMethod(_ name: String) -> Function? { methodTable[name] }
    static var tensorMethodNames: [String] { Array(methodTable.keys) }

    /// The `torch` namespace of one interpreter (constructors make tensors on its backend).
    static func build(for interpreter: Interpreter) -> NamespaceObject {
        let torch = NamespaceObject("torch")
        for (path, f) in opFunctions {
            let parts = path.split(separator: ".").map(String.init).dropFirst()
            torch.child(Array(parts.dropLast())).define(parts.last ?? path, .function(f))
        }
        for dtype in DType.allCases {
            torch.define(String(dtype.info.torchName.dropFirst("torch.".count)), .object(DTypeObject(dtype)))
        }
        torch.define("float", .object(DTypeObject(.float32)))
        torch.define("double", .object(DTypeObject(.float64)))
        torch.define("long", .object(DTypeObject(.int64)))
        torch.define("Tensor", .object(TypeObject("Tensor", sourceName: "torch.Tensor", test: { $0.tensor != nil })))
        Factories.install(into: torch, interpreter)
        NN.install(into: torch.child(["nn"]), interpreter)
        Optimizers.install(into: torch.child(["optim"]))
        return torch
    }
}

/// Keyword and positional arguments of a builtin, read by name.
struct Arguments {
    let function: String
    let values: [String: Value]

    init(_ function: String, _ parameters: [(String, Value?)], _ args: [Value], _ keywords: [(String, Value)]) throws {
        self.function = function
        var values: [String: Value] = [:]
        guard args.count <= parameters.count else {
            throw LangError.type("\(function)() takes at most \(parameters.count) positional arguments (\(args.count) given)")
        }
        for (p, v) in zip(parameters, args) { values[p.0] = v }
        for (k, v) in keywords {
            guard parameters.contains(where: { $0.0 == k }) else {
                throw LangError.type("\(function)() got an unexpected keyword argument '\(k)'"
                                     + Suggestions.hint(for: k, among: parameters.map(\.0)))
            }
            guard values[k] == nil else { throw LangError.type("\(function)() got multiple values for argument '\(k)'") }
            values[k] = v
        }
        for (name, defaultValue) in parameters where values[name] == nil {
            guard let defaultValue else { throw LangError.type("\(function)() missing required argument: '\(name)'") }
            values[name] = defaultValue
        }
        self.values = values
    }

    subscript(_ name: String) -> Value { values[name] ?? .none }

    func number(_ name: String) throws -> Double {
        let v = self[name]
        guard let x = v.number, v.isNumeric else { throw LangError.type("\(function)(): '\(name)' must be a number, not \(v.typeName)") }
        return x
    }

    func int(_ name: String) throws -> Int {
        guard let i = self[name].integer else { throw LangError.type("\(function)(): '\(name)' must be an int, not \(self[name].typeName)") }
        return i
    }

    func bool(_ name: String) throws -> Bool { try self[name].isTruthy() }
}

/// `torch.empty`, `zeros`, `ones`, `randn`, `rand`, `full`, `tensor`, `arange`, `eye`,
/// `manual_seed`, `device`, `no_grad`, `cuda.is_available`.
enum Factories {
    static func install(into torch: NamespaceObject, _ interpreter: Interpreter) {
        func def(_ name: String, _ body: @escaping ([Value], [(String, Value)]) throws -> Value) {
            torch.define(name, .function(Function("torch.\(name)", sourceName: "torch.\(name)", body)))
        }
        /// A sized constructor: size as integers or one sequence, then dtype/requires_grad/device keywords.
        func sized(_ name: String, _ make: @escaping (Shape, DType) throws -> Tensor) {
            def(name) { args, keywords in
                let options = try Arguments("torch.\(name)", [("dtype", Value.none), ("requires_grad", .bool(false)), ("device", Value.none),
                                                               ("layout", Value.none), ("pin_memory", .bool(false))], [], keywords)
                let shape = try TensorFactory.shape(args, "torch.\(name)")
                let dtype = try TensorFactory.dtype(options["dtype"]) ?? .defaultFloat
                let t = try make(shape, dtype)
                try checkDevice(options["device"], interpreter)
                if try options.bool("requires_grad") { t.requiresGrad = true }
                return .tensor(t)
            }
        }
        let backend = interpreter.backend
        sized("empty") { s, d in try Tensor.zeros(s, dtype: d, on: backend) }
        sized("zeros") { s, d in try Tensor.zeros(s, dtype: d, on: backend) }
        sized("ones") { s, d in try Tensor.ones(s, dtype: d, on: backend) }
        sized("randn") { s, d in
            try Tensor(doubles: interpreter.generator.normal(count: s.elementCount), shape: s, dtype: d, on: backend)
        }
        sized("rand") { s, d in
            try Tensor(doubles: interpreter.generator.uniform(count: s.elementCount), shape: s, dtype: d, on: backend)
        }
        def("full") { args, keywords in
            let a = try Arguments("torch.full", [("size", nil), ("fill_value", nil), ("dtype", Value.none), ("requires_grad", .bool(false))], args, keywords)
            let t = try Tensor.full(try a.number("fill_value"), shape: try TensorFactory.shape([a["size"]], "torch.full"),
                                    dtype: try TensorFactory.dtype(a["dtype"]) ?? (a["fill_value"].integer != nil ? .int64 : .defaultFloat), on: backend)
            if try a.bool("requires_grad") { t.requiresGrad = true }
            return .tensor(t)
        }
        def("tensor") { args, keywords in
            let a = try Arguments("torch.tensor", [("data", nil), ("dtype", Value.none), ("requires_grad", .bool(false)), ("device", Value.none)], args, keywords)
            let t = try TensorFactory.tensor(from: a["data"], dtype: try TensorFactory.dtype(a["dtype"]), on: backend)
            try checkDevice(a["device"], interpreter)
            if try a.bool("requires_grad") {
                guard t.dtype.isFloatingPoint else { throw LangError("RuntimeError", "Only Tensors of floating point dtype can require gradients") }
                t.requiresGrad = true
            }
            return .tensor(t)
        }
        def("arange") { args, keywords in
            let options = try Arguments("torch.arange", [("dtype", Value.none), ("requires_grad", .bool(false)), ("device", Value.none)], [], keywords)
            guard (1...3).contains(args.count), args.allSatisfy(\.isNumeric) else {
                throw LangError.type("torch.arange() takes 1 to 3 numbers (end | start, end[, step])")
            }
            let nums = args.map { $0.number ?? 0 }
            let (start, end, step) = args.count == 1 ? (0, nums[0], 1) : (nums[0], nums[1], args.count == 3 ? nums[2] : 1)
            guard step != 0 else { throw LangError("RuntimeError", "torch.arange(): step must be nonzero") }
            let count = Swift.max(0, Int(((end - start) / step).rounded(.up)))
            guard count <= 1 << 32 else { throw LangError("RuntimeError", "torch.arange(): \(count) elements is too many") }
            let allInt = args.allSatisfy { $0.integer != nil }
            let dtype = try TensorFactory.dtype(options["dtype"]) ?? (allInt ? .int64 : .defaultFloat)
            return .tensor(try Tensor(doubles: (0..<count).map { start + Double($0) * step }, shape: [count], dtype: dtype, on: backend))
        }
        def("eye") { args, keywords in
            let a = try Arguments("torch.eye", [("n", nil), ("m", Value.none), ("dtype", Value.none)], args, keywords)
            let n = try a.int("n")
            let m = a["m"].integer ?? n
            _ = try TensorFactory.shape([.int(n), .int(m)], "torch.eye")
            var values = [Double](repeating: 0, count: n * m)
            for i in 0..<Swift.min(n, m) { values[i * m + i] = 1 }
            return .tensor(try Tensor(doubles: values, shape: [n, m], dtype: try TensorFactory.dtype(a["dtype"]) ?? .defaultFloat, on: backend))
        }
        for (name, fill) in [("zeros_like", 0.0), ("ones_like", 1.0)] {
            def(name) { args, keywords in
                let a = try Arguments("torch.\(name)", [("input", nil), ("dtype", Value.none)], args, keywords)
                guard let t = a["input"].tensor else { throw LangError.type("torch.\(name)(): input must be a tensor") }
                return .tensor(try Tensor.full(fill, shape: t.shape, dtype: try TensorFactory.dtype(a["dtype"]) ?? t.dtype, on: t.backend))
            }
        }
        def("randn_like") { args, _ in
            guard let t = args.first?.tensor else { throw LangError.type("torch.randn_like(): input must be a tensor") }
            return .tensor(try Tensor(doubles: interpreter.generator.normal(count: t.elementCount), shape: t.shape, dtype: t.dtype, on: t.backend))
        }
        def("manual_seed") { args, _ in
            guard args.count == 1, let seed = args[0].integer else { throw LangError.type("torch.manual_seed() takes one integer") }
            interpreter.generator = RandomGenerator(seed: UInt64(bitPattern: Int64(seed)))
            return .none
        }
        def("is_tensor") { args, _ in .bool(args.first?.tensor != nil) }
        def("numel") { args, _ in
            guard let t = args.first?.tensor else { throw LangError.type("torch.numel(): input must be a tensor") }
            return .int(t.elementCount)
        }
        def("device") { args, _ in
            guard args.count == 1, case .string(let s) = args[0] else { throw LangError.type("torch.device() takes a device string such as \"cpu\"") }
            return .object(try DeviceObject(s))
        }
        def("no_grad") { _, _ in .object(NoGradContext()) }
        let cuda = torch.child(["cuda"])
        cuda.define("is_available", .function(Function("torch.cuda.is_available", sourceName: "torch.cuda.is_available") { _, _ in
            .bool(cudaDevice(interpreter) != nil)
        }))
        cuda.define("device_count", .function(Function("torch.cuda.device_count") { _, _ in .int(cudaDevice(interpreter) != nil ? 1 : 0) }))
    }

    static func cudaDevice(_ interpreter: Interpreter) -> String? {
        guard let d = (interpreter.backend as? DeviceReporting)?.deviceName, d.hasPrefix("cuda") else { return nil }
        return d
    }

    static func checkDevice(_ value: Value, _ interpreter: Interpreter) throws {
        let spec: String
        switch value {
        case .none: return
        case .string(let s): spec = s
        case .object(let d as DeviceObject): spec = d.str
        default: throw LangError.type("device must be a string or torch.device, not \(value.typeName)")
        }
        let device = try DeviceObject(spec)
        let current = (interpreter.backend as? DeviceReporting)?.deviceName ?? "cpu"
        guard device.type == (try DeviceObject(current)).type else {
            throw LangError("RuntimeError", "device \(spec) is not the \(interpreter.backend.name) backend's (\(current)); "
                            + "for CUDA run with --backend torch and MINO_TORCH_DEVICE=\(spec)")
        }
    }
}

/// `torch.nn`: `Parameter`, `Module`, the layers and `init`.
enum NN {
    static func install(into nn: NamespaceObject, _ interpreter: Interpreter) {
        nn.define("Parameter", .object(TypeObject("Parameter", sourceName: "torch.nn.Parameter", test: { v in
            if case .parameter = v { return true }
            return false
        }, construct: { args, keywords in
            let a = try Arguments("Parameter", [("data", nil), ("requires_grad", .bool(true))], args, keywords)
            guard let t = a["data"].tensor else { throw LangError.type("Parameter(): data must be a tensor, not \(a["data"].typeName)") }
            let leaf = t.isLeaf ? t : t.detached()
            let requires = try a.bool("requires_grad")
            if requires && !leaf.dtype.isFloatingPoint {
                throw LangError("RuntimeError", "Only Tensors of floating point dtype can require gradients")
            }
            leaf.requiresGrad = requires
            return .parameter(leaf)
        })))
        nn.define("Module", .object(TypeObject("Module", sourceName: "torch.nn.Module", test: { v in
            if case .object(let o) = v { return o is ModuleValue }
            return false
        })))
        func layer(_ name: String, _ parameters: [(String, Value?)], _ make: @escaping (Arguments) throws -> LayerObject.Kind) {
            nn.define(name, .object(TypeObject(name, sourceName: "torch.nn.\(name)", test: { v in
                if case .object(let o as LayerObject) = v { return o.moduleName == name }
                return false
            }, construct: { args, keywords in
                .object(LayerObject(try make(try Arguments("nn.\(name)", parameters, args, keywords)), generator: interpreter.generator))
            })))
        }
        layer("Linear", [("in_features", nil), ("out_features", nil), ("bias", .bool(true)), ("dtype", Value.none), ("device", Value.none)]) { a in
            .linear(try Linear(try a.int("in_features"), try a.int("out_features"), bias: try a.bool("bias"),
                               dtype: try TensorFactory.dtype(a["dtype"]) ?? .defaultFloat,
                               generator: interpreter.generator, on: interpreter.backend))
        }
        for (name, activation) in [("ReLU", Activation.relu), ("Sigmoid", .sigmoid), ("Tanh", .tanh), ("Identity", .identity)] {
            layer(name, [("inplace", .bool(false))]) { _ in .activation(activation) }
        }
        layer("Dropout", [("p", .float(0.5)), ("inplace", .bool(false))]) { a in
            let p = try a.number("p")
            guard p >= 0, p <= 1 else { throw LangError.value("dropout probability has to be between 0 and 1, but got \(p)") }
            return .dropout(p)
        }
        nn.define("Sequential", .object(TypeObject("Sequential", sourceName: "torch.nn.Sequential", test: { v in
            if case .object(let o as LayerObject) = v { return o.moduleName == "Sequential" }
            return false
        }, construct: { args, keywords in
            guard keywords.isEmpty else { throw LangError.type("Sequential() takes modules only") }
            let layers = try args.map { v -> ModuleValue in
                guard case .object(let m as ModuleValue) = v else {
                    throw LangError.type("Sequential(): \(v.typeName) is not a Module subclass")
                }
                return m
            }
            return .object(LayerObject(.sequential(layers), generator: interpreter.generator))
        })))
        ModelLayers.install(into: nn, interpreter)
        installInit(into: nn.child(["init"]), interpreter)
    }

    static func installInit(into initNamespace: NamespaceObject, _ interpreter: Interpreter) {
        func def(_ names: [String], _ parameters: [(String, Value?)], _ initializer: @escaping (Arguments, Tensor) throws -> Initializer) {
            for name in names {
                initNamespace.define(name, .function(Function("torch.nn.init.\(name)", sourceName: "torch.nn.init.\(name)") { args, keywords in
                    let a = try Arguments("torch.nn.init.\(name)", [("tensor", nil)] + parameters, args, keywords)
                    guard let t = a["tensor"].tensor else { throw LangError.type("torch.nn.init.\(name)(): tensor must be a tensor") }
                    try TensorMethods.fill(t, with: try initializer(a, t).values(t.shape, generator: interpreter.generator))
                    return a["tensor"]
                }))
            }
        }
        def(["normal_", "normal"], [("mean", .float(0)), ("std", .float(1))]) { a, _ in .normal(mean: try a.number("mean"), std: try a.number("std")) }
        def(["uniform_", "uniform"], [("a", .float(0)), ("b", .float(1))]) { a, _ in .uniform(low: try a.number("a"), high: try a.number("b")) }
        def(["zeros_"], []) { _, _ in .zeros }
        def(["ones_"], []) { _, _ in .constant(1) }
        def(["constant_", "constant"], [("val", nil)]) { a, _ in .constant(try a.number("val")) }
        func fans(_ t: Tensor) throws {
            guard t.rank >= 2 else { throw LangError.value("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions") }
        }
        def(["xavier_uniform_", "xavier_uniform"], [("gain", .float(1))]) { a, t in try fans(t); return .xavierUniform(gain: try a.number("gain")) }
        def(["xavier_normal_", "xavier_normal"], [("gain", .float(1))]) { a, t in try fans(t); return .xavierNormal(gain: try a.number("gain")) }
        def(["kaiming_uniform_", "kaiming_uniform"], [("a", .float(0)), ("mode", .string("fan_in")), ("nonlinearity", .string("leaky_relu"))]) { a, t in
            try fans(t)
            let slope = try a.number("a")
            return .kaimingUniform(gain: (2 / (1 + slope * slope)).squareRoot())
        }
        def(["kaiming_normal_", "kaiming_normal"], [("a", .float(0)), ("mode", .string("fan_in")), ("nonlinearity", .string("leaky_relu"))]) { a, t in
            try fans(t)
            let slope = try a.number("a")
            return .kaimingNormal(gain: (2 / (1 + slope * slope)).squareRoot())
        }
    }
}

/// `torch.optim.SGD`, `Adam`, `AdamW`.
enum Optimizers {
    static func install(into optim: NamespaceObject) {
        func def(_ name: String, _ parameters: [(String, Value?)], _ make: @escaping (Arguments, [Tensor]) throws -> Optimizer) {
            optim.define(name, .object(TypeObject(name, sourceName: "torch.optim.\(name)", test: { v in
                if case .object(let o as OptimizerObject) = v { return o.name == name }
                return false
            }, construct: { args, keywords in
                let a = try Arguments(name, [("params", nil)] + parameters, args, keywords)
                let params = try Iteration.array(a["params"]).map { v -> Tensor in
                    guard let t = v.tensor else { throw LangError.type("\(name)(): params must be tensors, found \(v.typeName)") }
                    guard t.isLeaf else { throw LangError.value("\(name)(): can't optimize a non-leaf Tensor") }
                    return t
                }
                guard !params.isEmpty else { throw LangError.value("\(name)(): optimizer got an empty parameter list") }
                return .object(OptimizerObject(name, try make(a, params)))
            })))
        }
        func betas(_ a: Arguments) throws -> (Double, Double) {
            let b = try Iteration.array(a["betas"])
            guard b.count == 2, let b1 = b[0].number, let b2 = b[1].number else { throw LangError.value("betas must be a pair of numbers") }
            return (b1, b2)
        }
        def("SGD", [("lr", nil), ("momentum", .float(0)), ("dampening", .float(0)), ("weight_decay", .float(0)), ("nesterov", .bool(false))]) { a, p in
            guard try a.number("dampening") == 0 else { throw LangError.value("SGD(): dampening is not supported by Mino's SGD") }
            return try SGD(p, learningRate: try a.number("lr"), momentum: try a.number("momentum"),
                           weightDecay: try a.number("weight_decay"), nesterov: try a.bool("nesterov"))
        }
        let adamParameters: [(String, Value?)] = [("lr", .float(0.001)), ("betas", .tuple([.float(0.9), .float(0.999)])),
                                                  ("eps", .float(1e-8)), ("amsgrad", .bool(false))]
        def("Adam", adamParameters + [("weight_decay", .float(0))]) { a, p in
            let (b1, b2) = try betas(a)
            guard try !a.bool("amsgrad") else { throw LangError.value("Adam(): amsgrad is not supported by Mino's Adam") }
            return try Adam(p, learningRate: try a.number("lr"), beta1: b1, beta2: b2, epsilon: try a.number("eps"),
                            weightDecay: try a.number("weight_decay"))
        }
        def("AdamW", adamParameters + [("weight_decay", .float(0.01))]) { a, p in
            let (b1, b2) = try betas(a)
            return try Adam(p, learningRate: try a.number("lr"), beta1: b1, beta2: b2, epsilon: try a.number("eps"),
                            weightDecay: try a.number("weight_decay"), decoupledWeightDecay: true)
        }
    }
}
