import MinoCore
import MinoCPU

/// The pure-Swift backend: readable, correct, and the oracle every other
/// backend is checked against.
///
/// Tensors are ``CPUStorage`` views; transfer, views, data movement and
/// indexing are the shared ``CPUBackend`` kernels. Its own kernels (elementwise
/// loops, products, reductions) read any view and write contiguous results.
public final class ReferenceBackend: CPUBackend {
    public let name: String

    public init(name: String = "reference") {
        self.name = name
    }
}
