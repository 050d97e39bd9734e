import Foundation
import MinoCore

/// PyTorch's outputs and gradients for every sample the suite derives,
/// recorded by `Conformance/generate_golden.py` into
/// `Conformance/Golden/golden.safetensors`, so that a machine without torch
/// still compares every backend against PyTorch's numbers.
///
/// Entries are keyed by ``OpSample/key``: `KEY/out` is the output and
/// `KEY/gradI` the gradient of `Σ output ⊙ W` with respect to input `I`
/// (``GradientCheck/lossWeight(for:dtype:)``). The metadata holds, for every
/// key, `fingerprint/KEY`: a hash of the sample's inputs, attributes and `W`
/// as the generator saw them. A sample whose fingerprint differs from the
/// recorded one (the sampler changed) or that has no entry (a new op) fails
/// its golden checks until the file is regenerated (`Conformance/README.md`).
public struct GoldenData {
    public let file: Safetensors
    public let url: URL?

    /// `MINO_GOLDEN` when set, else the committed file beside this package's sources.
    public static var defaultURL: URL {
        if let path = ProcessInfo.processInfo.environment["MINO_GOLDEN"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Golden").appendingPathComponent("golden.safetensors")
    }

    public init(contentsOf url: URL) throws {
        self.file = try Safetensors(contentsOf: url)
        self.url = url
    }

    public init(_ file: Safetensors) {
        self.file = file
        self.url = nil
    }

    /// What the generator recorded: `torch 2.13.0+cpu` and so on.
    public var generator: String { file.metadata["generator"] ?? "unknown generator" }

    /// The keys of every recorded sample.
    public var keys: Set<String> {
        Set(file.metadata.keys.compactMap { $0.hasPrefix("fingerprint/") ? String($0.dropFirst(12)) : nil })
    }

    /// A recorded entry, or why there is none usable.
    public enum Lookup {
        case found(output: HostArray, gradients: [Int: HostArray])
        case missing(String)
    }

    public func lookup(_ sample: OpSample) -> Lookup {
        let key = sample.key
        guard let recorded = file.metadata["fingerprint/\(key)"] else {
            return .missing("no PyTorch values for this sample: regenerate the golden file (Conformance/README.md)")
        }
        guard recorded == GoldenData.fingerprint(sample) else {
            return .missing("the sample changed since the golden file was generated: regenerate it (Conformance/README.md)")
        }
        guard let output = file.tensors["\(key)/out"] else {
            return .missing("the golden file lists this sample but has no output for it")
        }
        var gradients: [Int: HostArray] = [:]
        for i in sample.gradientInputs {
            guard let g = file.tensors["\(key)/grad\(i)"] else {
                return .missing("the golden file has no gradient for input \(i + 1)")
            }
            gradients[i] = g
        }
        return .found(output: output, gradients: gradients)
    }

    /// A hash of everything the generator computes from: op, dtype, label,
    /// normalized attributes, transposed inputs, input data and `W` (FNV-1a 64, hex).
    public static func fingerprint(_ sample: OpSample) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
            for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            h = (h ^ 0xff) &* 0x100_0000_01b3  // a separator
        }
        mix(sample.key.utf8)
        mix(SampleExport.attributesJSON(sample).serialized().utf8)
        mix(sample.transposed.sorted().map(String.init).joined(separator: ",").utf8)
        if !sample.numbers.isEmpty { mix(sample.numbers.sorted().map(String.init).joined(separator: ",").utf8) }
        for input in sample.inputs {
            mix("\(input.dtype)\(input.shape)".utf8)
            mix(input.littleEndianBytes)
        }
        if !sample.gradientInputs.isEmpty, let spec = try? sample.outputSpec().spec {
            mix(GradientCheck.lossWeight(for: spec.shape, dtype: spec.dtype).littleEndianBytes)
        }
        return String(h, radix: 16)
    }
}

/// Writes every sample for the PyTorch generator: the inputs exactly as the
/// suite uploads them, `W`, and per sample a JSON record of the call.
///
/// File layout (safetensors): tensors `KEY/inI` (the host data; for a
/// transposed input, the transpose of the value the op receives: the
/// generator transposes it back as a strided view, as the suite does) and
/// `KEY/weight`; metadata `sample/KEY` = `{"op", "dtype", "label",
/// "inputs", "transposed", "numbers", "grad", "attributes", "torch", "fingerprint"}`
/// (`numbers`: inputs given as a Python `float`, their value the rank-0 array;
/// `torch`: the recipe, the op's ``TorchCall`` with this sample's argument values,
/// ``recipeJSON(_:spec:attributes:)``).
public enum SampleExport {
    /// Every valid sample of `ops` in `dtypes`, in suite order.
    public static func samples(ops: [OpDefinition] = OpRegistry.shared.all,
                               dtypes: [DType] = [.float32, .float64]) -> [OpSample] {
        ops.flatMap { op in dtypes.flatMap { SampleInputs.samples(for: op, dtype: $0) } }
    }

    public static func archive(_ samples: [OpSample]) throws -> Safetensors {
        var file = Safetensors()
        for sample in samples {
            let key = sample.key
            for (i, input) in sample.inputs.enumerated() { file.tensors["\(key)/in\(i)"] = input }
            let (spec, attributes) = try sample.outputSpec()
            guard let call = sample.op.torch else {
                throw MinoError(.argument, "conformance: op \(sample.op.name) declares no torch call, so PyTorch "
                                + "cannot record its golden values")
            }
            let grad = sample.gradientInputs
            if !grad.isEmpty { file.tensors["\(key)/weight"] = GradientCheck.lossWeight(for: spec.shape, dtype: spec.dtype) }
            let record: JSONValue = .object([
                "op": .string(sample.op.name),
                "dtype": .string(sample.dtype.rawValue),
                "label": .string(sample.label),
                "inputs": .integer(sample.inputs.count),
                "transposed": .array(sample.transposed.sorted().map { .integer($0) }),
                "numbers": .array(sample.numbers.sorted().map { .integer($0) }),
                "grad": .array(grad.map { .integer($0) }),
                "attributes": attributesJSON(sample),
                "torch": recipeJSON(call, sample: sample, spec: spec, attributes: attributes),
                "fingerprint": .string(GoldenData.fingerprint(sample)),
            ])
            file.metadata["sample/\(key)"] = record.serialized()
        }
        file.metadata["format"] = "mino conformance samples 1"
        return file
    }

    /// Writes the samples file for `generate_golden.py`.
    public static func write(to url: URL, ops: [OpDefinition] = OpRegistry.shared.all) throws -> Int {
        let list = samples(ops: ops)
        try archive(list).write(to: url)
        return list.count
    }

    /// The PyTorch recipe of one sample: `{"function": "F.conv2d", "args": [...], "kwargs": {...}}`,
    /// each argument a value: `{"input": i}` (the i-th input), `{"inputs": n}` (the first n as a
    /// list), `{"dtype": "float32"}`, null, or a number, boolean, string or list of integers.
    static func recipeJSON(_ call: TorchCall, sample: OpSample, spec: TensorSpec, attributes: OpAttributes) -> JSONValue {
        let (positional, keywords) = call.values(inputShapes: sample.logicalShapes, outputShape: spec.shape,
                                                 attributes: attributes)
        func json(_ value: TorchValue) -> JSONValue {
            switch value {
            case .input(let i): return .object(["input": .integer(i)])
            case .inputs(let n): return .object(["inputs": .integer(n)])
            case .none: return .null
            case .integer(let v): return .integer(v)
            case .integers(let v): return .array(v.map { .integer($0) })
            case .boolean(let v): return .bool(v)
            case .number(let v): return .number(v)
            case .string(let v): return .string(v)
            case .dtype(let d): return .object(["dtype": .string(d.rawValue)])
            }
        }
        return .object([
            "function": .string(call.function),
            "args": .array(positional.map(json)),
            "kwargs": .object(Dictionary(uniqueKeysWithValues: keywords.map { ($0.0, json($0.1)) })),
        ])
    }

    /// The attributes after the shape rule normalized them, as the PyTorch recipes read them.
    static func attributesJSON(_ sample: OpSample) -> JSONValue {
        let a = (try? sample.outputSpec().attributes) ?? sample.attributes
        var fields: [String: JSONValue] = [
            "axes": .array(a.axes.map { .integer($0) }),
            "keepDims": .bool(a.keepDims),
            "axis": .integer(a.axis),
            "shape": .array(a.shape.dims.map { .integer($0) }),
            "permutation": .array(a.permutation.map { .integer($0) }),
            "ranges": .array(a.ranges.map { .array([.integer($0.start), .integer($0.end), .integer($0.step)]) }),
            "dtype": a.dtype.map { .string($0.rawValue) } ?? .null,
            "reduction": .string(a.reduction.rawValue),
            "scalar": .number(a.scalar),
        ]
        // The layer fields only where set, so older samples keep their fingerprints.
        let d = OpAttributes()
        if a.window != d.window {
            let w = a.window
            fields["kernel"] = .array(w.kernel.map { .integer($0) })
            fields["stride"] = .array(w.stride.map { .integer($0) })
            fields["padding"] = .array(w.padding.map { .integer($0) })
            fields["dilation"] = .array(w.dilation.map { .integer($0) })
            fields["outputPadding"] = .array(w.outputPadding.map { .integer($0) })
            fields["groups"] = .integer(w.groups)
        }
        if let index = a.index { fields["index"] = .integer(index) }
        if a.epsilon != d.epsilon { fields["epsilon"] = .number(a.epsilon) }
        if a.training { fields["training"] = .bool(true) }
        return .object(fields)
    }
}
