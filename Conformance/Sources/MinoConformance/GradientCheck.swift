import MinoCore

/// Checks an op's registered derivative against central finite differences.
///
/// The scalar checked is `L = Σ op(inputs) ⊙ W` for a fixed random `W`, so
/// every output element contributes with its own weight. For each
/// differentiable input element, `(L(x + ε) − L(x − ε)) / 2ε` must match the
/// gradient the tape computed, within `absolute + relative·|numerical|`.
public enum GradientCheck {
    public struct Result: CustomStringConvertible {
        public let sample: OpSample
        /// Which input (0-based).
        public let input: Int
        /// The largest |analytic − numerical| over the input's elements.
        public let largestError: Double
        public let passed: Bool

        public var description: String {
            "\(sample) input \(input + 1): largest error \(largestError) \(passed ? "ok" : "FAILED")"
        }
    }

    public static let epsilon = 1e-6
    public static let absoluteTolerance = 1e-6
    public static let relativeTolerance = 1e-4

    /// Checks every differentiable input of a float64 `sample` on `backend`.
    ///
    /// - Throws: the op's or backend's error (a sample that should work but does not).
    public static func check(_ sample: OpSample, on backend: any Backend) throws -> [Result] {
        let differentiable = sample.inputs.indices.filter(sample.isDifferentiable)
        guard !differentiable.isEmpty else { return [] }

        // Analytic gradients through the tape (with the strided inputs as given).
        let inputs = try sample.tensors(on: backend, requiresGrad: true)
        let output = try Dispatch.apply(sample.op, inputs, sample.attributes)
        // Finite differences need float64 precision end to end (a cast to
        // float32 or int64 has no meaningful numerical derivative at ε = 1e-6).
        guard output.dtype == .float64 else { return [] }
        let weightValues = RandomGenerator(seed: 0x5eed ^ UInt64(output.elementCount))
            .uniform(count: output.elementCount, low: -1, high: 1)
        let weight = try Tensor(doubles: weightValues, shape: output.shape, dtype: output.dtype, on: backend)
        let loss = try (output * weight).sum()
        guard loss.requiresGrad else { return [] }
        try loss.backward()

        var results: [Result] = []
        for i in differentiable {
            let logical = sample.logicalInput(i)
            let analytic = try inputs[i].grad.map { try $0.doubles() }
                ?? [Double](repeating: 0, count: logical.shape.elementCount)
            var worst = 0.0
            var passed = true
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
                worst = Swift.max(worst, error)
                if !(error <= absoluteTolerance + relativeTolerance * Swift.abs(numerical)) { passed = false }
            }
            results.append(Result(sample: sample, input: i, largestError: worst, passed: passed))
        }
        return results
    }

    /// `Σ op(inputs with input i replaced) ⊙ W`, without recording gradients.
    static func weightedLoss(_ sample: OpSample, _ i: Int, _ values: [Double], _ shape: Shape,
                             _ weight: Tensor, on backend: any Backend) throws -> Double {
        try GradMode.withoutGradients {
            let replaced = try HostArray(doubles: values, shape: shape, dtype: sample.inputs[i].dtype)
            var tensors = try sample.tensors(on: backend)
            tensors[i] = try Tensor(replaced, on: backend)
            let output = try Dispatch.apply(sample.op, tensors, sample.attributes)
            return try (output * weight).sum().item()
        }
    }
}
