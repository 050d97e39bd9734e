import Foundation
import MinoCore

/// A module's state (parameters, then buffers such as batch norm's running
/// statistics) as a safetensors file, keyed by their paths
/// (`0.weight`, `1.running_mean`: PyTorch's `state_dict` keys), so checkpoints move between
/// Mino backends and PyTorch (`safetensors.torch.load_file`) unchanged.
public enum Checkpoint {
    /// Writes every parameter and buffer of `module` to `url`, atomically (a temporary
    /// file renamed into place: a crash never leaves half a checkpoint).
    public static func save(_ module: any Module, to url: URL, metadata: [String: String] = [:]) throws {
        var file = Safetensors(metadata: metadata.merging(["format": "pt", "producer": "mino"]) { mine, _ in mine })
        for (name, tensor) in module.stateDict {
            file.tensors[name] = try tensor.toHost()
        }
        try file.write(to: url)
    }

    /// Loads every parameter and buffer of `module` from `url`, in place, on the
    /// tensors' own backend.
    ///
    /// - Throws: ``MinoError`` `.io` for an unreadable or corrupt file,
    ///   `.unknownName` for a missing parameter, `.shape`/`.dtype` (as
    ///   `.argument`) for one of the wrong shape or dtype — naming the path.
    ///   Nothing is changed unless every parameter fits.
    /// - Parameter strict: as PyTorch's `load_state_dict(strict=)`: when true
    ///   (the default), a tensor in the file that the model has no parameter for
    ///   is an error (`.unknownName`, naming them); when false it is ignored.
    public static func load(_ url: URL, into module: any Module, strict: Bool = true) throws {
        let file = try Safetensors(contentsOf: url)
        var staged: [(Tensor, HostArray)] = []
        let parameters = module.stateDict
        if strict {
            let known = Set(parameters.map(\.0))
            let extra = file.orderedNames.filter { !known.contains($0) }
            guard extra.isEmpty else {
                throw MinoError(.unknownName, "\(url.path): the model has no parameter or buffer for "
                                + extra.map { "'\($0)'" }.joined(separator: ", ")
                                + " (pass strict: false to ignore tensors the model does not use)")
            }
        }
        for (name, parameter) in parameters {
            guard let host = file.tensors[name] else {
                throw MinoError(.unknownName, "\(url.path): no tensor '\(name)'; the file has "
                                + file.orderedNames.joined(separator: ", "))
            }
            guard host.shape == parameter.shape, host.dtype == parameter.dtype else {
                throw MinoError(.argument, "\(url.path): '\(name)' is \(host.dtype) \(host.shape), "
                                + "the model expects \(parameter.dtype) \(parameter.shape)")
            }
            staged.append((parameter, host))
        }
        for (parameter, host) in staged {
            try parameter.assign(try Tensor(host, on: parameter.backend))
        }
    }
}
