import Foundation
import MinoCore
import MinoPython
import MinoTorch

/// A PyTorch module as a component of `.mu` models:
///
///     (torch-module "lenet.py" "MyModel")               ; the class, made with no arguments
///     (torch-module "mlp.py" "MLP" 784 10 :hidden 128)  ; MLP(784, 10, hidden=128)
///
/// The path is read beside the `.mu` file that names it (else from the working
/// directory). Its initial weights come from torch's generator seeded by the
/// program's (`torch.manual_seed`), so a program prints the same numbers on
/// every run and backend. The module is a component like any mu child: its parameters
/// (under PyTorch's names, `net.fc1.weight`) train with `(.parameters model)`,
/// save with `mino.save`, and it prints as PyTorch prints it. Its forward runs
/// in PyTorch and its gradients come from `torch.autograd` (see ``TorchModule``).
final class TorchModuleObject: ModuleValue {
    let module: TorchModule
    /// The file's absolute path and the constructor's arguments, for `source()`.
    let path: String
    let arguments: [Value]
    let keywords: [(String, Value)]

    init(_ module: TorchModule, path: String, arguments: [Value], keywords: [(String, Value)]) {
        self.module = module
        self.path = path
        self.arguments = arguments
        self.keywords = keywords
    }

    var typeName: String { module.className }
    var moduleName: String { module.className }

    /// The body of PyTorch's repr (between `ClassName(` and `)`, one indent less), so
    /// `torchRepr` (and a parent's) print exactly what PyTorch prints.
    var extraRepr: String {
        guard let text = try? module.torchRepr(), text.hasSuffix(")"),
              let open = text.firstIndex(of: "(") else { return "" }
        let body = String(text[text.index(after: open)..<text.index(before: text.endIndex)])
        guard body.hasPrefix("\n") else { return body }
        return body.trimmingCharacters(in: .newlines).components(separatedBy: "\n")
            .map { $0.hasPrefix("  ") ? String($0.dropFirst(2)) : $0 }.joined(separator: "\n")
    }

    var ownParameters: [(name: String, tensor: Tensor)] { module.namedParameters }
    var ownBuffers: [(name: String, tensor: Tensor)] { module.namedBuffers }
    var childModules: [(name: String, module: ModuleValue)] { [] }

    var training: Bool {
        get { module.isTraining }
        set { try? module.setTraining(newValue) }
    }

    func source() throws -> String {
        var parts = ["torch-module", try Reversion.source(of: .string(path)), try Reversion.source(of: .string(module.className))]
        parts += try arguments.map { try Reversion.source(of: $0) }
        parts += try keywords.map { ":\($0.0) " + (try Reversion.source(of: $0.1)) }
        return "(" + parts.joined(separator: " ") + ")"
    }

    func invoke(_ arguments: [Value], _ keywords: [(String, Value)]) throws -> Value {
        let tensors = arguments.compactMap(\.tensor)
        guard keywords.isEmpty, tensors.count == arguments.count, !tensors.isEmpty else {
            throw LangError.type("\(module.className).forward() takes tensors (got "
                                 + arguments.map(\.typeName).joined(separator: ", ")
                                 + (keywords.isEmpty ? "" : " and keywords") + ")")
        }
        return .tensor(try module(tensors))
    }

    func attribute(_ name: String) throws -> Value {
        if let v = try moduleAttribute(name) { return v }
        throw LangError.attribute("'\(module.className)' object has no attribute '\(name)'"
                                  + Suggestions.hint(for: name, among: module.namedParameters.map(\.name)
                                                     + ["parameters", "named_parameters", "zero_grad", "train", "eval"]))
    }

    /// `(torch-module "file.py" "Class" args… :kw value…)`.
    static func make(_ args: [Value], _ keywords: [(String, Value)], _ interpreter: Interpreter) throws -> Value {
        guard args.count >= 2, case .string(let path) = args[0], case .string(let className) = args[1] else {
            throw LangError.type("torch-module takes a .py file name and a class name, then the class's arguments: "
                                 + "(torch-module \"lenet.py\" \"MyModel\")")
        }
        let rest = Array(args.dropFirst(2))
        // The absolute path goes into source(), so a saved model loads from any directory.
        let resolved = URL(fileURLWithPath: resolve(path, interpreter)).standardizedFileURL.path
        let module = try TorchModule(file: resolved, className: className,
                                     arguments: try rest.map(python), keywords: try keywords.map { ($0.0, try python($0.1)) },
                                     seed: interpreter.generator.next(), on: interpreter.backend)
        return .object(TorchModuleObject(module, path: resolved, arguments: rest, keywords: keywords))
    }

    /// A relative path beside the running `.mu` file when it is there, else as given (the working directory).
    static func resolve(_ path: String, _ interpreter: Interpreter) -> String {
        guard !path.hasPrefix("/"), let file = interpreter.currentFile else { return path }
        let beside = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent(path).path
        return FileManager.default.fileExists(atPath: beside) ? beside : path
    }

    /// A constructor argument as Python: numbers, strings, booleans, None, and lists of them.
    static func python(_ v: Value) throws -> PythonConvertible? {
        switch v {
        case .none: return nil
        case .bool(let b): return b
        case .int(let i): return i
        case .float(let d): return d
        case .string(let s): return s
        case .list(let l): return PythonList(try l.items.map(python))
        case .tuple(let items): return PythonTuple(items: try items.map(python))
        default:
            throw LangError.type("torch-module: a constructor argument of type \(v.typeName) cannot be passed to "
                                 + "Python (numbers, strings, booleans, None, lists and tuples can)")
        }
    }
}
