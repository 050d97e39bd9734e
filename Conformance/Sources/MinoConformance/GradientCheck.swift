import MinoCore

/// What one sample computes on one backend: the output, the gradients of
/// `L = Σ output ⊙ W` and (on a ``TracingBackend``) the kernels each pass ran.
struct Evaluation {
    let output: HostArray
    /// By input position, in the logical shape of the input; zeros where no gradient arrived.
    let gradients: [Int: HostArray]
    /// Kernels that made the inputs (a transposed operand is a `permute`).
    let preparationKernels: Set<String>
    /// Kernels the op itself ran.
    let forwardKernels: Set<String>
    let backwardKernels: Set<String>

    /// Every kernel the forward value depended on: the inputs' and the op's.
    var forwardPass: Set<String> { preparationKernels.union(forwardKernels) }
    /// Every kernel the gradients depended on.
    var allKernels: Set<String> { forwardPass.union(backwardKernels) }

    /// Runs `sample` forward and, when it has gradient inputs, backward from `W`
    /// (``GradientCheck/lossWeight(for:dtype:)``). The weighted sum itself is
    /// not computed on the backend: `W` is handed to `backward` as the
    /// output's gradient, so only the op and its derivative run there.
    static func of(_ sample: OpSample, on backend: any Backend, gradients wanted: Bool = true) throws -> Evaluation {
        let tracer = backend as? TracingBackend
        let gradientInputs = wanted ? sample.gradientInputs : []
        func traced<T>(_ body: () throws -> T) throws -> (T, Set<String>) {
            if let tracer { return try tracer.trace(body) }
            return (try body(), [])
        }
        let (inputs, preparationKernels) = try traced {
            try sample.tensors(on: backend, requiresGrad: !gradientInputs.isEmpty)
        }
        let (output, forwardKernels) = try traced { try Dispatch.apply(sample.op, inputs, sample.attributes) }
        let host = try output.toHost()
        var gradients: [Int: HostArray] = [:]
        var backwardKernels: Set<String> = []
        if !gradientInputs.isEmpty, output.requiresGrad {
            let weight = try Tensor(GradientCheck.lossWeight(for: output.shape, dtype: output.dtype), on: backend)
            (_, backwardKernels) = try traced { try output.backward(weight) }
        }
        for i in gradientInputs {
            let shape = sample.logicalInput(i).shape
            gradients[i] = try inputs[i].grad?.toHost()
                ?? HostArray.make([Double](repeating: 0, count: shape.elementCount), shape, inputs[i].dtype)
        }
        return Evaluation(output: host, gradients: gradients, preparationKernels: preparationKernels,
                          forwardKernels: forwardKernels, backwardKernels: backwardKernels)
    }
}

/// Checks an op's registered derivative against central finite differences.
///
/// The scalar checked is `L = Σ op(inputs) ⊙ W` for a fixed random `W`, so
/// every output element contributes with its own weight. For each
/// differentiable input element, `(L(x + ε) − L(x − ε)) / 2ε` must match the
/// gradient the tape computed, within the `finite-diff` row of ``Tolerances``.
/// Only float64 samples with a float64 output are checked: float32 cannot
/// resolve ε, and casts have no numerical derivative worth the name.
public enum GradientCheck {
    public struct Result: CustomStringConvertible {
        public let sample: OpSample
        /// Which input (0-based).
        public let input: Int
        /// The largest |analytic − numerical| over the input's elements.
        public let largestError: Double
        public let passed: Bool
        /// The first element that failed, when one did.
        public let message: String

        public var description: String {
            "\(sample) input \(input + 1): largest error \(largestError) \(passed ? "ok" : "FAILED \(message)")"
        }
    }

    public static var epsilon: Double { Tolerances.finiteDifferenceEpsilon }

    /// The weights `W` of the checked scalar `Σ output ⊙ W`: seeded by the
    /// output's size, uniform in [-1, 1), so every backend, PyTorch included,
    /// differentiates the same scalar.
    public static func lossWeight(for shape: Shape, dtype: DType) -> HostArray {
        let values = RandomGenerator(seed: 0x5eed ^ UInt64(shape.elementCount))
            .uniform(count: shape.elementCount, low: -1, high: 1)
        return HostArray.make(values, shape, dtype)
    }

    /// Whether `sample` can be checked by finite differences.
    public static func applies(to sample: OpSample) -> Bool {
        guard sample.smooth, sample.dtype == .float64, !sample.gradientInputs.isEmpty else { return false }
        // `embedding`'s padding_idx row gets no gradient by definition (PyTorch's rule), not the
        // function's derivative; those samples are checked against PyTorch's gradients instead.
        if sample.op.signature.attributes == .paddingIndex, sample.attributes.index != nil { return false }
        return (try? sample.outputSpec().spec.dtype) == .float64
    }

    /// Checks every differentiable input of a float64 `sample` on `backend`.
    ///
    /// - Throws: the op's or backend's error (a sample that should work but does not).
    public static func check(_ sample: OpSample, on backend: any Backend) throws -> [Result] {
        guard applies(to: sample) else { return [] }
        let evaluation = try Evaluation.of(sample, on: backend)
        let weight = lossWeight(for: evaluation.output.shape, dtype: .float64).doubles
        let tolerance = Tolerances.tolerance(.finiteDifference, .float64, op: sample.op.name)

        var results: [Result] = []
        for i in sample.gradientInputs {
            let logical = sample.logicalInput(i)
            guard let analytic = evaluation.gradients[i]?.doubles else { continue }
            var worst = 0.0
            var message = ""
            var values = logical.doubles
            for j in values.indices {
                let original = values[j]
                values[j] = original + epsilon
                let plus = try weightedLoss(sample, i, values, logical.shape, weight, on: backend)
                values[j] = original - epsilon
                let minus = try weightedLoss(sample, i, values, logical.shape, weight, on: backend)
                values[j] = original
                let numerical = (plus - minus) / (2 * epsilon)
                let error = Swift.abs(analytic[j] - numerical)
                worst = Swift.max(worst, error.isNaN ? .infinity : error)
                if message.isEmpty, !tolerance.accepts(analytic[j], numerical) {
                    message = "input \(i + 1) element \(j): analytic \(analytic[j]), numerical \(numerical) (\(tolerance))"
                }
            }
            results.append(Result(sample: sample, input: i, largestError: worst, passed: message.isEmpty,
                                  message: message))
        }
        return results
    }

    /// `Σ op(inputs with input i replaced) ⊙ W`, summed on the host, without recording gradients.
    static func weightedLoss(_ sample: OpSample, _ i: Int, _ values: [Double], _ shape: Shape,
                             _ weight: [Double], on backend: any Backend) throws -> Double {
        try GradMode.withoutGradients {
            var tensors = try sample.tensors(on: backend)
            tensors[i] = try Tensor(HostArray.make(values, shape, sample.inputs[i].dtype), on: backend)
            let output = try Dispatch.apply(sample.op, tensors, sample.attributes).toHost().doubles
            var total = 0.0
            for (o, w) in zip(output, weight) { total += o * w }
            return total
        }
    }
}
