import MinoCore
import MinoCPU
import RealModule
import MinoKernels

// Elementwise kernels: float32 and float64 run the vectorised loops of
// `BLASLoops`; int64 (indices, counts) runs the shared CPU kernels.

extension BLASBackend {
    public func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        let s = try x.cpu()
        switch s.dtype {
        case .float32: return NativeElementwise.unary(kernel, s) ?? BLASMath.unary(kernel, s, Float.self)
        case .float64: return BLASMath.unary(kernel, s, Double.self)
        case .int64: return try integerUnary(kernel, s)
        }
    }

    public func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        let (sa, sb) = (try a.cpu(), try b.cpu())
        switch sa.dtype {
        case .float32:
            return NativeElementwise.binary(kernel, sa, sb, shape) ?? BLASMath.binary(kernel, sa, sb, shape, Float.self)
        case .float64: return BLASMath.binary(kernel, sa, sb, shape, Double.self)
        case .int64: return try integerBinary(kernel, sa, sb, shape: shape)
        }
    }

    public func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage {
        let s = try x.cpu()
        switch (s.dtype, dtype) {
        case (.float32, .float32), (.float64, .float64), (.int64, .int64):
            return s
        case (.float32, .float64):
            return BLASMath.convert(s, to: .float64, Float.self, Double.self) { Double($0) }
        case (.float64, .float32):
            return BLASMath.convert(s, to: .float32, Double.self, Float.self) { Float($0) }
        default:
            return try cpuCast(x, to: dtype)
        }
    }
}

/// The blas backend's vectorised loops over the shared scalar functions (``CPUScalarMath``,
/// the exponentials through ``CPUFloat/vectorExp(_:)``).
enum BLASMath {
    @inline(__always)
    static func sigmoid<T: BLASFloat>(_ x: T) -> T { CPUScalarMath.vectorSigmoid(x) }

    static func unary<T: BLASFloat>(_ kernel: UnaryKernel, _ x: CPUStorage, _: T.Type) -> CPUStorage {
        CPUScalarMath.unary(kernel, T.self, vectorized: true) { f in BLASLoops.map(x, f) }
    }

    static func binary<T: BLASFloat>(_ kernel: BinaryKernel, _ a: CPUStorage, _ b: CPUStorage,
                                     _ shape: Shape, _: T.Type) -> CPUStorage {
        CPUScalarMath.binary(kernel, T.self) { f in BLASLoops.zip(a, b, shape: shape, to: a.dtype, T.self, f) }
    }

    /// A dtype conversion between the float types.
    @inline(__always)
    static func convert<S, D>(_ x: CPUStorage, to dtype: DType, _: S.Type, _: D.Type, _ f: (S) -> D) -> CPUStorage {
        let out = CPUStorage(uninitialized: x.shape, dtype: dtype)
        let contiguous = CPUTransfer.contiguous(x)
        let src = contiguous.pointer(S.self), dst = out.pointer(D.self)
        for i in 0..<x.shape.elementCount { dst[i] = f(src[i]) }
        return out
    }
}
