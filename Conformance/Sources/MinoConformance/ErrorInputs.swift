import MinoCore

/// A call every backend must refuse, and the ``MinoError/Kind`` it must throw.
public struct ErrorSample: CustomStringConvertible {
    public let sample: OpSample
    public let expected: MinoError.Kind
    /// What makes it wrong: `shape rule`, `arity`, `index dtype`, `index out of range`.
    public let reason: String

    public var description: String { "\(sample.label) (\(reason))" }
}

/// Error inputs derived from an op's signature, shape rule and index layouts.
///
/// - Shape-rule errors: candidate calls the op's own rule rejects; the kind
///   is the one the rule throws (checked before any kernel runs, but a
///   backend must not get in the way).
/// - Arity: one tensor too many or too few → `.argument`.
/// - Index dtype: float indices where int64 positions belong → `.dtype`.
/// - Data-dependent (what no shape rule can see): an index equal to the
///   size of the axis it addresses, and −1 → `.argument`. These reach the
///   backend's kernels (or fused kernels), which must check them.
public enum ErrorInputs {
    public static func samples(for op: OpDefinition, dtype: DType) -> [ErrorSample] {
        var out = SampleInputs.errorSamples(for: op, dtype: dtype).map {
            ErrorSample(sample: $0.0, expected: $0.1, reason: "shape rule")
        }
        guard let valid = SampleInputs.samples(for: op, dtype: dtype).first(where: { $0.transposed.isEmpty }) else {
            return out
        }
        out.append(arity(valid))
        out += indexSamples(valid, dtype: dtype)
        out += sizeSamples(valid)
        return out
    }

    /// For an op with a size attribute (`reshape`, `expand`, `sliceScatter`,
    /// `indexAdd`, `scatterAdd`): the valid call with sizes that overflow
    /// (2³² · 2³² elements), that no memory holds (2⁴⁴ times the input), and
    /// that are negative. Core must refuse each before a backend allocates; the
    /// expected kind is the one Core's checks throw (`.shape` for an overflow or a
    /// count that does not fit, `.backend` for out of memory, `.argument` for a
    /// negative size).
    static func sizeSamples(_ valid: OpSample) -> [ErrorSample] {
        let schema = valid.op.signature.attributes
        guard schema == .shape || schema == .sliceScatter || schema == .scatter,
              let normalized = try? valid.outputSpec().attributes else { return [] }
        let dims = schema == .shape ? valid.inputs[0].shape.dims : normalized.shape.dims
        let variants: [(String, [Int])] = [
            ("overflowing", [1 << 32, 1 << 32] + dims),
            ("beyond memory", [1 << 44] + dims),
            ("negative", [-3] + dims),
        ]
        var out: [ErrorSample] = []
        for (what, size) in variants {
            var attributes = valid.attributes
            attributes.shape = Shape(size)
            let sample = OpSample(op: valid.op, label: "\(valid.label), size \(Shape(size)) (invalid)",
                                  inputs: valid.inputs, attributes: attributes, transposed: valid.transposed)
            do {
                let (spec, _) = try sample.outputSpec()
                _ = try spec.shape.allocatable(spec.dtype, for: valid.op.name)
            } catch let error as MinoError {
                out.append(ErrorSample(sample: sample, expected: error.kind, reason: "\(what) size"))
            } catch {
                continue
            }
        }
        return out
    }

    /// One tensor too many (ops of one input) or too few (the others; none for variadic ops).
    static func arity(_ valid: OpSample) -> ErrorSample {
        let signature = valid.op.signature
        let inputs: [HostArray]
        let label: String
        if signature.variadic {
            inputs = []
            label = "no tensors"
        } else if signature.inputs.count == 1 {
            inputs = valid.inputs + valid.inputs
            label = "\(valid.inputs.count + 1) tensors"
        } else {
            inputs = Array(valid.inputs.dropLast())
            label = "\(valid.inputs.count - 1) tensors"
        }
        let sample = OpSample(op: valid.op, label: "\(valid.label), \(label) (invalid)", inputs: inputs,
                              attributes: valid.attributes)
        return ErrorSample(sample: sample, expected: .argument, reason: "arity")
    }

    /// For each index input: given as floats, then out of range high and low.
    static func indexSamples(_ valid: OpSample, dtype: DType) -> [ErrorSample] {
        guard let normalized = try? valid.outputSpec().attributes else { return [] }
        var out: [ErrorSample] = []
        for (i, input) in valid.inputs.enumerated() {
            guard case .index(let layout) = valid.role(i), input.shape.elementCount > 0 else { continue }
            let positions = input.int64s.map(Double.init)
            let asFloats = HostArray.make(positions, input.shape, dtype)
            out.append(replacing(valid, i, asFloats, "input \(i + 1) float indices", .dtype, "index dtype"))
            let bound = SampleInputs.indexBound(valid.op, layout, valid.inputs.map(\.shape), normalized)
            for bad in [bound, -1] {
                var values = positions
                values[values.count - 1] = Double(bad)
                out.append(replacing(valid, i, HostArray.make(values, input.shape, .int64),
                                     "input \(i + 1) index \(bad) of \(bound)", .argument, "index out of range"))
            }
        }
        return out
    }

    static func replacing(_ valid: OpSample, _ i: Int, _ array: HostArray, _ what: String,
                          _ kind: MinoError.Kind, _ reason: String) -> ErrorSample {
        var inputs = valid.inputs
        inputs[i] = array
        let sample = OpSample(op: valid.op, label: "\(valid.label), \(what) (invalid)", inputs: inputs,
                              attributes: valid.attributes)
        return ErrorSample(sample: sample, expected: kind, reason: reason)
    }
}
