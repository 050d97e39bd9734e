import MinoModel
import MinoTorch

/// A PyTorch module is a Model-layer module: `Checkpoint`, the optimizers and the
/// training loops take it as they take `Linear` or `Sequential`.
extension TorchModule: Module {}
