import MinoCore

/// Which torch call runs each Mino kernel: read from the op registry, where each
/// op declares its ``TorchCall`` (``OpDefinition/torch``), plus the backend's own
/// support functions.
///
/// A name is `torch.<f>` (a function of the `torch` module), `F.<f>`
/// (`torch.nn.functional`) or `mino.<f>` (the backend's helper module,
/// ``TorchHelperSource``, for kernels that take more than one torch call).
/// ``TorchRuntime`` resolves every name once at start-up; kernels then call
/// the cached function objects, one Python call per Mino op.
///
/// Semantics the helpers add beyond the plain torch function:
/// - comparisons give 1/0 in the operands' dtype (`.to(dtype)`), not bool;
/// - `sign` keeps NaN (torch gives 0); `where` reads its condition as `≠ 0`;
/// - `cast` to int64 truncates and saturates (NaN → 0, ±∞ → the ends of
///   int64), where torch's conversion is undefined;
/// - index ops give the reference backend's `.argument` error for an index
///   out of range; `crossEntropy` checks every label (torch would skip one
///   equal to its `ignore_index`);
/// - scatters (`sliceScatter`, `indexAdd`, `scatterAdd`) start from zeros.
/// Integer `add`/`sub`/`mul` wrap around in torch, as in the reference.
public enum TorchOpTable {
    /// Each backend kernel's torch call, from the op that runs it.
    ///
    /// - Throws: ``MinoError`` `.backend` naming the first kernel no registered op
    ///   runs, or whose op declares no torch call (``RegistryAudit`` lists them all).
    public static func kernels(_ ops: [OpDefinition] = OpRegistry.shared.all) throws -> [BackendKernel: TorchCall] {
        var calls: [BackendKernel: TorchCall] = [:]
        for op in ops {
            if let kernel = op.backendKernel, let call = op.torch { calls[kernel] = call }
        }
        for kernel in BackendKernel.allCases where calls[kernel] == nil {
            throw MinoError(.backend, "torch backend: no torch call for kernel \(kernel): no registered op "
                            + "runs it with a declared TorchCall")
        }
        return calls
    }

    /// Host transfer, creation, optimizer updates and diagnostics.
    public static let support: [String: String] = [
        "upload": "mino.upload",
        "downloadInto": "mino.download_into",
        "empty": "mino.empty",
        "sgd": "mino.sgd",
        "adam": "mino.adam",
        "describe": "mino.describe",
        "setThreads": "mino.set_threads",
        "memoryStats": "mino.memory_stats",
    ]
}
