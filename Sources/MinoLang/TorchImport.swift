import Foundation
import MinoCore
import MinoLisp
import MinoTorch

/// `mino import model.py:Net --out net.mu`: a PyTorch module as mu expressions and
/// built-in layers (traced by torch.fx, see ``TorchImporter``), plus its weights.
/// The `.mu` file runs without Python: it builds the model and loads the weights
/// from the safetensors file beside it.
public enum TorchImport {
    /// The source of the `.mu` file and the weights, for the module `className` of `file`.
    ///
    /// - Parameter weightsName: the safetensors file the `.mu` file loads (beside it).
    public static func importModel(file: String, className: String, arguments: String? = nil,
                                   weightsName: String) throws -> (source: String, weights: Safetensors) {
        let opNames = OpRegistry.shared.all.flatMap(\.allNames)
        let traced = try TorchImporter.trace(file: file, className: className, arguments: arguments,
                                             opNames: opNames, methods: TorchExport.tensorMethods.sorted())
        let header = """
            ;; Imported from \(URL(fileURLWithPath: file).lastPathComponent):\(className) by `mino import` (torch.fx).
            ;; Runs without Python; the weights are in \(weightsName), under PyTorch's state-dict names.
            (require [mino.mu [*]])
            (import torch [torch.nn :as nn] [torch.nn.functional :as F] mino)

            """
        let model = "(setv model (mino.load-weights\n  \(traced.model)\n  \(Value.string(weightsName).pyRepr.replacingOccurrences(of: "'", with: "\""))))\nmodel\n"
        var tensors: [String: HostArray] = [:]
        for (name, array) in traced.state { tensors[name] = array }
        return (header + traced.defmus.map { $0 + "\n\n" }.joined() + model,
                Safetensors(tensors: tensors, metadata: ["mino.imported-from": "\(file):\(className)"]))
    }

    /// Writes `out` (.mu) and the weights beside it (`net.mu` → `net.safetensors`); returns the weights' URL.
    @discardableResult
    public static func write(file: String, className: String, arguments: String? = nil, out: String) throws -> URL {
        let outURL = URL(fileURLWithPath: out)
        let weightsURL = outURL.deletingPathExtension().appendingPathExtension("safetensors")
        let (source, weights) = try importModel(file: file, className: className, arguments: arguments,
                                                weightsName: weightsURL.lastPathComponent)
        try weights.write(to: weightsURL)
        do {
            try Data(source.utf8).write(to: outURL, options: .atomic)
        } catch {
            throw MinoError(.io, "cannot write \(out): \(error.localizedDescription)")
        }
        return weightsURL
    }
}
