import MinoCore
import MinoCPU
import MinoReference
import RealModule

// Elementwise kernels: float32 and float64 run the vectorised loops of
// `BLASLoops`; int64 (indices, counts) goes to the reference kernels.

extension BLASBackend {
    public func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        let s = try x.cpu()
        switch s.dtype {
        case .float32: return BLASMath.unary(kernel, s, Float.self)
        case .float64: return BLASMath.unary(kernel, s, Double.self)
        case .int64: return try reference.unary(kernel, x)
        }
    }

    public func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        let (sa, sb) = (try a.cpu(), try b.cpu())
        switch sa.dtype {
        case .float32: return BLASMath.binary(kernel, sa, sb, shape, Float.self)
        case .float64: return BLASMath.binary(kernel, sa, sb, shape, Double.self)
        case .int64: return try reference.binary(kernel, a, b, shape: shape)
        }
    }

    public func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try reference.select(condition, a, b, shape: shape)
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
            return try reference.cast(x, to: dtype)
        }
    }
}

/// The scalar definitions of the elementwise kernels, applied by the vectorised
/// loops. Each agrees with ``ReferenceMath`` (NaN handling included); the
/// exponentials of float32 use ``BLASFloat/vectorExp(_:)``, within an ulp of the C library's.
enum BLASMath {
    @inline(__always)
    static func sigmoid<T: BLASFloat>(_ x: T) -> T { 1 / (1 + T.vectorExp(-x)) }

    static func unary<T: BLASFloat>(_ kernel: UnaryKernel, _ x: CPUStorage, _: T.Type) -> CPUStorage {
        switch kernel {
        case .neg: return BLASLoops.map(x) { (v: T) in -v }
        case .exp: return BLASLoops.map(x) { (v: T) in T.vectorExp(v) }
        case .log: return BLASLoops.map(x) { (v: T) in T.log(v) }
        case .sqrt: return BLASLoops.map(x) { (v: T) in v.squareRoot() }
        case .abs: return BLASLoops.map(x) { (v: T) in Swift.abs(v) }
        case .sign: return BLASLoops.map(x) { (v: T) in v > 0 ? 1 : (v < 0 ? -1 : v) }
        case .relu: return BLASLoops.map(x) { (v: T) in v > 0 || v.isNaN ? v : 0 }
        case .sigmoid: return BLASLoops.map(x) { (v: T) in sigmoid(v) }
        case .tanh: return BLASLoops.map(x) { (v: T) in T.tanh(v) }
        case .erf: return BLASLoops.map(x) { (v: T) in T.erf(v) }
        }
    }

    @inline(__always)
    static func flag<T: BLASFloat>(_ condition: Bool) -> T { condition ? 1 : 0 }

    /// max/min that propagate NaN, as PyTorch's `maximum`/`minimum`.
    @inline(__always)
    static func maximum<T: BLASFloat>(_ a: T, _ b: T) -> T { a.isNaN || a > b ? a : (b.isNaN ? b : Swift.max(a, b)) }
    @inline(__always)
    static func minimum<T: BLASFloat>(_ a: T, _ b: T) -> T { a.isNaN || a < b ? a : (b.isNaN ? b : Swift.min(a, b)) }

    static func binary<T: BLASFloat>(_ kernel: BinaryKernel, _ a: CPUStorage, _ b: CPUStorage,
                                     _ shape: Shape, _: T.Type) -> CPUStorage {
        let d = a.dtype
        switch kernel {
        case .add: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) in x + y }
        case .sub: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) in x - y }
        case .mul: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) in x * y }
        case .div: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) in x / y }
        case .pow: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) in ReferenceMath.pow(x, y) }
        case .maximum: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) in maximum(x, y) }
        case .minimum: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) in minimum(x, y) }
        case .equal: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) -> T in flag(x == y) }
        case .notEqual: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) -> T in flag(x != y) }
        case .less: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) -> T in flag(x < y) }
        case .lessEqual: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) -> T in flag(x <= y) }
        case .greater: return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) -> T in flag(x > y) }
        case .greaterEqual:
            return BLASLoops.zip(a, b, shape: shape, to: d, T.self) { (x: T, y: T) -> T in flag(x >= y) }
        }
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
