// The Swift API of the registered ops: thin calls into `Dispatch.apply`.

// MARK: - Elementwise

extension Tensor {
    public func neg() throws -> Tensor { try Dispatch.apply(Ops.neg, [self]) }
    public func exp() throws -> Tensor { try Dispatch.apply(Ops.exp, [self]) }
    public func log() throws -> Tensor { try Dispatch.apply(Ops.log, [self]) }
    public func sqrt() throws -> Tensor { try Dispatch.apply(Ops.sqrt, [self]) }
    public func abs() throws -> Tensor { try Dispatch.apply(Ops.abs, [self]) }
    public func sign() throws -> Tensor { try Dispatch.apply(Ops.sign, [self]) }
    public func relu() throws -> Tensor { try Dispatch.apply(Ops.relu, [self]) }
    public func sigmoid() throws -> Tensor { try Dispatch.apply(Ops.sigmoid, [self]) }
    public func tanh() throws -> Tensor { try Dispatch.apply(Ops.tanh, [self]) }
    public func erf() throws -> Tensor { try Dispatch.apply(Ops.erf, [self]) }

    public func pow(_ exponent: Tensor) throws -> Tensor { try Dispatch.apply(Ops.pow, [self, exponent]) }
    public func pow(_ exponent: Double) throws -> Tensor { try pow(number(exponent)) }
    /// An integer power. Of an int64 tensor the result is int64, and a negative
    /// exponent is refused, as PyTorch refuses `int_tensor ** -1`.
    public func pow(_ exponent: Int) throws -> Tensor {
        guard dtype.isFloatingPoint || exponent >= 0 else {
            throw MinoError.argument("pow", "integers to negative integer powers are not allowed "
                                     + "(an int64 tensor to the power \(exponent)); cast to a float dtype first")
        }
        return try pow(number(exponent))
    }
    public func maximum(_ other: Tensor) throws -> Tensor { try Dispatch.apply(Ops.maximum, [self, other]) }
    public func minimum(_ other: Tensor) throws -> Tensor { try Dispatch.apply(Ops.minimum, [self, other]) }

    /// 1 where the elements are equal, else 0 (in the operands' dtype).
    public func equal(_ other: Tensor) throws -> Tensor { try Dispatch.apply(Ops.equal, [self, other]) }
    public func notEqual(_ other: Tensor) throws -> Tensor { try Dispatch.apply(Ops.notEqual, [self, other]) }

    /// The values in `dtype` (no op when it is already).
    public func cast(to dtype: DType) throws -> Tensor {
        if dtype == self.dtype { return self }
        return try Dispatch.apply(Ops.cast, [self], .dtype(dtype))
    }

    /// `condition ≠ 0 ? a : b`, broadcast.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try Dispatch.apply(Ops.where, [condition, a, b])
    }

    public static func + (a: Tensor, b: Tensor) throws -> Tensor { try Dispatch.apply(Ops.add, [a, b]) }
    public static func - (a: Tensor, b: Tensor) throws -> Tensor { try Dispatch.apply(Ops.sub, [a, b]) }
    public static func * (a: Tensor, b: Tensor) throws -> Tensor { try Dispatch.apply(Ops.mul, [a, b]) }
    public static func / (a: Tensor, b: Tensor) throws -> Tensor { try Dispatch.apply(Ops.div, [a, b]) }
    public static prefix func - (a: Tensor) throws -> Tensor { try a.neg() }

    /// A plain number beside a tensor, as PyTorch treats a Python number: a
    /// floating-point number (`Double`, Python's `float`) beside an integer tensor
    /// is a scalar of the default float dtype, so `int64 + 0.5` is float32; an
    /// integer number (`Int`, Python's `int`) takes the tensor's dtype; and a
    /// number never widens a float tensor (`float32 + 0.1` stays float32). One
    /// shared constant per value rather than a new tensor each time.
    public func number(_ value: Double) throws -> Tensor {
        try ScalarConstants.shared.scalar(value, dtype: dtype.floatingPoint, on: backend)
    }

    /// An integer number beside a tensor: a scalar of the tensor's dtype (see ``number(_:)-Double``).
    public func number(_ value: Int) throws -> Tensor { try constant(Double(value)) }

    public static func + (a: Tensor, b: Double) throws -> Tensor { try a + a.number(b) }
    public static func - (a: Tensor, b: Double) throws -> Tensor { try a - a.number(b) }
    public static func * (a: Tensor, b: Double) throws -> Tensor { try a * a.number(b) }
    public static func / (a: Tensor, b: Double) throws -> Tensor { try a / a.number(b) }
    public static func + (a: Double, b: Tensor) throws -> Tensor { try b.number(a) + b }
    public static func - (a: Double, b: Tensor) throws -> Tensor { try b.number(a) - b }
    public static func * (a: Double, b: Tensor) throws -> Tensor { try b.number(a) * b }
    public static func / (a: Double, b: Tensor) throws -> Tensor { try b.number(a) / b }
    public static func + (a: Tensor, b: Int) throws -> Tensor { try a + a.number(b) }
    public static func - (a: Tensor, b: Int) throws -> Tensor { try a - a.number(b) }
    public static func * (a: Tensor, b: Int) throws -> Tensor { try a * a.number(b) }
    public static func / (a: Tensor, b: Int) throws -> Tensor { try a / a.number(b) }
    public static func + (a: Int, b: Tensor) throws -> Tensor { try b.number(a) + b }
    public static func - (a: Int, b: Tensor) throws -> Tensor { try b.number(a) - b }
    public static func * (a: Int, b: Tensor) throws -> Tensor { try b.number(a) * b }
    public static func / (a: Int, b: Tensor) throws -> Tensor { try b.number(a) / b }

    public static func < (a: Tensor, b: Tensor) throws -> Tensor { try Dispatch.apply(Ops.less, [a, b]) }
    public static func <= (a: Tensor, b: Tensor) throws -> Tensor { try Dispatch.apply(Ops.lessEqual, [a, b]) }
    public static func > (a: Tensor, b: Tensor) throws -> Tensor { try Dispatch.apply(Ops.greater, [a, b]) }
    public static func >= (a: Tensor, b: Tensor) throws -> Tensor { try Dispatch.apply(Ops.greaterEqual, [a, b]) }
    public static func < (a: Tensor, b: Double) throws -> Tensor { try a < a.number(b) }
    public static func <= (a: Tensor, b: Double) throws -> Tensor { try a <= a.number(b) }
    public static func > (a: Tensor, b: Double) throws -> Tensor { try a > a.number(b) }
    public static func >= (a: Tensor, b: Double) throws -> Tensor { try a >= a.number(b) }
    public static func < (a: Tensor, b: Int) throws -> Tensor { try a < a.number(b) }
    public static func <= (a: Tensor, b: Int) throws -> Tensor { try a <= a.number(b) }
    public static func > (a: Tensor, b: Int) throws -> Tensor { try a > a.number(b) }
    public static func >= (a: Tensor, b: Int) throws -> Tensor { try a >= a.number(b) }
}

// MARK: - Matrix products and reductions

extension Tensor {
    /// The matrix product, as `torch.matmul`: vectors are promoted to matrices
    /// (and the added axis removed again), batch axes broadcast.
    public func matmul(_ other: Tensor) throws -> Tensor {
        guard rank >= 1, other.rank >= 1 else {
            throw MinoError.shape("matmul", [shape, other.shape], "scalars have no matrix product")
        }
        // Checked here for vectors, so the error names the shapes the caller gave, not the
        // matrices they become below.
        let (k, k2) = (shape[rank - 1], other.shape[Swift.max(other.rank - 2, 0)])
        if (rank == 1 || other.rank == 1) && k != k2 {
            throw MinoError.shape("matmul", [shape, other.shape], "inner dimensions \(k) and \(k2) differ")
        }
        let a = rank == 1 ? try reshape([1, shape[0]]) : self
        let b = other.rank == 1 ? try other.reshape([other.shape[0], 1]) : other
        var product = try Dispatch.apply(Ops.matmul, [a, b])
        if rank == 1 || other.rank == 1 {
            var dims = product.shape.dims
            if other.rank == 1 { dims.removeLast() }
            if rank == 1 { dims.remove(at: dims.count - (other.rank == 1 ? 1 : 2)) }
            product = try product.reshape(Shape(dims))
        }
        return product
    }

    /// Sum over `axes` (every axis when empty).
    public func sum(axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
        try Dispatch.apply(Ops.sum, [self], .axes(axes, keepDims: keepDims))
    }

    /// Average over `axes` (every axis when empty).
    public func mean(axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
        try Dispatch.apply(Ops.mean, [self], .axes(axes, keepDims: keepDims))
    }

    /// Largest value over `axes` (every axis when empty), as `torch.amax`.
    public func max(axes: [Int] = [], keepDims: Bool = false) throws -> Tensor {
        try Dispatch.apply(Ops.max, [self], .axes(axes, keepDims: keepDims))
    }

    /// Position of the largest value along `axis`, or in the flattened tensor when nil.
    public func argmax(axis: Int? = nil, keepDims: Bool = false) throws -> Tensor {
        guard let axis else {
            return try Dispatch.apply(Ops.argmax, [reshape([-1])], .axis(0))
        }
        return try Dispatch.apply(Ops.argmax, [self], .axis(axis, keepDims: keepDims))
    }
}

// MARK: - Shapes

extension Tensor {
    /// The same elements in `shape` (one dimension may be -1).
    public func reshape(_ shape: Shape) throws -> Tensor {
        if shape == self.shape { return self }
        return try Dispatch.apply(Ops.reshape, [self], .shape(shape))
    }

    public func permute(_ permutation: [Int]) throws -> Tensor {
        try Dispatch.apply(Ops.permute, [self], .permutation(permutation))
    }

    /// Two axes swapped (by default the last two, a matrix transpose).
    public func transposed(_ axis0: Int = -2, _ axis1: Int = -1) throws -> Tensor {
        guard GradMode.isEnabled && requiresGrad else {
            // Nothing is recorded: the composite would only dispatch its default, this
            // permute, a second time (derivatives transpose in every matrix product).
            let a0 = try shape.normalizedAxis(axis0, op: "transpose")
            let a1 = try shape.normalizedAxis(axis1, op: "transpose")
            return try permute(Ops.swapPermutation(rank, a0, a1))
        }
        return try Dispatch.apply(Ops.transpose, [self], .axes([axis0, axis1]))
    }

    /// Broadcast to `shape` (-1 keeps a dimension).
    public func expand(_ shape: Shape) throws -> Tensor {
        if shape == self.shape { return self }
        return try Dispatch.apply(Ops.expand, [self], .shape(shape))
    }

    /// A new axis of size 1 at `axis` (negative counts from the end of the result).
    public func unsqueeze(_ axis: Int) throws -> Tensor {
        let a = try Shape(shape.dims + [1]).normalizedAxis(axis, op: "unsqueeze")
        var dims = shape.dims
        dims.insert(1, at: a)
        return try reshape(Shape(dims))
    }

    /// Removes axes of size 1 (`axis` only, when given).
    public func squeeze(_ axis: Int? = nil) throws -> Tensor {
        if let axis {
            let a = try shape.normalizedAxis(axis, op: "squeeze")
            guard rank > 0, shape[a] == 1 else { return self }
            var dims = shape.dims
            dims.remove(at: a)
            return try reshape(Shape(dims))
        }
        return try reshape(Shape(shape.dims.filter { $0 != 1 }))
    }

    /// Axes from `start` on merged into one.
    public func flatten(from start: Int = 0) throws -> Tensor {
        guard rank > 0 else { return try reshape([1]) }
        let s = try shape.normalizedAxis(start, op: "flatten")
        return try reshape(Shape(Array(shape.dims[..<s]) + [-1]))
    }

    public static func concat(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        try Dispatch.apply(Ops.concat, tensors, .axis(axis))
    }

    public static func stack(_ tensors: [Tensor], axis: Int = 0) throws -> Tensor {
        try Dispatch.apply(Ops.stack, tensors, .axis(axis))
    }

    /// A strided box: one clamped range per axis.
    public func slice(ranges: [SliceRange]) throws -> Tensor {
        var a = OpAttributes()
        a.ranges = ranges
        return try Dispatch.apply(Ops.slice, [self], a)
    }

    /// Python-style slicing of one axis: negative positions count from the end,
    /// out-of-range positions are clamped, `step` must be positive.
    public func slice(axis: Int, start: Int? = nil, end: Int? = nil, step: Int = 1) throws -> Tensor {
        let a = try shape.normalizedAxis(axis, op: "slice")
        guard step > 0 else { throw MinoError.argument("slice", "step \(step) must be positive") }
        let size = shape[a]
        func clamp(_ position: Int?, _ fallback: Int) -> Int {
            guard var p = position else { return fallback }
            if p < 0 { p += size }
            return Swift.min(Swift.max(p, 0), size)
        }
        var ranges = shape.dims.map { SliceRange.all($0) }
        ranges[a] = SliceRange(start: clamp(start, 0), end: clamp(end, size), step: step)
        return try slice(ranges: ranges)
    }

    /// `length` entries of `axis` from `start` (PyTorch's `narrow`).
    public func narrow(axis: Int, start: Int, length: Int) throws -> Tensor {
        let a = try shape.normalizedAxis(axis, op: "narrow")
        var ranges = shape.dims.map { SliceRange.all($0) }
        ranges[a] = SliceRange(start: start, end: start + length)
        return try slice(ranges: ranges)
    }

    /// Zeros of `shape` with this tensor written at `ranges`.
    public func sliceScatter(_ ranges: [SliceRange], shape: Shape) throws -> Tensor {
        var a = OpAttributes()
        a.ranges = ranges
        a.shape = shape
        return try Dispatch.apply(Ops.sliceScatter, [self], a)
    }
}

// MARK: - Indexing

extension Tensor {
    /// Entries at int64 `indices` (rank 1) along `axis`: an embedding lookup with `axis` 0.
    public func indexSelect(axis: Int, indices: Tensor) throws -> Tensor {
        try Dispatch.apply(Ops.indexSelect, [self, indices], .axis(axis))
    }

    /// Zeros of `shape` with this tensor's slices added at `indices` along `axis`.
    public func indexAdd(axis: Int, indices: Tensor, shape: Shape) throws -> Tensor {
        var a = OpAttributes.axis(axis)
        a.shape = shape
        return try Dispatch.apply(Ops.indexAdd, [self, indices], a)
    }

    /// PyTorch's `gather`: `out[i][j] = self[i][indices[i][j]]` for `axis` 1.
    public func gather(axis: Int, indices: Tensor) throws -> Tensor {
        try Dispatch.apply(Ops.gather, [self, indices], .axis(axis))
    }

    /// Zeros of `shape` with this tensor added at `indices` along `axis`.
    public func scatterAdd(axis: Int, indices: Tensor, shape: Shape) throws -> Tensor {
        var a = OpAttributes.axis(axis)
        a.shape = shape
        return try Dispatch.apply(Ops.scatterAdd, [self, indices], a)
    }
}

// MARK: - Neural-network functions

extension Tensor {
    public func softmax(axis: Int = -1) throws -> Tensor {
        try Dispatch.apply(Ops.softmax, [self], .axis(axis))
    }

    public func logSoftmax(axis: Int = -1) throws -> Tensor {
        try Dispatch.apply(Ops.logSoftmax, [self], .axis(axis))
    }

    /// `self @ weightᵀ + bias`, with `weight` of shape `[out, in]`.
    public func linear(_ weight: Tensor, _ bias: Tensor? = nil) throws -> Tensor {
        guard let bias else {
            // Checked here, so the error names the weight as given, not its transpose.
            guard rank >= 1, weight.rank == 2, shape[rank - 1] == weight.shape[1] else {
                throw MinoError.shape("linear", [shape, weight.shape], "expected x [… in] and weight [out in]")
            }
            return try matmul(weight.transposed())
        }
        return try Dispatch.apply(Ops.linear, [self, weight, bias])
    }

    /// Randomly zeroes elements with probability `p` and scales the rest by
    /// 1/(1−p); the identity when not `training`.
    ///
    /// - Throws: ``MinoError`` `.argument` when `p` is outside [0, 1] (as PyTorch),
    ///   in training or not.
    public func dropout(_ p: Double, training: Bool = true, generator: RandomGenerator? = nil) throws -> Tensor {
        guard p >= 0, p <= 1 else {
            throw MinoError.argument("dropout", "probability \(p) is outside [0, 1]")
        }
        guard training, p > 0 else { return self }
        guard p < 1 else { return try self * 0 }
        let g = generator ?? RandomGenerator.default
        let mask = try Tensor(doubles: g.bernoulli(count: elementCount, p: 1 - p), shape: shape,
                              dtype: dtype, on: backend)
        var a = OpAttributes()
        a.scalar = p
        return try Dispatch.apply(Ops.dropout, [self, mask], a)
    }
}

/// Losses, as free functions named after PyTorch's.
public enum Loss {
    public static func mse(_ prediction: Tensor, _ target: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try Dispatch.apply(Ops.mse, [prediction, target], .reduction(reduction))
    }

    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, _ target: Tensor,
                                                    reduction: Reduction = .mean) throws -> Tensor {
        try Dispatch.apply(Ops.binaryCrossEntropyWithLogits, [logits, target], .reduction(reduction))
    }

    /// Softmax cross-entropy of `logits` `[N C]` against int64 `labels` `[N]`.
    public static func crossEntropy(_ logits: Tensor, _ labels: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try Dispatch.apply(Ops.crossEntropy, [logits, labels], .reduction(reduction))
    }
}
