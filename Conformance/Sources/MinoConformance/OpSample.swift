import MinoCore

/// One call of one op: its inputs (as host data) and attributes.
///
/// Samples are derived from an op's registered ``OpSignature`` and shape
/// rule (``SampleInputs``), so a newly registered op is covered without
/// editing the suite.
public struct OpSample: CustomStringConvertible {
    public let op: OpDefinition
    /// What the sample exercises, e.g. `[3 4] and [4], broadcast`.
    public let label: String
    /// The inputs, in order. Value inputs have the sample's dtype; index inputs are int64.
    public let inputs: [HostArray]
    public let attributes: OpAttributes
    /// Inputs whose host data holds the transpose of the intended value: they
    /// are uploaded and then transposed on the backend, so the op receives a
    /// non-contiguous (strided) operand.
    public let transposed: Set<Int>
    /// Inputs given as a plain number (the single value of the rank-0 host
    /// array), as `x + 0.5` gives one: the op receives ``Tensor/number(_:)-Double``
    /// of the first tensor input, PyTorch a Python `float`.
    public let numbers: Set<Int>
    /// Whether central finite differences are meaningful at every element: false
    /// for samples on the edges of an op's domain (zeros, ties, poles, NaN regions),
    /// which are checked against the reference and PyTorch only.
    public let smooth: Bool

    public init(op: OpDefinition, label: String, inputs: [HostArray], attributes: OpAttributes,
                transposed: Set<Int> = [], numbers: Set<Int> = [], smooth: Bool = true) {
        self.op = op
        self.label = label
        self.inputs = inputs
        self.attributes = attributes
        self.transposed = transposed
        self.numbers = numbers
        self.smooth = smooth
    }

    /// The dtype of the sample: that of its first floating-point value input
    /// (an int64 operand beside a float one is a mixed-dtype sample of the float
    /// dtype), else of its first value input.
    public var dtype: DType {
        for (i, input) in inputs.enumerated() where role(i) == .value && input.dtype.isFloatingPoint {
            return input.dtype
        }
        for (i, input) in inputs.enumerated() where role(i) == .value { return input.dtype }
        return inputs.first?.dtype ?? .float32
    }

    /// The role of input `i` (the last role repeats for variadic ops).
    public func role(_ i: Int) -> InputRole {
        let roles = op.signature.inputs
        return i < roles.count ? roles[i] : roles[roles.count - 1]
    }

    /// Whether input `i` can receive a gradient.
    public func isDifferentiable(_ i: Int) -> Bool {
        op.isDifferentiable && role(i) == .value && inputs[i].dtype.isFloatingPoint && !numbers.contains(i)
    }

    public var description: String { "\(op.name) \(label) \(dtype)" }

    /// The inputs as tensors on `backend`, transposed where the sample says.
    /// Differentiable inputs require gradients when `requiresGrad`.
    public func tensors(on backend: any Backend, requiresGrad: Bool = false,
                        replacing replacement: (index: Int, array: HostArray)? = nil) throws -> [Tensor] {
        var out = try inputs.enumerated().map { i, host in
            var data = host
            if let r = replacement, r.index == i { data = r.array }
            var t = try Tensor(data, on: backend)
            if transposed.contains(i) {
                t = try GradMode.withoutGradients { try t.transposed().detached() }
            }
            if !numbers.contains(i) { t.requiresGrad = requiresGrad && isDifferentiable(i) }
            return t
        }
        // A number becomes what the tensor beside it makes of it (Core's promotion rule).
        if let anchor = out.indices.first(where: { !numbers.contains($0) }) {
            for i in numbers.sorted() {
                out[i] = try out[anchor].number(inputs[i].doubles.first ?? 0)
            }
        }
        return out
    }

    /// Runs the op on `backend`.
    public func run(on backend: any Backend) throws -> Tensor {
        try Dispatch.apply(op, tensors(on: backend), attributes)
    }

    /// The sample's stable name, unique per op and dtype: `add|float32|[3 4] [4]`.
    /// Golden data is keyed by it.
    public var key: String { "\(op.name)|\(dtype)|\(label)" }

    /// The shapes the op sees (transposed inputs as the op receives them).
    public var logicalShapes: [Shape] {
        inputs.indices.map { logicalInput($0).shape }
    }

    /// The output's shape and dtype and the attributes as the shape rule
    /// normalizes them (axes sorted and non-negative, `-1` resolved): what
    /// the PyTorch recipes receive.
    ///
    /// - Throws: the shape rule's error (only for error samples).
    public func outputSpec() throws -> (spec: TensorSpec, attributes: OpAttributes) {
        var a = attributes
        let anchor = inputs.indices.first { !numbers.contains($0) } ?? 0
        var specs = inputs.indices.map { i in
            // A number takes the dtype Core's rule gives it (a float number: at least the default float).
            TensorSpec(logicalShapes[i], numbers.contains(i) ? inputs[anchor].dtype.floatingPoint : inputs[i].dtype)
        }
        // The value inputs as the op receives them: promoted as Dispatch promotes them.
        if let dtype = Dispatch.computeDType(op, specs) {
            for i in specs.indices where role(i) == .value || role(i) == .condition { specs[i].dtype = dtype }
        }
        let spec = try op.shapeRule(specs, &a)
        return (spec, a)
    }

    /// The inputs whose gradients the suite checks: differentiable inputs of
    /// a differentiable op with a floating-point output.
    public var gradientInputs: [Int] {
        guard op.isDifferentiable, let spec = try? outputSpec().spec, spec.dtype.isFloatingPoint else { return [] }
        return inputs.indices.filter(isDifferentiable)
    }

    /// The intended (logical) value of input `i` on the host: transposed back when needed.
    public func logicalInput(_ i: Int) -> HostArray {
        guard transposed.contains(i) else { return inputs[i] }
        return HostTranspose.lastTwo(inputs[i])
    }
}

/// Transposes of host arrays, for building strided samples.
public enum HostTranspose {
    /// Swaps the last two axes of a host array (a copy).
    public static func lastTwo(_ array: HostArray) -> HostArray {
        let dims = array.shape.dims
        guard dims.count >= 2 else { return array }
        let (r, c) = (dims[dims.count - 2], dims[dims.count - 1])
        let batch = array.shape.elementCount / Swift.max(r * c, 1)
        var outDims = dims
        outDims.swapAt(dims.count - 2, dims.count - 1)
        func swap<T>(_ v: [T]) -> [T] {
            var out = v
            for b in 0..<batch {
                for i in 0..<r {
                    for j in 0..<c { out[b * r * c + j * r + i] = v[b * r * c + i * c + j] }
                }
            }
            return out
        }
        switch array.elements {
        case .float32(let v): return HostArray(unchecked: Shape(outDims), .float32(swap(v)))
        case .float64(let v): return HostArray(unchecked: Shape(outDims), .float64(swap(v)))
        case .int64(let v): return HostArray(unchecked: Shape(outDims), .int64(swap(v)))
        }
    }
}
