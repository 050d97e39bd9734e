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
        case .positive:
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
