/// The autodiff tape, as data: every variable reachable from a root, in
/// topological order (inputs before the tensors computed from them), each
/// computed one with the ``Operation`` that made it.
///
/// `backward` walks it in reverse, calling each op's registered derivative
/// and accumulating gradients by variable id; leaves that require gradients
/// receive theirs in ``Tensor/grad``.
public struct Graph {
    /// Variables in topological order; a variable's id is its index here.
    public let variables: [Tensor]
    /// For each variable, the ids of its creator's inputs (empty for leaves).
    public let inputIDs: [[Int]]

    /// Collects the graph that produced `root` (iteratively: deep graphs
    /// would overflow the stack with recursion).
    public init(root: Tensor) {
        // Each tensor met: `visiting` while on the stack, then its id.
        var ids = IdentityTable()
        var order: [Tensor] = []
        var inputs: [[Int]] = []
        // Depth-first post-order: (tensor, next input to visit).
        var stack: [(Tensor, Int)] = [(root, 0)]
        // Room for a typical model's tape up front, rather than growing from empty.
        order.reserveCapacity(32)
        inputs.reserveCapacity(32)
        stack.reserveCapacity(32)
        ids.set(root, IdentityTable.visiting)
        while let (tensor, next) = stack.last {
            let parents = tensor.creator?.inputs ?? []
            if next < parents.count {
                stack[stack.count - 1].1 = next + 1
                let parent = parents[next]
                if ids[parent] == nil, parent.requiresGrad {
                    ids.set(parent, IdentityTable.visiting)
                    stack.append((parent, 0))
                }
            } else {
                stack.removeLast()
                ids.set(tensor, order.count)
                order.append(tensor)
                inputs.append(parents.isEmpty ? [] : parents.map { ids[$0].flatMap { $0 >= 0 ? $0 : nil } ?? -1 })
            }
        }
        variables = order
        inputIDs = inputs
    }

    /// The operations in the order they ran, one line each, for printing.
    public var description: String {
        variables.enumerated().map { id, v in
            guard let op = v.creator else { return "%\(id) = leaf \(v.dtype) \(v.shape)" + (v.name.map { " \($0)" } ?? "") }
            let args = inputIDs[id].map { $0 >= 0 ? "%\($0)" : "const" }.joined(separator: " ")
            return "%\(id) = (\(op.definition.name) \(args)) \(v.dtype) \(v.shape)"
        }.joined(separator: "\n")
    }

    /// Runs the derivatives in reverse, from `seed` = ∂loss/∂root.
    ///
    /// - Parameters:
    ///   - createGraph: record the backward computation itself, so the
    ///     gradients can be differentiated again.
    ///   - retainGraph: keep the graph usable for another backward pass (PyTorch's
    ///     `retain_graph`; by default what `createGraph` is). Without it, a second
    ///     pass through any of these operations throws, as in PyTorch.
    public func backward(seed: Tensor, createGraph: Bool = false, retainGraph: Bool? = nil) throws {
        guard let root = variables.last else { return }
        guard seed.shape == root.shape else {
            throw MinoError.shape("backward", [root.shape, seed.shape], "the gradient must have the root's shape")
        }
        // Refused before anything accumulates, so a failed second pass changes no gradient.
        if let used = variables.lazy.compactMap(\.creator).first(where: \.isReleased) {
            throw MinoError(.autodiff, "backward: trying to go through the graph a second time "
                            + "(\(used.definition.name) was already used by a backward pass); pass "
                            + "retainGraph: true to the first backward to go through it again")
        }
        defer {
            if !(retainGraph ?? createGraph) {
                for v in variables { v.creator?.isReleased = true }
            }
        }
        var grads = [Tensor?](repeating: nil, count: variables.count)
        grads[variables.count - 1] = seed.dtype == root.dtype ? seed : try seed.detached().cast(to: root.dtype)

        func run() throws {
            for id in stride(from: variables.count - 1, through: 0, by: -1) {
                let variable = variables[id]
                guard let upstream = grads[id] else { continue }
                guard let op = variable.creator else {
                    // A leaf: hand its gradient over (accumulating).
                    if variable.requiresGrad {
                        variable.grad = try variable.grad.map { try $0 + upstream } ?? upstream
                    }
                    continue
                }
                grads[id] = nil  // no longer needed: free it early
                guard let derivative = op.definition.derivative else { continue }
                let needs = Graph.needs(op.inputs)
                var context = DerivativeContext(inputs: op.inputs, output: variable, upstream: upstream,
                                                attributes: op.attributes, needsGradient: needs, saved: op.saved)
                context.retainsGraph = retainGraph ?? createGraph
                let inputGrads = try derivative(context)
                for (slot, input) in op.inputs.enumerated() where needs[slot] {
                    guard slot < inputGrads.count, var g = inputGrads[slot] else { continue }
                    // Undo broadcasting, and return the gradient in the input's own dtype.
                    if g.shape != input.shape { g = try g.sumToShape(input.shape) }
                    if g.dtype != input.dtype { g = try g.cast(to: input.dtype) }
                    let target = inputIDs[id][slot]
                    guard target >= 0 else { continue }
                    grads[target] = try grads[target].map { try $0 + g } ?? g
                }
            }
        }
        if createGraph {
            try GradMode.withGradients(run)
        } else {
            try GradMode.withoutGradients(run)
        }
    }
}

extension Graph {
    /// `[Bool]` for every pattern of up to three inputs, made once: a derivative
    /// context per operation otherwise allocates its `needsGradient` array.
    private static let needPatterns: [[[Bool]]] = (0...3).map { count in
        (0..<(1 << count)).map { bits in (0..<count).map { bits & (1 << $0) != 0 } }
    }

    /// Which of `inputs` require gradients.
    static func needs(_ inputs: [Tensor]) -> [Bool] {
        guard inputs.count <= 3 else { return inputs.map(\.requiresGrad) }
        var bits = 0
        for (i, t) in inputs.enumerated() where t.requiresGrad { bits |= 1 << i }
        return needPatterns[inputs.count][bits]
    }
}

/// Tensors to small integers by object identity: open addressing on the
/// object's address, with no per-entry allocation and no seeded hashing (a
/// `Dictionary<ObjectIdentifier, Int>` spent more time in SipHash than the
/// rest of building a small graph). Only `Graph` uses it, within one call.
struct IdentityTable {
    /// The value of a tensor whose inputs are still being visited.
    static let visiting = -1

    private var keys: [UInt]
    private var values: [Int]
    private var count = 0
    private var shift: UInt64

    init() {
        keys = [UInt](repeating: 0, count: 32)
        values = [Int](repeating: 0, count: 32)
        shift = 64 - 5
    }

    @inline(__always)
    private func slot(_ key: UInt) -> Int {
        // Fibonacci hashing of the address (objects are 16-byte aligned).
        Int(truncatingIfNeeded: (UInt64(key >> 4) &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    subscript(_ object: Tensor) -> Int? {
        let key = UInt(bitPattern: ObjectIdentifier(object))
        let mask = keys.count - 1
        var i = slot(key)
        while true {
            let k = keys[i]
            if k == key { return values[i] }
            if k == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    mutating func set(_ object: Tensor, _ value: Int) {
        if (count + 1) * 2 > keys.count { grow() }
        let key = UInt(bitPattern: ObjectIdentifier(object))
        let mask = keys.count - 1
        var i = slot(key)
        while keys[i] != 0 && keys[i] != key { i = (i + 1) & mask }
        if keys[i] == 0 { count += 1 }
        keys[i] = key
        values[i] = value
    }

    private mutating func grow() {
        let (oldKeys, oldValues) = (keys, values)
        keys = [UInt](repeating: 0, count: oldKeys.count * 2)
        values = [Int](repeating: 0, count: oldKeys.count * 2)
        shift -= 1
        let mask = keys.count - 1
        for (k, v) in zip(oldKeys, oldValues) where k != 0 {
            var i = slot(k)
            while keys[i] != 0 { i = (i + 1) & mask }
            keys[i] = k
            values[i] = v
        }
    }
}

extension Tensor {
    /// Computes the gradients of this tensor with respect to every leaf that
    /// requires them, accumulating into their ``grad``.
    ///
    /// - Parameters:
    ///   - gradient: ∂loss/∂self; may be omitted only for a tensor of one element.
    ///   - retainGraph: allow another backward pass through this graph (PyTorch's
    ///     `retain_graph`); by default `createGraph`.
    /// - Throws: ``MinoError`` `.autodiff` when this tensor does not depend on
    ///   anything that requires gradients, or needs an explicit gradient, or when
    ///   the graph was already used by a backward pass that did not retain it.
    public func backward(_ gradient: Tensor? = nil, createGraph: Bool = false, retainGraph: Bool? = nil) throws {
        guard requiresGrad else {
            throw MinoError(.autodiff, "backward: this tensor does not require gradients (no parameter "
                            + "with requiresGrad fed into it, or it was computed without gradients)")
        }
        let seed: Tensor
        if let gradient {
            seed = gradient
        } else {
            guard elementCount == 1 else {
                throw MinoError(.autodiff, "backward: a tensor of shape \(shape) needs an explicit gradient; "
                                + "only one-element tensors default to 1")
            }
            seed = try Tensor.full(1, shape: shape, dtype: dtype, on: backend)
        }
        try Graph(root: self).backward(seed: seed, createGraph: createGraph, retainGraph: retainGraph)
    }
}
