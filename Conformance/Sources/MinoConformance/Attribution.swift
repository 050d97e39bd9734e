import MinoCore

/// Attributes each failure to the op whose kernel is wrong.
///
/// Every check records the backend kernels it ran (``TracingBackend``). A
/// kernel is *owned* by the primitive op whose forward pass calls it
/// (`unary.sigmoid` by `sigmoid`), and a fused kernel by its composite
/// (`fused.softmax` by `softmax`); this comes from the forward traces and the
/// registry, never from a list of names. An owner is *broken* in a dtype when
/// its own forward or golden check fails there.
///
/// A failing check of op X that ran a kernel owned by another, broken op Y
/// is reported as skipped, "blocked by Y", instead of failed: X's own rule
/// may be right, and the wrong numbers come from Y, which fails in its own
/// rows. (Example: the derivative of `binaryCrossEntropyWithLogits` calls
/// `sigmoid`; with a wrong sigmoid kernel its gradient rows are blocked by
/// `sigmoid`, while its forward rows, which do not use that kernel, pass.)
/// The run still fails, through Y; once Y is fixed, X's checks run again in
/// full. A failing check that ran no broken kernel of another op stays a failure.
enum Attribution {
    /// Kernel → the ops that own it.
    static func owners(_ results: [ConformanceResult], ops: [OpDefinition]) -> [String: Set<String>] {
        var owners: [String: Set<String>] = [:]
        let primitives = Set(ops.filter { !$0.isComposite }.map(\.name))
        for r in results where r.check == .forward && primitives.contains(r.op) {
            for kernel in r.ownKernels { owners[kernel, default: []].insert(r.op) }
        }
        for op in ops {
            if let fused = op.fusedKernel { owners["fused.\(fused.rawValue)", default: []].insert(op.name) }
        }
        return owners
    }

    /// Rewrites failing rows that are blocked by another op's broken kernel as skipped.
    static func apply(to results: inout [ConformanceResult], ops: [OpDefinition]) {
        let owners = owners(results, ops: ops)
        var broken: [String: Set<String>] = [:]  // dtype ("-" for none) → ops
        for r in results where r.outcome == .fail && (r.check == .forward || r.check == .golden) {
            broken[r.dtype.map { "\($0)" } ?? "-", default: []].insert(r.op)
        }
        let anyDType = broken.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        for i in results.indices where results[i].outcome == .fail {
            let r = results[i]
            let brokenHere = r.dtype.map { broken["\($0)"] ?? [] } ?? anyDType
            var blockers: Set<String> = []
            var via: Set<String> = []
            for kernel in r.kernels {
                let culprits = (owners[kernel] ?? []).subtracting([r.op]).intersection(brokenHere)
                if !culprits.isEmpty {
                    blockers.formUnion(culprits)
                    via.insert(kernel)
                }
            }
            guard !blockers.isEmpty else { continue }
            results[i].outcome = .skip
            results[i].blockedFailure = r.message
            results[i].message = "blocked by \(blockers.sorted().joined(separator: ", ")): runs "
                + "\(via.sorted().joined(separator: ", ")), which fails its own checks"
        }
    }
}
