import MinoCore

/// The kernels both CPU backends run the same way, on ``CPUStorage`` views:
/// host transfer, views (`reshape` of contiguous data, `permute`, `expand` and
/// `slice` copy nothing), data movement, indexing, `where` and `cast`, and the
/// int64 elementwise kernels from ``CPUScalarMath``. A CPU backend conforms and
/// writes its own arithmetic (elementwise floats, products, reductions); it
/// may override any of these with a faster kernel.
public protocol CPUBackend: Backend {}

extension CPUBackend {
    // The shared kernels a backend may override for some dtypes, under a second name
    // so that its override can fall back to them.
    public func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try cpuIndexSelect(x, axis: axis, indices: indices, shape: shape)
    }
    public func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try cpuIndexAdd(source, axis: axis, indices: indices, shape: shape)
    }
    public func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage { try cpuCast(x, to: dtype) }
    public func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        try cpuReduce(kernel, x, axes: axes, keepDims: keepDims)
    }
    public func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        try cpuArgmax(x, axis: axis, keepDims: keepDims)
    }

    // MARK: Host transfer and creation

    public func upload(_ array: HostArray) throws -> any BackendStorage {
        CPUTransfer.upload(array)
    }

    public func download(_ x: Operand) throws -> HostArray {
        CPUTransfer.download(try x.cpu())
    }

    public func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        CPUTransfer.full(value, shape: shape, dtype: dtype)
    }

    // MARK: Views

    public func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        let s = try x.cpu()
        if let view = CPUTransfer.reshapedView(s, to: shape) { return view }
        let copy = CPUTransfer.contiguous(s)
        return copy.view(shape: shape, strides: shape.contiguousStrides, offset: copy.offset)
    }

    public func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage {
        let s = try x.cpu()
        return s.view(shape: Shape(permutation.map { s.shape[$0] }), strides: permutation.map { s.strides[$0] },
                      offset: s.offset)
    }

    public func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage {
        let s = try x.cpu()
        return s.view(shape: shape, strides: s.broadcastStrides(to: shape), offset: s.offset)
    }

    public func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        CPUKernels.sliceView(try x.cpu(), ranges)
    }

    // MARK: Data movement

    public func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        let parts = try xs.map { try $0.cpu() }
        let out = CPUStorage(uninitialized: shape, dtype: parts[0].dtype)
        var start = 0
        for part in parts {
            var ranges = shape.dims.map { SliceRange.all($0) }
            ranges[axis] = SliceRange(start: start, end: start + part.shape[axis])
            CPUKernels.copy(part, into: CPUKernels.sliceView(out, ranges))
            start += part.shape[axis]
        }
        return out
    }

    public func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        let out = CPUTransfer.full(0, shape: shape, dtype: source.dtype)
        CPUKernels.copy(try source.cpu(), into: CPUKernels.sliceView(out, ranges))
        return out
    }

    public func cpuIndexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        let s = try x.cpu()
        let positions = try CPUKernels.indices(try indices.cpu(), below: s.shape[axis], op: "indexSelect")
        let out = CPUStorage(uninitialized: shape, dtype: s.dtype)
        for (i, p) in positions.enumerated() {
            CPUKernels.copy(CPUKernels.subview(s, axis: axis, index: p), into: CPUKernels.subview(out, axis: axis, index: i))
        }
        return out
    }

    public func cpuIndexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        let s = try source.cpu()
        let positions = try CPUKernels.indices(try indices.cpu(), below: shape[axis], op: "indexAdd")
        let out = CPUTransfer.full(0, shape: shape, dtype: s.dtype)
        for (i, p) in positions.enumerated() {
            CPUKernels.copy(CPUKernels.subview(s, axis: axis, index: i), into: CPUKernels.subview(out, axis: axis, index: p),
                            accumulate: true)
        }
        return out
    }

    public func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        let s = try x.cpu()
        let index = try indices.cpu()
        let positions = try CPUKernels.indices(index, below: s.shape[axis], op: "gather")
        let out = CPUStorage(uninitialized: index.shape, dtype: s.dtype)
        switch s.dtype {
        case .float32: gatherScatter(s, out, positions, axis: axis, Float.self, scatter: false)
        case .float64: gatherScatter(s, out, positions, axis: axis, Double.self, scatter: false)
        case .int64: gatherScatter(s, out, positions, axis: axis, Int64.self, scatter: false)
        }
        return out
    }

    public func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        let s = try source.cpu()
        let positions = try CPUKernels.indices(try indices.cpu(), below: shape[axis], op: "scatterAdd")
        let out = CPUTransfer.full(0, shape: shape, dtype: s.dtype)
        switch s.dtype {
        case .float32: gatherScatter(out, s, positions, axis: axis, Float.self, scatter: true)
        case .float64: gatherScatter(out, s, positions, axis: axis, Double.self, scatter: true)
        case .int64: gatherScatter(out, s, positions, axis: axis, Int64.self, scatter: true)
        }
        return out
    }

    /// Walks the positions of `other` (the shape of the index, row-major):
    /// gather reads `table[pos with axis = index]` into `other[pos]`; scatter
    /// adds `other[pos]` into `table[pos with axis = index]`.
    private func gatherScatter<T: AdditiveArithmetic>(_ table: CPUStorage, _ other: CPUStorage, _ positions: [Int],
                                                      axis: Int, _: T.Type, scatter: Bool) {
        let shape = other.shape
        var tableStrides = table.strides
        let axisStride = tableStrides[axis]
        tableStrides[axis] = 0
        let pt = table.pointer(T.self), po = other.pointer(T.self)
        let loop = StridedLoop(shape: shape, strides: [tableStrides, other.strides, shape.contiguousStrides])
        let inner = loop.innerStrides
        loop.forEachRow { bases, count in
            for i in 0..<count {
                let t = bases[0] + i * inner[0] + positions[bases[2] + i * inner[2]] * axisStride
                let o = bases[1] + i * inner[1]
                if scatter { pt[t] += po[o] } else { po[o] = pt[t] }
            }
        }
    }

    // MARK: Reductions (the general kernels: any layout, any dtype)

    public func cpuReduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        let s = try x.cpu()
        let (blocks, outShape) = CPUReduce.blocks(s, axes: axes, keepDims: keepDims)
        switch (kernel, s.dtype) {
        case (.sum, .float32): return try CPUReduce.sum(blocks, outShape, Float.self)
        case (.sum, .float64): return try CPUReduce.sum(blocks, outShape, Double.self)
        case (.sum, .int64): return try CPUReduce.integerSum(blocks, outShape)
        case (.max, .float32): return try CPUReduce.max(blocks, outShape, Float.self)
        case (.max, .float64): return try CPUReduce.max(blocks, outShape, Double.self)
        case (.max, .int64): return try CPUReduce.integerMax(blocks, outShape)
        }
    }

    public func cpuArgmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        let s = try x.cpu()
        let (blocks, outShape) = CPUReduce.blocks(s, axes: [axis], keepDims: keepDims)
        switch s.dtype {
        case .float32: return try CPUReduce.argmax(blocks, outShape, Float.self)
        case .float64: return try CPUReduce.argmax(blocks, outShape, Double.self)
        case .int64: return try CPUReduce.argmax(blocks, outShape, Int64.self)
        }
    }

    // MARK: Select and cast

    public func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        let (c, sa, sb) = (try condition.cpu(), try a.cpu(), try b.cpu())
        switch sa.dtype {
        case .float32: return CPUBackends.select(c, sa, sb, shape, Float.self)
        case .float64: return CPUBackends.select(c, sa, sb, shape, Double.self)
        case .int64: return CPUBackends.select(c, sa, sb, shape, Int64.self)
        }
    }

    public func cpuCast(_ x: Operand, to dtype: DType) throws -> any BackendStorage {
        let s = try x.cpu()
        switch (s.dtype, dtype) {
        case (.float32, .float32), (.float64, .float64), (.int64, .int64): return s
        case (.float32, .float64): return CPUKernels.map(s, to: dtype, Float.self, Double.self) { Double($0) }
        case (.float32, .int64): return CPUKernels.map(s, to: dtype, Float.self, Int64.self) { saturatingInt64($0) }
        case (.float64, .float32): return CPUKernels.map(s, to: dtype, Double.self, Float.self) { Float($0) }
        case (.float64, .int64): return CPUKernels.map(s, to: dtype, Double.self, Int64.self) { saturatingInt64($0) }
        case (.int64, .float32): return CPUKernels.map(s, to: dtype, Int64.self, Float.self) { Float($0) }
        case (.int64, .float64): return CPUKernels.map(s, to: dtype, Int64.self, Double.self) { Double($0) }
        }
    }

    // MARK: int64 elementwise (integer arithmetic wraps around, as in PyTorch)

    /// The int64 form of a unary kernel.
    public func integerUnary(_ kernel: UnaryKernel, _ x: CPUStorage) throws -> CPUStorage {
        guard let out = CPUScalarMath.integerUnary(kernel, { f in CPUKernels.map(x, to: .int64, Int64.self, Int64.self, f) })
        else { throw MinoError.dtype(kernel.rawValue, "needs a floating-point tensor, got int64") }
        return out
    }

    /// The int64 form of a binary kernel.
    public func integerBinary(_ kernel: BinaryKernel, _ a: CPUStorage, _ b: CPUStorage, shape: Shape) throws -> CPUStorage {
        let out = CPUScalarMath.integerBinary(kernel) { f in CPUKernels.zip(a, b, shape: shape, to: .int64, Int64.self, Int64.self, f) }
        guard let out else { throw MinoError.dtype(kernel.rawValue, "needs floating-point tensors, got int64") }
        return out
    }
}

/// Loops of the shared kernels.
enum CPUBackends {
    static func select<T: Equatable & ExpressibleByIntegerLiteral>(
        _ condition: CPUStorage, _ a: CPUStorage, _ b: CPUStorage, _ shape: Shape, _: T.Type) -> CPUStorage {
        let out = CPUStorage(uninitialized: shape, dtype: a.dtype)
        let pc = condition.pointer(T.self), pa = a.pointer(T.self), pb = b.pointer(T.self), po = out.pointer(T.self)
        let loop = StridedLoop(shape: shape, strides: [condition.broadcastStrides(to: shape), a.broadcastStrides(to: shape),
                                                       b.broadcastStrides(to: shape), shape.contiguousStrides])
        let s = loop.innerStrides
        // The condition has the values' dtype; it is true where it is not zero (NaN is true, as in PyTorch).
        loop.forEachRow { bases, count in
            for i in 0..<count {
                let c = pc[bases[0] + i * s[0]]
                po[bases[3] + i * s[3]] = c != 0 ? pa[bases[1] + i * s[1]] : pb[bases[2] + i * s[2]]
            }
        }
        return out
    }
}
