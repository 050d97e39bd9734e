import MinoCore

/// Builds sample calls of any registered op from its signature alone.
///
/// Candidate input shapes come from pools per arity (scalars, vectors,
/// matrices, batches, broadcasting pairs); candidate attributes come from the
/// op's ``AttributeSchema``. The op's own shape rule keeps the valid
/// combinations (samples) and the rejected ones (error samples, which every
/// backend must refuse with the same kind of error). Index inputs get valid
/// positions; value inputs get seeded values from the op's ``ValueDomain``.
public enum SampleInputs {
    /// Up to this many valid samples per op and dtype (before the strided variant).
    public static let maximumSamples = 8

    /// Valid sample calls of `op` with value inputs of `dtype`.
    public static func samples(for op: OpDefinition, dtype: DType) -> [OpSample] {
        var out: [OpSample] = []
        var seen = Set<String>()
        for (shapes, attributes) in candidates(for: op) {
            guard out.count < maximumSamples else { break }
            var a = attributes
            let specs = zip(shapes, roles(op, shapes.count)).map { shape, role in
                TensorSpec(shape, role == .value || role == .condition || role == .statistic ? dtype : .int64)
            }
            guard (try? op.shapeRule(specs, &a)) != nil else { continue }
            let label = describe(shapes, attributes)
            guard seen.insert(label).inserted else { continue }
            let rng = RandomGenerator(seed: seed(op.name, label, dtype))
            out.append(OpSample(op: op, label: label, inputs: makeInputs(op, shapes, a, dtype, rng), attributes: attributes))
        }
        if let strided = stridedVariant(of: out) { out.append(strided) }
        return out + domainSamples(for: op, dtype: dtype, after: out)
    }

    // MARK: The edges of the domain

    /// Samples beyond the smooth interior the random ones cover: the edges of
    /// the op's ``ValueDomain`` (``edgeValues(_:input:)``), an empty axis, and
    /// int64 operands beside float tensors and float numbers. Finite differences
    /// skip the edge values (the function is not smooth there); the reference
    /// and PyTorch's golden values check every element.
    static func domainSamples(for op: OpDefinition, dtype: DType, after valid: [OpSample]) -> [OpSample] {
        var out: [OpSample] = []
        if let edge = edgeSample(for: op, dtype: dtype, valid: valid) { out.append(edge) }
        if let empty = emptySample(for: op, dtype: dtype) { out.append(empty) }
        out += mixedSamples(for: op, dtype: dtype)
        return out
    }

    /// The values at the edges of each domain: zeros, ties, large magnitudes,
    /// the boundary of a one-sided domain; for `pow`, negative, zero and positive
    /// bases against integer, zero, negative and fractional exponents.
    static func edgeValues(_ domain: ValueDomain, input: Int) -> [Double] {
        switch domain {
        case .any: return [-30, -2.5, -1, 0, 0.25, 1, 3, 30]
        case .positive: return [0, 1e-3, 0.5, 1, 7, 100]
        case .separated: return [-1.5, 0, 0, 0.5, -0.5, 0.5, 2]
        case .unitInterval: return [0, 0.25, 0.5, 1]
        case .power: return input == 0 ? [-2, -1.5, -0.5, 0, 0.5, 2] : [-1, 0, 1, 2, 3, 0.5, 2.5]
        }
    }

    /// Whether `op` is elementwise over two broadcast value inputs (`add`, `pow`, `less`, …):
    /// its shape rule maps two vectors of one length to that length (`matmul` does not).
    static func isElementwiseBinary(_ op: OpDefinition) -> Bool {
        guard op.signature.broadcasts, op.signature.inputs == [.value, .value] else { return false }
        var a = OpAttributes.none
        return (try? op.shapeRule([TensorSpec([5], .float64), TensorSpec([5], .float64)], &a))?.shape == [5]
    }

    /// An elementwise binary op gets every pair of its two inputs' edge values;
    /// any other op its first valid sample with the edge values cycled through.
    static func edgeSample(for op: OpDefinition, dtype: DType, valid: [OpSample]) -> OpSample? {
        let domain = op.signature.domain
        if isElementwiseBinary(op) {
            let (a, b) = (edgeValues(domain, input: 0), edgeValues(domain, input: 1))
            let n = a.count * b.count
            let inputs = [HostArray.make((0..<n).map { a[$0 / b.count] }, [n], dtype),
                          HostArray.make((0..<n).map { b[$0 % b.count] }, [n], dtype)]
            return OpSample(op: op, label: "[\(n)] [\(n)] edge values", inputs: inputs, attributes: .none, smooth: false)
        }
        guard let first = valid.first(where: { $0.transposed.isEmpty }) else { return nil }
        var inputs = first.inputs
        for (i, input) in inputs.enumerated() where first.role(i) == .value {
            let pool = edgeValues(domain, input: i)
            inputs[i] = HostArray.make((0..<input.shape.elementCount).map { pool[($0 + i) % pool.count] },
                                       input.shape, dtype)
        }
        return OpSample(op: op, label: first.label + ", edge values", inputs: inputs, attributes: first.attributes,
                        smooth: false)
    }

    /// The first candidate, with its leading axis emptied (in every input whose
    /// leading axis has the first input's size), that the op's shape rule accepts:
    /// a reduction over an empty axis (the mean of nothing is NaN, as in PyTorch),
    /// a softmax of no rows, a product with no rows.
    static func emptySample(for op: OpDefinition, dtype: DType) -> OpSample? {
        let tuples = candidates(for: op).map(\.0)
        var seen = Set<[Shape]>()
        for shapes in tuples where shapes[0].rank >= 1 && shapes[0][0] > 0 {
            let size = shapes[0][0]
            let emptied = shapes.map { s in
                s.rank >= 1 && s[0] == size ? Shape([0] + s.dims.dropFirst()) : s
            }
            guard seen.insert(emptied).inserted else { continue }
            for attributes in AttributeCandidates.for(op.signature.attributes, shapes: emptied) {
                var a = attributes
                let specs = zip(emptied, roles(op, emptied.count)).map { shape, role in
                    TensorSpec(shape, role == .value || role == .condition ? dtype : .int64)
                }
                guard (try? op.shapeRule(specs, &a)) != nil else { continue }
                // Index inputs that still hold positions would address an empty axis.
                guard zip(emptied, roles(op, emptied.count)).allSatisfy({ shape, role in
                    role == .value || role == .condition || shape.elementCount == 0
                }) else { continue }
                let label = describe(emptied, attributes) + ", empty"
                let rng = RandomGenerator(seed: seed(op.name, label, dtype))
                return OpSample(op: op, label: label, inputs: makeInputs(op, emptied, a, dtype, rng),
                                attributes: attributes)
            }
        }
        return nil
    }

    /// For an elementwise binary op: an int64 tensor beside a float tensor (the
    /// result is the float dtype), and, in the default float dtype's run, an
    /// int64 tensor beside a float number (PyTorch's rule: the default float
    /// dtype, never the tensor's int64).
    static func mixedSamples(for op: OpDefinition, dtype: DType) -> [OpSample] {
        guard isElementwiseBinary(op) else { return [] }
        let rng = RandomGenerator(seed: seed(op.name, "int64 operands", dtype))
        let shape: Shape = [3, 4]
        let pool = edgeValues(op.signature.domain, input: 0).map { $0.rounded(.towardZero) }
        let integers = HostArray.make((0..<shape.elementCount).map { pool[$0 % pool.count] }, shape, .int64)
        let floats = HostArray.make(values(op.signature.domain, shape.elementCount, rng), shape, dtype)
        // The integers are edge values (zeros, negative bases): checked against the reference
        // and PyTorch, not by finite differences.
        var out = [OpSample(op: op, label: "\(shape) int64 and \(shape) \(dtype)", inputs: [integers, floats],
                            attributes: .none, smooth: false)]
        // A rank-0 tensor of the other float dtype: the dimensioned operand's dtype wins
        // within a category (float32 [3 4] with a float64 scalar is float32, as PyTorch).
        let other: DType = dtype == .float32 ? .float64 : .float32
        let scalar = HostArray.make([edgeValues(op.signature.domain, input: 1)[3]], .scalar, other)
        out.append(OpSample(op: op, label: "\(shape) \(dtype) and [] \(other)", inputs: [floats, scalar],
                            attributes: .none, smooth: false))
        if dtype == DType.defaultFloat {
            // A float rank-0 tensor beside int64 decides the dtype (a higher category): float64.
            out.append(OpSample(op: op, label: "\(shape) int64 and [] float64",
                                inputs: [integers, HostArray.make([2.5], .scalar, .float64)], attributes: .none,
                                smooth: false))
            // Both int64 (once): integer arithmetic, or the default float dtype for a floating op (`div`).
            let exponents = edgeValues(op.signature.domain, input: 1).map { $0.rounded(.towardZero) }
            let others = HostArray.make((0..<shape.elementCount).map { exponents[$0 % exponents.count] }, shape, .int64)
            out.append(OpSample(op: op, label: "\(shape) int64 and \(shape) int64", inputs: [integers, others],
                                attributes: .none, smooth: false))
            for number in [0.5, 2.5] {
                out.append(OpSample(op: op, label: "\(shape) int64 and the number \(number)",
                                    inputs: [integers, HostArray.scalar(number, dtype: dtype)], attributes: .none,
                                    numbers: [1], smooth: false))
            }
        }
        return out
    }

    /// Calls of `op` that its shape rule rejects: every backend must throw, and
    /// throw the kind the rule throws.
    public static func errorSamples(for op: OpDefinition, dtype: DType, limit: Int = 3) -> [(OpSample, MinoError.Kind)] {
        var out: [(OpSample, MinoError.Kind)] = []
        for (shapes, attributes) in candidates(for: op) where out.count < limit {
            var a = attributes
            let specs = zip(shapes, roles(op, shapes.count)).map { shape, role in
                TensorSpec(shape, role == .value || role == .condition || role == .statistic ? dtype : .int64)
            }
            do {
                _ = try op.shapeRule(specs, &a)
            } catch let error as MinoError {
                let rng = RandomGenerator(seed: seed(op.name, "error", dtype))
                let inputs = zip(shapes, specs).map { shape, spec in
                    (try? HostArray(doubles: rng.uniform(count: shape.elementCount, low: 0, high: 1).map { $0.rounded(.down) },
                                    shape: shape, dtype: spec.dtype)) ?? HostArray.scalar(0, dtype: spec.dtype)
                }
                out.append((OpSample(op: op, label: describe(shapes, attributes) + " (invalid)", inputs: inputs,
                                     attributes: attributes), error.kind))
            } catch {
                continue
            }
        }
        return out
    }

    // MARK: Candidates

    static func roles(_ op: OpDefinition, _ count: Int) -> [InputRole] {
        (0..<count).map { i in
            let r = op.signature.inputs
            return i < r.count ? r[i] : r[r.count - 1]
        }
    }

    /// Input-shape tuples for the op's arity, each with the attribute candidates for them.
    static func candidates(for op: OpDefinition) -> [([Shape], OpAttributes)] {
        let arity = op.signature.inputs.count
        let tuples: [[Shape]]
        if let layer = ShapePools.layer(op.signature.attributes, arity: arity) {
            tuples = layer
        } else if op.signature.variadic {
            tuples = ShapePools.variadic
        } else {
            switch arity {
            case 1: tuples = ShapePools.unary.map { [$0] }
            case 2: tuples = ShapePools.binary
            default: tuples = ShapePools.ternary
            }
        }
        var out: [([Shape], OpAttributes)] = []
        for shapes in tuples {
            for a in AttributeCandidates.for(op.signature.attributes, shapes: shapes) {
                out.append((shapes, a))
            }
        }
        return out
    }

    static func describe(_ shapes: [Shape], _ attributes: OpAttributes) -> String {
        let s = shapes.map(\.description).joined(separator: " ")
        return attributes == .none ? s : "\(s) \(attributes)"
    }

    static func seed(_ name: String, _ label: String, _ dtype: DType) -> UInt64 {
        // FNV-1a: stable across runs and platforms (Swift's Hasher is seeded per process).
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(name)|\(label)|\(dtype)".utf8 {
            h = (h ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return h
    }

    // MARK: Values

    static func makeInputs(_ op: OpDefinition, _ shapes: [Shape], _ normalized: OpAttributes, _ dtype: DType,
                           _ rng: RandomGenerator) -> [HostArray] {
        let roles = roles(op, shapes.count)
        return zip(shapes, roles).map { shape, role in
            let n = shape.elementCount
            switch role {
            case .value, .statistic:
                return HostArray.make(values(op.signature.domain, n, rng), shape, dtype)
            case .condition:
                return HostArray.make(rng.bernoulli(count: n, p: 0.6), shape, dtype)
            case .index(let layout):
                let bound = indexBound(op, layout, shapes, normalized)
                return HostArray.make((0..<n).map { _ in Double(rng.nextInt(below: bound)) }, shape, .int64)
            }
        }
    }

    /// How many positions an index input may address.
    static func indexBound(_ op: OpDefinition, _ layout: IndexLayout, _ shapes: [Shape], _ a: OpAttributes) -> Int {
        switch layout {
        case .labels:
            return Swift.max(shapes[0].dims.last ?? 1, 1)
        case .rows:
            return Swift.max(shapes.count > 1 && shapes[1].rank > 0 ? shapes[1][0] : 1, 1)
        case .positions, .aligned:
            let target = op.signature.attributes == .scatter ? a.shape : shapes[0]
            guard target.rank > 0 else { return 1 }
            return Swift.max(target[a.axis], 1)
        }
    }

    /// Seeded values from a domain, chosen so finite differences are meaningful.
    static func values(_ domain: ValueDomain, _ count: Int, _ rng: RandomGenerator) -> [Double] {
        switch domain {
        case .any:
            return rng.uniform(count: count, low: -2, high: 2)
        case .positive, .power:
            // pow's random samples stay where it is smooth; edgeSample covers the rest.
            return rng.uniform(count: count, low: 0.5, high: 2)
        case .unitInterval:
            return rng.uniform(count: count, low: 0.1, high: 0.9)
        case .separated:
            // Distinct values at least 0.1 apart and away from 0: no ties, no kinks.
            let magnitudes = rng.permutation(count).map { 0.15 + 0.1 * Double($0) }
            return magnitudes.map { rng.nextUniform() < 0.5 ? -$0 : $0 }
        }
    }

    // MARK: Strided variant

    /// The first sample with a value input of rank ≥ 2, given that input as a
    /// transposed (non-contiguous) view.
    static func stridedVariant(of samples: [OpSample]) -> OpSample? {
        for sample in samples {
            for (i, input) in sample.inputs.enumerated()
            where sample.role(i) == .value && input.shape.rank >= 2 {
                var inputs = sample.inputs
                inputs[i] = HostTranspose.lastTwo(input)
                return OpSample(op: sample.op, label: sample.label + ", input \(i + 1) strided",
                                inputs: inputs, attributes: sample.attributes, transposed: [i])
            }
        }
        return nil
    }
}

extension HostArray {
    /// Doubles stored in `dtype`; the shape always matches (built from it).
    static func make(_ values: [Double], _ shape: Shape, _ dtype: DType) -> HostArray {
        switch dtype {
        case .float32: return HostArray(unchecked: shape, .float32(values.map { Float($0) }))
        case .float64: return HostArray(unchecked: shape, .float64(values))
        case .int64: return HostArray(unchecked: shape, .int64(values.map { saturatingInt64($0) }))
        }
    }
}
