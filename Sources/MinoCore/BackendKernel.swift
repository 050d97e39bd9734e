/// A kernel a backend runs for a registered op: a primitive's `Backend` method
/// (with its elementwise or reduction case) or a composite's fused kernel.
///
/// Each op declares the one it runs (``OpDefinition/backendKernel``); the torch
/// backend finds each kernel's ``TorchCall`` through it, and ``RegistryAudit``
/// checks that every kernel has exactly one registered op.
public enum BackendKernel: Hashable, Sendable, CustomStringConvertible {
    case unary(UnaryKernel)
    case binary(BinaryKernel)
    case reduce(ReduceKernel)
    case fused(FusedKernel)
    case select, cast, matmul, argmax
    case reshape, permute, expand, concat, slice, sliceScatter
    case indexSelect, indexAdd, gather, scatterAdd

    /// Every kernel: each enum's cases, then the other `Backend` methods.
    public static var allCases: [BackendKernel] {
        UnaryKernel.allCases.map(BackendKernel.unary) + BinaryKernel.allCases.map(BackendKernel.binary)
            + ReduceKernel.allCases.map(BackendKernel.reduce) + FusedKernel.allCases.map(BackendKernel.fused)
            + methods
    }

    /// The kernels without a case enum of their own. `method` below switches over
    /// every case, so one added to the enum and not here fails ``RegistryAudit``'s test.
    static let methods: [BackendKernel] = [
        .select, .cast, .matmul, .argmax, .reshape, .permute, .expand, .concat, .slice, .sliceScatter,
        .indexSelect, .indexAdd, .gather, .scatterAdd,
    ]

    /// The `Backend` method that runs it.
    public var method: String {
        switch self {
        case .unary: return "unary"
        case .binary: return "binary"
        case .reduce: return "reduce"
        case .fused: return "fused"
        case .select: return "select"
        case .cast: return "cast"
        case .matmul: return "matmul"
        case .argmax: return "argmax"
        case .reshape: return "reshape"
        case .permute: return "permute"
        case .expand: return "expand"
        case .concat: return "concat"
        case .slice: return "slice"
        case .sliceScatter: return "sliceScatter"
        case .indexSelect: return "indexSelect"
        case .indexAdd: return "indexAdd"
        case .gather: return "gather"
        case .scatterAdd: return "scatterAdd"
        }
    }

    /// `unary.exp`, `fused.softmax`, `matmul`: the names the conformance traces use.
    public var description: String {
        switch self {
        case .unary(let k): return "unary.\(k.rawValue)"
        case .binary(let k): return "binary.\(k.rawValue)"
        case .reduce(let k): return "reduce.\(k.rawValue)"
        case .fused(let k): return "fused.\(k.rawValue)"
        default: return method
        }
    }
}

/// Checks a registry against the kernels: the test that no op is half added.
public enum RegistryAudit {
    /// What is missing or doubled, one line each (empty when every kernel has one op
    /// with a torch call, and every op has a torch call and something to compute it).
    public static func problems(_ ops: [OpDefinition], kernels: [BackendKernel] = BackendKernel.allCases) -> [String] {
        var problems: [String] = []
        var owners: [BackendKernel: [String]] = [:]
        for op in ops where !op.isForeign {
            if op.torch == nil { problems.append("op \(op.name) declares no torch call") }
            if op.kernel == nil && op.implementation == nil {
                problems.append("op \(op.name) has neither a kernel nor an implementation")
            }
            if op.kernel != nil && op.backendKernel == nil {
                problems.append("primitive \(op.name) names no backend kernel")
            }
            if let k = op.backendKernel { owners[k, default: []].append(op.name) }
        }
        for kernel in kernels {
            switch owners[kernel]?.count ?? 0 {
            case 0: problems.append("kernel \(kernel) has no registered op (declare one in Sources/MinoCore/Ops+*.swift)")
            case 1: break
            default: problems.append("kernel \(kernel) belongs to several ops: \(owners[kernel] ?? [])")
            }
        }
        for (kernel, names) in owners where !kernels.contains(kernel) {
            problems.append("ops \(names) run kernel \(kernel), which no backend knows")
        }
        return problems
    }
}
