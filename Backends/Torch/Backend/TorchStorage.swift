import MinoCore
import MinoPython

/// A tensor of the torch backend: one `torch.Tensor` on the backend's device,
/// with `requires_grad=False` (Mino's tape does autodiff).
///
/// The `PythonObject` holds one reference; dropping the storage releases it
/// under the GIL on whatever thread drops it (the bridge does that), so
/// storages may be made and freed on any thread. Torch views (`reshape`,
/// `permute`, `expand`, `slice`) share memory with their base: Mino never
/// writes a tensor in place except a parameter or optimizer state in
/// ``TorchBackend/optimizerUpdate(_:parameter:gradient:state:)`` and the
/// in-place helpers, which refuse non-contiguous targets.
public final class TorchStorage: BackendStorage {
    /// The `torch.Tensor`.
    public let tensor: PythonObject

    public init(_ tensor: PythonObject) {
        self.tensor = tensor
    }
}

extension Operand {
    /// The `torch.Tensor` of a torch-backend operand.
    ///
    /// - Throws: ``MinoError`` `.backend` for another backend's storage.
    @inline(__always)
    func torchTensor() throws -> PythonObject {
        guard let storage = storage as? TorchStorage else {
            throw MinoError(.backend, "torch backend: got a tensor of another backend "
                            + "(\(type(of: storage))); move it with `to(_:)` first")
        }
        return storage.tensor
    }
}
