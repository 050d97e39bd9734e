import MinoCore
import MinoCPU

// Elementwise kernels: the scalar functions of ``CPUScalarMath``, applied by the plain loops.

extension ReferenceBackend {
    public func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        let s = try x.cpu()
        switch s.dtype {
        case .float32: return ReferenceMath.unary(kernel, s, Float.self)
        case .float64: return ReferenceMath.unary(kernel, s, Double.self)
        case .int64: return try integerUnary(kernel, s)
        }
    }

    public func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        let (sa, sb) = (try a.cpu(), try b.cpu())
        switch sa.dtype {
        case .float32: return ReferenceMath.binary(kernel, sa, sb, shape, Float.self)
        case .float64: return ReferenceMath.binary(kernel, sa, sb, shape, Double.self)
        case .int64: return try integerBinary(kernel, sa, sb, shape: shape)
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
}
