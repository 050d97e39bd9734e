import MinoCore
import MinoCPU

// Elementwise kernels: the scalar functions of ``CPUScalarMath``, applied by the plain loops.

extension ReferenceBackend {
    public func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        let s = try x.cpu()
        switch s.dtype {
        case .float32: return ReferenceMath.unary(kernel, s, Float.self)
        case .float64: return ReferenceMath.unary(kernel, s, Double.self)
        case .int64:
            guard let out = CPUScalarMath.integerUnary(kernel, { f in CPUKernels.map(s, to: .int64, Int64.self, Int64.self, f) })
            else { throw MinoError.dtype(kernel.rawValue, "needs a floating-point tensor, got int64") }
            return out
        }
    }

    public func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        let (sa, sb) = (try a.cpu(), try b.cpu())
        switch sa.dtype {
        case .float32: return ReferenceMath.binary(kernel, sa, sb, shape, Float.self)
        case .float64: return ReferenceMath.binary(kernel, sa, sb, shape, Double.self)
        case .int64:
            let out = CPUScalarMath.integerBinary(kernel) { f in
                CPUKernels.zip(sa, sb, shape: shape, to: .int64, Int64.self, Int64.self, f)
            }
            guard let out else { throw MinoError.dtype(kernel.rawValue, "needs floating-point tensors, got int64") }
            return out
        }
    }

    public func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        let (c, sa, sb) = (try condition.cpu(), try a.cpu(), try b.cpu())
        switch sa.dtype {
        case .float32: return ReferenceMath.select(c, sa, sb, shape, Float.self)
        case .float64: return ReferenceMath.select(c, sa, sb, shape, Double.self)
        case .int64: return ReferenceMath.select(c, sa, sb, shape, Int64.self)
        }
    }

    public func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage {
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
}

/// The reference's loops over the shared scalar functions.
enum ReferenceMath {
    static func unary<T: CPUFloat>(_ kernel: UnaryKernel, _ x: CPUStorage, _: T.Type) -> CPUStorage {
        CPUScalarMath.unary(kernel, T.self, vectorized: false) { f in CPUKernels.map(x, to: x.dtype, T.self, T.self, f) }
    }

    static func binary<T: CPUFloat>(_ kernel: BinaryKernel, _ a: CPUStorage, _ b: CPUStorage,
                                    _ shape: Shape, _: T.Type) -> CPUStorage {
        CPUScalarMath.binary(kernel, T.self) { f in CPUKernels.zip(a, b, shape: shape, to: a.dtype, T.self, T.self, f) }
    }

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
