import Foundation
import MinoCore
import MinoPython

/// The PyTorch half of `mino import`: loads a `.py` file, makes the module and
/// traces it with `torch.fx` (each submodule on its own, one `defmu` per class
/// with a forward; `nn.Linear`, activations, `nn.Dropout` and `nn.Sequential` of
/// them as Mino's built-in layers). Names of functions and methods are accepted
/// only where `opNames` (the op registry's names) or `methods` has them; every
/// node that does not map is listed in one error. The Language layer turns the
/// result into a model and files.
public enum TorchImporter {
    public struct Traced {
        /// One `(defmu …)` per traced module class, children first.
        public var defmus: [String]
        /// The expression that builds the model from them and the layers.
        public var model: String
        /// The module's `state_dict`, in order, as host arrays.
        public var state: [(name: String, array: HostArray)]
    }

    /// Traces `className` of the `.py` file at `path`, made with `arguments` (Python
    /// text, `784, 10, hidden=128`; nil for none).
    ///
    /// - Throws: ``MinoError`` `.backend` with the traceback when the file fails
    ///   to import or the constructor raises; `.argument` for a missing class, a
    ///   model fx cannot trace (fx's message, the failing lines and a hint) or
    ///   nodes with no Mino spelling (all listed, each with its node and target).
    public static func trace(file path: String, className: String, arguments: String?,
                             opNames: [String], methods: [String]) throws -> Traced {
        let source: String
        do {
            source = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw MinoError(.argument, "import: cannot read \(path): \(error.localizedDescription)")
        }
        let bridge = try TorchBridge.shared()
        let loaded = try bridge.call("importing \(path)", "load_source", [source, path])
        let cls = try bridge.call(path, "module_class", [loaded, className, path])
        let module = try bridge.call("\(className)(\(arguments ?? "")) in \(path)", "construct_from_text", [cls, arguments, 0])
        let label = "\(URL(fileURLWithPath: path).lastPathComponent):\(className)"
        let result = try bridge.call("tracing \(label)", "import_module",
                                     [module, PythonList(opNames), PythonList(methods), label]).toArray()
        guard result.count == 3 else { throw MinoError(.backend, "import: the tracer returned \(result.count) values") }
        var state: [(String, HostArray)] = []
        for pair in try result[2].toArray() {
            let items = try pair.toArray()
            guard items.count == 2 else { throw MinoError(.backend, "import: bad state dict entry") }
            let tensor = try bridge.minoTensor(try items[1].callMethod("cpu"), on: bridge.host, requiresGrad: false)
            state.append((try items[0].toString(), try tensor.toHost()))
        }
        return Traced(defmus: try result[0].toArray().map { try $0.toString() }, model: try result[1].toString(), state: state)
    }
}
