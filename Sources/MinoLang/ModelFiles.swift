import Foundation
import MinoCore
import MinoLisp
import MinoModel

/// A model saved as source and weights: `DIR/model.mu` (its reverted source, one line)
/// and `DIR/model.safetensors` (its parameters and buffers under their state-dict names).
/// Loading evaluates the source and loads the weights with every name, shape and dtype
/// checked; every mismatch is reported at once, by path, and nothing is changed unless
/// all of them fit.
public enum ModelFiles {
    public static let sourceName = "model.mu"
    public static let weightsName = "model.safetensors"

    /// Writes the model's source and weights into `directory` (created if needed),
    /// each file written atomically.
    public static func save(_ model: ModuleValue, to directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw MinoError(.io, "cannot create \(directory.path): \(error.localizedDescription)")
        }
        let source = try model.source() + "\n"
        do {
            try Data(source.utf8).write(to: directory.appendingPathComponent(sourceName), options: .atomic)
        } catch {
            throw MinoError(.io, "cannot write \(directory.appendingPathComponent(sourceName).path): \(error.localizedDescription)")
        }
        try Checkpoint.save(ModuleAdapter(model), to: directory.appendingPathComponent(weightsName),
                            metadata: ["mino.source": source.trimmingCharacters(in: .newlines)])
    }

    /// Rebuilds a model saved by ``save(_:to:)`` in `interpreter` (on its backend).
    public static func load(from directory: URL, into interpreter: Interpreter) throws -> ModuleValue {
        let sourceURL = directory.appendingPathComponent(sourceName)
        guard let data = FileManager.default.contents(atPath: sourceURL.path), let source = String(data: data, encoding: .utf8) else {
            throw MinoError(.io, "cannot read \(sourceURL.path)")
        }
        let value = try interpreter.evaluate(source: source, file: sourceURL.path)
        guard case .object(let model as ModuleValue) = value else {
            throw MinoError(.io, "\(sourceURL.path) evaluates to \(value.typeName), not a model")
        }
        try loadWeights(from: directory.appendingPathComponent(weightsName), into: model)
        return model
    }

    /// Loads a state dict (parameters and buffers) into a model, strictly: missing, unexpected, mis-shaped and
    /// mistyped tensors are all listed in one error; nothing is assigned unless all fit.
    public static func loadWeights(from url: URL, into model: ModuleValue) throws {
        let file = try Safetensors(contentsOf: url)
        var problems: [String] = []
        var staged: [(Tensor, HostArray)] = []
        let expected = model.stateDict
        for (name, parameter) in expected {
            guard let host = file.tensors[name] else {
                problems.append("missing \(name) (\(parameter.dtype) \(parameter.shape))")
                continue
            }
            guard host.shape == parameter.shape, host.dtype == parameter.dtype else {
                problems.append("\(name): the file has \(host.dtype) \(host.shape), the model expects \(parameter.dtype) \(parameter.shape)")
                continue
            }
            staged.append((parameter, host))
        }
        let names = Set(expected.map(\.name))
        for name in file.orderedNames where !names.contains(name) {
            problems.append("unexpected \(name) (not a parameter or buffer of the model)")
        }
        guard problems.isEmpty else {
            throw MinoError(.argument, "\(url.path) does not fit the model:\n  " + problems.joined(separator: "\n  "))
        }
        for (parameter, host) in staged {
            try parameter.assign(try Tensor(host, on: parameter.backend))
        }
    }
}

/// Rewriting live models: every mu body in the tree rewritten by a pattern, the
/// parameters shared with the original.
public enum ModelRewriting {
    public static func refactor(_ model: ModuleValue, _ rules: [(Pattern, Expr)], in interpreter: Interpreter) throws -> ModuleValue {
        guard let mu = model as? MuObject else { return model }
        var body = mu.definition.body
        for (pattern, replacement) in rules {
            body = try body.map { try replace(pattern, with: replacement, in: $0) }
        }
        let scope = FunctionScope(parent: nil, isTopLevel: true)
        let compiler = Compiler(interpreter: interpreter, scope: scope)
        let parameters = Expr.vector(mu.definition.components.map { .symbol($0) })
        let make = try FunctionCompiler.compile(name: mu.definition.name ?? "mu", parameters: parameters, body: body,
                                                compiler, location: mu.definition.location)
        let definition = MuDefinition(name: mu.definition.name, components: mu.definition.components, body: body,
                                      doc: mu.definition.doc, function: make(Frame(size: scope.slotCount, parent: nil)),
                                      location: mu.definition.location)
        var bindings: [String: Value] = [:]
        for (c, v) in mu.bindings {
            if case .object(let child as ModuleValue) = v {
                bindings[c] = .object(try refactor(child, rules, in: interpreter))
            } else {
                bindings[c] = v
            }
        }
        return MuObject(definition, bindings: bindings, interpreter: interpreter)
    }
}

/// The `mino` module of `.mu` programs: `(mino.save model "dir")`, `(mino.load "dir")`,
/// `(mino.refactor model 'torch.sigmoid 'torch.relu)`.
enum MinoModule {
    static func install(into ns: NamespaceObject, _ interpreter: Interpreter) {
        func def(_ n: String, _ body: @escaping ([Value], [(String, Value)]) throws -> Value) {
            ns.define(n, .function(Function("mino.\(n)", sourceName: "mino.\(n)", body)))
        }
        def("save") { args, _ in
            guard args.count == 2, case .object(let m as ModuleValue) = args[0], case .string(let dir) = args[1] else {
                throw LangError.type("mino.save takes a model and a directory name")
            }
            try ModelFiles.save(m, to: URL(fileURLWithPath: dir))
            return .none
        }
        def("load") { args, _ in
            guard args.count == 1, case .string(let dir) = args[0] else { throw LangError.type("mino.load takes a directory name") }
            return .object(try ModelFiles.load(from: URL(fileURLWithPath: dir), into: interpreter))
        }
        def("load-weights") { args, _ in
            guard args.count == 2, case .object(let m as ModuleValue) = args[0], case .string(let path) = args[1] else {
                throw LangError.type("mino.load-weights takes a model and a safetensors file name")
            }
            // A relative name is read beside the running .mu file when it is there (imported models).
            try ModelFiles.loadWeights(from: URL(fileURLWithPath: TorchModuleObject.resolve(path, interpreter)), into: m)
            return args[0]
        }
        def("refactor") { args, _ in
            guard args.count >= 3, args.count % 2 == 1, case .object(let m as ModuleValue) = args[0] else {
                throw LangError.type("mino.refactor takes a model and pattern/replacement pairs")
            }
            var rules: [(Pattern, Expr)] = []
            var i = 1
            while i < args.count {
                rules.append((try Pattern(try ExprConversion.expr(from: args[i])), try ExprConversion.expr(from: args[i + 1])))
                i += 2
            }
            return .object(try ModelRewriting.refactor(m, rules, in: interpreter))
        }
        if let v = interpreter.globals.value("hy-repr") { ns.define("hy-repr", v) }
    }
}
