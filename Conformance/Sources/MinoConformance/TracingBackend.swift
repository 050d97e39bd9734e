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
final class TracingBackend: Backend {
    let base: any Backend
    private(set) var kernels: Set<String> = []
    var recording = false

    init(_ base: any Backend) {
        self.base = base
    }

    var name: String { base.name }

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

    private func note(_ key: String) {
        if recording { kernels.insert(key) }
    }

    func upload(_ array: HostArray) throws -> any BackendStorage { try base.upload(array) }
    func download(_ x: Operand) throws -> HostArray { try base.download(x) }
    func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        try base.full(value, shape: shape, dtype: dtype)
    }

    func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        note("unary.\(kernel.rawValue)")
        return try base.unary(kernel, x)
    }
    func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        note("binary.\(kernel.rawValue)")
        return try base.binary(kernel, a, b, shape: shape)
    }
    func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        note("select")
        return try base.select(condition, a, b, shape: shape)
    }
    func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage {
        note("cast")
        return try base.cast(x, to: dtype)
    }
    func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        note("matmul")
        return try base.matmul(a, b, shape: shape)
    }
    func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        note("reduce.\(kernel.rawValue)")
        return try base.reduce(kernel, x, axes: axes, keepDims: keepDims)
    }
    func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        note("argmax")
        return try base.argmax(x, axis: axis, keepDims: keepDims)
    }
    func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        note("reshape")
        return try base.reshape(x, to: shape)
    }
    func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage {
        note("permute")
        return try base.permute(x, permutation)
    }
    func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        note("expand")
        return try base.expand(x, to: shape)
    }
    func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        note("concat")
        return try base.concat(xs, axis: axis, shape: shape)
    }
    func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        note("slice")
        return try base.slice(x, ranges, shape: shape)
    }
    func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        note("sliceScatter")
        return try base.sliceScatter(source, ranges, shape: shape)
    }
    func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        note("indexSelect")
        return try base.indexSelect(x, axis: axis, indices: indices, shape: shape)
    }
    func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        note("indexAdd")
        return try base.indexAdd(source, axis: axis, indices: indices, shape: shape)
    }
    func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        note("gather")
        return try base.gather(x, axis: axis, indices: indices)
    }
    func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        note("scatterAdd")
        return try base.scatterAdd(source, axis: axis, indices: indices, shape: shape)
    }

    func fused(_ kernel: FusedKernel, _ inputs: [Operand], _ attributes: OpAttributes) throws -> (any BackendStorage)? {
        let result = try base.fused(kernel, inputs, attributes)
        if result != nil { note("fused.\(kernel.rawValue)") }
        return result
    }
    func optimizerUpdate(_ kernel: OptimizerKernel, parameter: Operand, gradient: Operand,
                         state: [Operand]) throws -> Bool {
        let done = try base.optimizerUpdate(kernel, parameter: parameter, gradient: gradient, state: state)
        if done { note("optimizerUpdate") }
        return done
    }
    func addInPlace(_ target: Operand, _ value: Operand) throws -> Bool {
        let done = try base.addInPlace(target, value)
        if done { note("addInPlace") }
        return done
    }
    func fillInPlace(_ target: Operand, _ value: Double) throws -> Bool {
        let done = try base.fillInPlace(target, value)
        if done { note("fillInPlace") }
        return done
    }
}
