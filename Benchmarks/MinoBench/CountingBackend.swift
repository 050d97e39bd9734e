import Mino

/// Passes every call to another backend and counts them: how the memory
/// benchmark knows it made 100,000 op calls, not an estimate of them.
/// (A fused kernel or in-place update counts when the base ran it.)
final class CountingBackend: BackendDecorator {
    let base: any Backend
    private(set) var calls = 0

    init(_ base: any Backend) { self.base = base }

    func forward(_ call: BackendCall) { calls += 1 }
}
