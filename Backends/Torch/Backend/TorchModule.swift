import Foundation
import MinoCore
import MinoPython

/// A PyTorch module as a Mino component (GenPyTorch's `TorchGenerativeFunction`):
/// its forward runs in PyTorch, and its gradients join Mino's tape.
///
///     let net = try TorchModule(file: "Examples/lenet.py", className: "MyModel", on: backend)
///     let y = try net(x)                      // forward in torch; recorded as one operation
///     try loss(y).backward()                  // torch.autograd gives the module's VJP
///     try Adam(parameters: net.parameters).step()
///
/// **Parameters** are Mino tensors (leaves with `requiresGrad`), listed under
/// PyTorch's names (`fc1.weight`). They are the truth: each call runs
/// `torch.func.functional_call` with them in place of the module's own, so
/// whatever Mino's optimizers do to them (in place or by replacing a
/// storage) the next forward sees it. On the torch backend they are the
/// module's own parameter memory (zero copy, updated in place); on other
/// backends they are copies, and ``syncToTorch()`` writes them back into the
/// module (printing and ``torchModule`` do it first).
///
/// **A call** is one foreign operation on the tape
/// (``Dispatch/applyForeign(_:_:forward:)``): the forward keeps torch's graph
/// (its output and leaf tensors); the derivative calls `torch.autograd.grad`
/// with Mino's upstream gradient, for the inputs and the parameters that need
/// one. Inputs on a CPU backend cross into torch once (one copy) and the
/// output and gradients cross back once; on the torch backend nothing is copied.
///
/// Errors: a `.py` file that fails to import, a missing class, a forward that
/// raises: a ``MinoError`` with the Python type, message and traceback.
public final class TorchModule {
    /// Where the module came from, for source and messages.
    public enum Origin: Equatable {
        /// A `.py` file (its path as given) and the class name.
        case file(String, className: String)
        /// Python source text and the class name.
        case source(String, className: String)
        /// A live `torch.nn.Module` made elsewhere.
        case object
    }

    /// The `torch.nn.Module`.
    public let module: PythonObject
    public let origin: Origin
    /// The backend the parameters live on, and that inputs must be on.
    public let backend: any Backend
    /// The module's class name (`MyModel`).
    public let className: String
    /// Every parameter under its PyTorch name, in `named_parameters` order.
    public let namedParameters: [(name: String, tensor: Tensor)]
    /// The parameters, in the order of ``namedParameters``.
    public var parameters: [Tensor] { namedParameters.map(\.tensor) }
    /// Every buffer of the module's `state_dict` (batch norm's running statistics) under its
    /// PyTorch name: Mino tensors passed to each forward beside the parameters, so they are
    /// saved, loaded and updated (in training mode) as the module's own would be.
    public let namedBuffers: [(name: String, tensor: Tensor)]

    let bridge: TorchBridge
    let op: OpDefinition
    private let names: PythonObject

    /// Wraps a live `torch.nn.Module` whose parameters become Mino tensors on `backend`
    /// (the registry's current backend when nil).
    public convenience init(module: PythonObject, on backend: (any Backend)? = nil) throws {
        try self.init(module: module, origin: .object, on: backend)
    }

    /// Runs `source` as a Python module and makes `className(arguments…, keywords…)`.
    ///
    /// - Parameters:
    ///   - filename: what tracebacks show for the source.
    ///   - seed: seeds torch's generator for the constructor only (the global one is
    ///     left as it was), so the initial weights follow from it; nil uses torch's global state.
    public convenience init(python source: String, className: String, arguments: [PythonConvertible?] = [],
                            keywords: [(String, PythonConvertible?)] = [], filename: String = "<torch-module>",
                            seed: UInt64? = nil, on backend: (any Backend)? = nil) throws {
        let bridge = try TorchBridge.shared()
        let module = try bridge.instantiate(source: source, filename: filename, className: className,
                                            arguments: arguments, keywords: keywords, seed: seed)
        try self.init(module: module, origin: .source(source, className: className), on: backend)
    }

    /// Runs the `.py` file at `path` and makes `className(arguments…, keywords…)`.
    public convenience init(file path: String, className: String, arguments: [PythonConvertible?] = [],
                            keywords: [(String, PythonConvertible?)] = [], seed: UInt64? = nil,
                            on backend: (any Backend)? = nil) throws {
        let source: String
        do {
            source = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw MinoError(.argument, "torch module: cannot read \(path): \(error.localizedDescription)")
        }
        let bridge = try TorchBridge.shared()
        let module = try bridge.instantiate(source: source, filename: path, className: className,
                                            arguments: arguments, keywords: keywords, seed: seed)
        try self.init(module: module, origin: .file(path, className: className), on: backend)
    }

    private init(module: PythonObject, origin: Origin, on backend: (any Backend)?) throws {
        let bridge = try TorchBridge.shared()
        let target = try backend ?? BackendRegistry.shared.current()
        let className = try bridge.call("checking the module", "check_module", [module])
            .attribute("__class__").attribute("__name__").toString()
        // On the torch backend the module moves to its device, and Mino's parameters are its memory.
        if let torch = target as? TorchBackend {
            do { try module.callMethod("to", [torch.device]) } catch { throw TorchBridge.error(error, className) }
        }
        var named: [(String, Tensor)] = []
        for pair in try bridge.call(className, "parameters", [module]).toArray() {
            let items = try pair.toArray()
            guard items.count == 2 else { throw MinoError(.backend, "torch module: bad parameter list") }
            let name = try items[0].toString()
            let tensor = try bridge.minoTensor(items[1], on: target, requiresGrad: true)
            tensor.name = name
            named.append((name, tensor))
        }
        self.module = module
        self.origin = origin
        self.backend = target
        self.className = className
        var buffers: [(String, Tensor)] = []
        for pair in try bridge.call(className, "buffers", [module]).toArray() {
            let items = try pair.toArray()
            guard items.count == 2 else { throw MinoError(.backend, "torch module: bad buffer list") }
            let name = try items[0].toString()
            let tensor = try bridge.minoTensor(items[1], on: target, requiresGrad: false)
            tensor.name = name
            buffers.append((name, tensor))
        }
        self.namedParameters = named
        self.namedBuffers = buffers
        self.bridge = bridge
        self.names = try PythonList((named + buffers).map { $0.0 }).pythonObject()
        self.op = TorchModule.definition(className, bridge)
    }

    /// The foreign op of one module: its derivative is torch's VJP through what the call saved.
    private static func definition(_ className: String, _ bridge: TorchBridge) -> OpDefinition {
        OpDefinition(foreign: "torch:\(className)", summary: "the forward of the PyTorch module \(className)") { c in
            guard let saved = c.saved as? SavedCall else {
                throw MinoError(.autodiff, "torch:\(className): the call kept no torch graph")
            }
            if GradMode.isEnabled {
                throw MinoError(.autodiff, "torch:\(className): gradients of gradients through a PyTorch module "
                                + "are not supported (backward with createGraph)")
            }
            let upstream = try bridge.torchTensor(c.upstream)
            let grads = try bridge.call("\(className) backward (torch.autograd)", "backward",
                                        [saved.output, saved.leaves, upstream, PythonList(c.needsGradient),
                                         c.retainsGraph]).toArray()
            guard grads.count == c.inputs.count else {
                throw MinoError(.backend, "torch:\(className): backward gave \(grads.count) gradients for \(c.inputs.count) inputs")
            }
            return try zip(grads, c.inputs).map { g, input in
                g.isNone ? nil : try bridge.minoTensor(g, on: input.backend, requiresGrad: false)
            }
        }
    }

    /// What one recorded call keeps: torch's output (with its graph) and its leaves.
    final class SavedCall {
        let output: PythonObject
        let leaves: PythonObject
        init(output: PythonObject, leaves: PythonObject) {
            self.output = output
            self.leaves = leaves
        }
    }

    /// The module's forward on `inputs`, recorded on Mino's tape.
    ///
    /// - Throws: ``MinoError`` for inputs on another backend than the parameters',
    ///   or the forward's Python exception (with its traceback).
    public func callAsFunction(_ inputs: [Tensor]) throws -> Tensor {
        guard !inputs.isEmpty else { throw MinoError(.argument, "\(className).forward: needs at least one tensor") }
        for x in inputs where x.backend !== backend {
            throw MinoError(.backend, "\(className).forward: an input is on \(x.backend.name), the module's "
                            + "parameters on \(backend.name); move it with `to(_:)`")
        }
        let all = inputs + parameters + namedBuffers.map(\.tensor)
        let count = inputs.count
        return try Dispatch.applyForeign(op, all) { tensors, recording in
            let torchTensors = try tensors.map { try bridge.torchTensor($0) }
            let needs = tensors.map { recording && $0.requiresGrad }
            let result = try bridge.call("\(className).forward", "forward",
                                         [module, names, PythonList(torchTensors), PythonList(needs), count, recording])
            // Buffers the forward updated in place (training batch norm): on the torch backend that
            // was Mino's own memory; elsewhere it was a copy, whose new values come back.
            if !namedBuffers.isEmpty, !(backend is TorchBackend), isTraining {
                let first = count + namedParameters.count
                for (i, (_, buffer)) in namedBuffers.enumerated() {
                    try buffer.assign(try bridge.minoTensor(torchTensors[first + i], on: backend, requiresGrad: false))
                }
            }
            let output = try result.item(0)
            let mino = try bridge.minoTensor(try output.callMethod("detach"), on: backend, requiresGrad: false)
            return (mino, recording ? SavedCall(output: output, leaves: try result.item(1)) : nil)
        }
    }

    public func callAsFunction(_ input: Tensor) throws -> Tensor { try self([input]) }

    /// Writes Mino's parameter and buffer values into the module's own (a no-op where they share memory).
    public func syncToTorch() throws {
        let values = try (namedParameters + namedBuffers).map { try bridge.torchTensor($0.tensor) }
        _ = try bridge.call(className, "write_parameters", [module, names, PythonList(values)])
    }

    /// The module with Mino's current parameter values, for use in Python.
    public var torchModule: PythonObject {
        get throws {
            try syncToTorch()
            return module
        }
    }

    /// `module.training`.
    public var isTraining: Bool { (try? module.attribute("training").toBool()) ?? true }

    /// `module.train(on)`: dropout and batch norm in the module follow Mino's `.train` / `.eval`.
    public func setTraining(_ on: Bool) throws {
        do { try module.callMethod("train", [on]) } catch { throw TorchBridge.error(error, className) }
    }

    /// PyTorch's `repr(module)`.
    public func torchRepr() throws -> String {
        try syncToTorch()
        do { return try module.repr() } catch { throw TorchBridge.error(error, className) }
    }
}

/// The Python side of ``TorchModule`` (`mino_interop`) and the moves of tensors
/// between Mino backends and torch, started once per process.
final class TorchBridge: @unchecked Sendable {
    let python: PythonInterpreter
    let interop: PythonObject
    /// A cpu torch backend, for host transfers of tensors of the other backends.
    let host: TorchBackend
    private var functions: [String: PythonObject] = [:]
    private let lock = NSLock()

    private init() throws {
        host = try TorchBackend(try TorchConfiguration(device: .cpu))
        python = host.python
        let name = TorchInteropSource.moduleName
        let filename = "<\(name)>"
        do {
            let module = try python.import("types").callMethod("ModuleType", [name])
            try python.run(TorchInteropSource.text, globals: try module.attribute("__dict__"), filename: filename)
            try python.import("sys").attribute("modules").setItem(name, module)
            let lines = try TorchInteropSource.text.pythonObject().callMethod("splitlines", [true])
            try python.import("linecache").attribute("cache")
                .setItem(filename, PythonTuple(TorchInteropSource.text.utf8.count, nil, lines, filename))
            interop = module
        } catch {
            throw TorchErrors.mino(error, op: "loading \(name)")
        }
    }

    private static let lock = NSLock()
    private static var running: TorchBridge?

    /// The process's bridge; starts Python and torch on first use.
    ///
    /// - Throws: ``MinoError`` `.backend` saying what to install when Python or torch is missing.
    static func shared() throws -> TorchBridge {
        lock.lock()
        defer { lock.unlock() }
        if let running { return running }
        do {
            let bridge = try TorchBridge()
            running = bridge
            return bridge
        } catch let error as MinoError {
            throw MinoError(error.kind, "PyTorch modules (TorchModule, torch-module, mino import) need Python with torch; "
                            + "it could not be started:\n" + error.message)
        }
    }

    /// `mino_interop.<function>(args)`, Python errors as ``MinoError``s naming `what`.
    func call(_ what: String, _ function: String, _ args: [PythonConvertible?]) throws -> PythonObject {
        do {
            return try resolve(function).call(args)
        } catch {
            throw TorchBridge.error(error, what)
        }
    }

    private func resolve(_ name: String) throws -> PythonObject {
        lock.lock()
        defer { lock.unlock() }
        if let f = functions[name] { return f }
        let f = try interop.attribute(name)
        functions[name] = f
        return f
    }

    /// A Python failure as a ``MinoError``: a user mistake the interop module
    /// names (`.argument`, its message), else `.backend` with the traceback.
    static func error(_ error: Error, _ what: String) -> MinoError {
        switch error {
        case let error as MinoError:
            return error
        case let error as PythonError:
            if error.typeName.hasSuffix("MinoInteropError") { return MinoError(.argument, error.message) }
            var text = "\(what): Python \(error.typeName): \(error.message)"
            let traceback = error.traceback.trimmingCharacters(in: .newlines)
            if traceback.contains("Traceback (most recent call last)") { text += "\n" + traceback }
            return MinoError(.backend, text)
        default:
            return MinoError(.backend, "\(what): \(error)")
        }
    }

    /// Runs `source` as a module and makes its class `className`.
    func instantiate(source: String, filename: String, className: String,
                     arguments: [PythonConvertible?], keywords: [(String, PythonConvertible?)],
                     seed: UInt64?) throws -> PythonObject {
        let module = try call("importing \(filename)", "load_source", [source, filename])
        let cls = try call(filename, "module_class", [module, className, filename])
        do {
            let kwargs = try python.builtins().callMethod("dict", [], kwargs: keywords)
            return try resolve("construct").call([cls, PythonTuple(items: arguments), kwargs, seed])
        } catch {
            throw TorchBridge.error(error, "\(className)() in \(filename)")
        }
    }

    /// A Mino tensor as a `torch.Tensor`: its own on the torch backend, else one upload.
    func torchTensor(_ t: Tensor) throws -> PythonObject {
        if let storage = t.storage as? TorchStorage { return storage.tensor }
        guard let storage = try host.upload(try t.toHost()) as? TorchStorage else {
            throw MinoError(.backend, "torch module: the host upload made no torch tensor")
        }
        return storage.tensor
    }

    /// A `torch.Tensor` (not requiring grad) as a Mino tensor on `backend`: wrapped on the torch backend, else one download.
    func minoTensor(_ t: PythonObject, on backend: any Backend, requiresGrad: Bool) throws -> Tensor {
        let (shape, dtype) = try describe(t)
        if let torch = backend as? TorchBackend {
            return Tensor(storage: TorchStorage(t), shape: shape, dtype: dtype, backend: torch, requiresGrad: requiresGrad)
        }
        let array = try host.download(Operand(storage: TorchStorage(t), shape: shape, dtype: dtype))
        return try Tensor(array, on: backend, requiresGrad: requiresGrad)
    }

    /// The Mino shape and dtype of a torch tensor.
    func describe(_ t: PythonObject) throws -> (Shape, DType) {
        do {
            let dims = try t.attribute("shape").toArray().map { try $0.toInt() }
            let name = try t.attribute("dtype").description
            guard let dtype = DType.allCases.first(where: { $0.info.torchName == name }) else {
                throw MinoError(.dtype, "torch module: a tensor of \(name); Mino takes "
                                + DType.allCases.map(\.info.torchName).joined(separator: ", "))
            }
            return (Shape(dims), dtype)
        } catch {
            throw TorchBridge.error(error, "torch module")
        }
    }
}
