import MinoCore

/// Wraps the backend under test and records which of its kernels a check ran
/// (`unary.sigmoid`, `binary.mul`, `fused.softmax`...), passing every call
/// through unchanged.
///
/// The suite uses the traces to attribute failures: a kernel belongs to the
/// primitive op whose forward calls it (or to the composite whose fused
/// kernel it is), and a check of another op that fails while running a
/// kernel whose own op fails is reported as blocked by that op (see
/// ``Attribution``). Host transfers and `full` are not recorded: every
/// check needs them.
final class TracingBackend: BackendDecorator {
    let base: any Backend
    private(set) var kernels: Set<String> = []
    var recording = false

    init(_ base: any Backend) {
        self.base = base
    }

    /// Runs `body` with recording on and returns what it recorded (merged with nothing else).
    func trace<T>(_ body: () throws -> T) rethrows -> (T, Set<String>) {
        let (saved, savedRecording) = (kernels, recording)
        kernels = []
        recording = true
        defer {
            kernels = saved.union(kernels)
            recording = savedRecording
        }
        let value = try body()
        return (value, kernels)
    }

    /// Like ``trace(_:)``, also when `body` throws: the kernels come back either way.
    func traceResult<T>(_ body: () throws -> T) -> (Result<T, Error>, Set<String>) {
        var result: Result<T, Error> = .failure(MinoError(.backend, "not run"))
        let (_, used) = trace { result = Result { try body() } }
        return (result, used)
    }

    /// Records every kernel; host transfers and `full` are not recorded (every check needs them).
    func forward(_ call: BackendCall) {
        switch call {
        case .upload, .download, .full: return
        default: if recording { kernels.insert(call.description) }
        }
    }
}
