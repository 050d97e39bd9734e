import MinoCore

/// Which torch call runs each Mino kernel: the one table of the torch backend.
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
public enum TorchOpTable {
    public static let unary: [UnaryKernel: String] = [
        .neg: "torch.neg", .exp: "torch.exp", .log: "torch.log", .sqrt: "torch.sqrt",
        .abs: "torch.abs", .sign: "mino.sign", .relu: "torch.relu",
        .sigmoid: "torch.sigmoid", .tanh: "torch.tanh", .erf: "torch.erf",
    ]

    /// Integer `add`/`sub`/`mul` wrap around in torch, as in the reference.
    public static let binary: [BinaryKernel: String] = [
        .add: "torch.add", .sub: "torch.sub", .mul: "torch.mul", .div: "torch.div", .pow: "torch.pow",
        .maximum: "torch.maximum", .minimum: "torch.minimum",
        .equal: "mino.eq", .notEqual: "mino.ne", .less: "mino.lt", .lessEqual: "mino.le",
        .greater: "mino.gt", .greaterEqual: "mino.ge",
    ]

    /// `max` over axes is `torch.amax` (NaN propagates, as in the reference).
    public static let reduce: [ReduceKernel: String] = [.sum: "torch.sum", .max: "torch.amax"]

    /// The other primitive kernels, by the name of their `Backend` method.
    public static let primitives: [String: String] = [
        "select": "mino.select",
        "cast": "mino.cast",
        "matmul": "torch.matmul",
        "argmax": "torch.argmax",          // first index on ties; int64
        "reshape": "torch.reshape",
        "permute": "torch.permute",
        "expand": "torch.broadcast_to",
        "concat": "torch.cat",
        "slice": "mino.slice_",
        "sliceScatter": "mino.slice_scatter",
        "indexSelect": "mino.index_select",
        "indexAdd": "mino.index_add",
        "gather": "mino.gather",
        "scatterAdd": "mino.scatter_add",
    ]

    /// Fused composites run as torch's own kernels.
    public static let fused: [FusedKernel: String] = [
        .linear: "F.linear",
        .softmax: "torch.softmax",
        .logSoftmax: "torch.log_softmax",
        .crossEntropy: "mino.cross_entropy",      // F.cross_entropy after the label check
        .mse: "mino.mse",                         // F.mse_loss(reduction=)
        .binaryCrossEntropyWithLogits: "mino.bce_logits",  // F.binary_cross_entropy_with_logits
        .mean: "torch.mean",
        .conv2d: "F.conv2d",                      // (x, w, b, stride, padding, dilation, groups)
        .convTranspose2d: "F.conv_transpose2d",   // (x, w, b, stride, padding, output_padding, groups, dilation)
        .maxPool2d: "F.max_pool2d",               // (x, kernel, stride, padding)
        .avgPool2d: "F.avg_pool2d",
        .adaptiveAvgPool2d: "F.adaptive_avg_pool2d",
        .layerNorm: "F.layer_norm",               // (x, weight.shape, weight, bias, eps)
        .batchNorm: "F.batch_norm",               // training: no running stats (Mino updates its own)
        .gelu: "F.gelu", .silu: "F.silu", .elu: "F.elu", .leakyRelu: "F.leaky_relu", .softplus: "F.softplus",
        // Recurrent layers: torch.lstm / torch.gru for h, then what the backward pass reads.
        .lstm: "mino.lstm", .lstmBackward: "mino.lstm_backward", .gru: "mino.gru", .gruBackward: "mino.gru_backward",
    ]

    /// Host transfer, creation, in-place updates and diagnostics.
    public static let support: [String: String] = [
        "upload": "mino.upload",
        "downloadInto": "mino.download_into",
        "empty": "mino.empty",
        "sgd": "mino.sgd",
        "adam": "mino.adam",
        "addInPlace": "mino.add_in_place",
        "fillInPlace": "mino.fill_in_place",
        "describe": "mino.describe",
        "setThreads": "mino.set_threads",
        "memoryStats": "mino.memory_stats",
    ]
}
