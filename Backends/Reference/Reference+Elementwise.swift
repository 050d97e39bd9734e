#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MinoCore
import MinoCPU
import RealModule

// Elementwise kernels: one scalar function per kernel, applied by the shared loops.

extension ReferenceBackend {
    public func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        let s = try x.cpu()
        switch s.dtype {
        case .float32: return ReferenceMath.unary(kernel, s, Float.self)
        case .float64: return ReferenceMath.unary(kernel, s, Double.self)
        case .int64: return try ReferenceMath.integerUnary(kernel, s)
        }
    }

    public func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        let (sa, sb) = (try a.cpu(), try b.cpu())
        switch sa.dtype {
        case .float32: return ReferenceMath.binary(kernel, sa, sb, shape, Float.self)
        case .float64: return ReferenceMath.binary(kernel, sa, sb, shape, Double.self)
        case .int64: return try ReferenceMath.integerBinary(kernel, sa, sb, shape)
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

/// The scalar definitions of the elementwise kernels.
public enum ReferenceMath {
    /// σ(x), computed without overflow for either sign.
    @inline(__always)
    public static func sigmoid<T: Real>(_ x: T) -> T {
        if x >= 0 { return 1 / (1 + T.exp(-x)) }
        let e = T.exp(x)
        return e / (1 + e)
    }

    /// xʸ over the whole real line, as C's `pow` and PyTorch define it: a negative
    /// base with an integer exponent is finite ((−2)³ = −8, (−2)² = 4), with a
    /// fractional one NaN; 0⁰ = 1; 0 to a negative power is +∞. (RealModule's
    /// `pow` is defined for x > 0 only and gives NaN elsewhere.) Computed in
    /// double precision, so float32 is correctly rounded up to the last bit.
    @inline(__always)
    public static func pow<T: BinaryFloatingPoint>(_ x: T, _ y: T) -> T {
        #if canImport(Glibc)
        T(Glibc.pow(Double(x), Double(y)))
        #else
        T(Darwin.pow(Double(x), Double(y)))
        #endif
    }

    /// aᵇ of integers, as PyTorch's integer `pow` of two tensors: exact with
    /// wrap-around (repeated squaring), and for a negative exponent the integer part
    /// of 1/aᵇ: 1 for a = 1, ±1 for a = −1, else 0 (0 for a = 0 too).
    public static func integerPow(_ a: Int64, _ b: Int64) -> Int64 {
        if b < 0 { return a == 1 ? 1 : (a == -1 ? (b & 1 == 0 ? 1 : -1) : 0) }
        var (result, base, exponent): (Int64, Int64, Int64) = (1, a, b)
        while exponent > 0 {
            if exponent & 1 == 1 { result = result &* base }
            base = base &* base
            exponent >>= 1
        }
        return result
    }

    @inline(__always)
    static func flag<T: Numeric>(_ condition: Bool) -> T { condition ? 1 : 0 }

    static func unary<T: Real & BinaryFloatingPoint>(_ kernel: UnaryKernel, _ x: CPUStorage, _: T.Type) -> CPUStorage {
        let d = x.dtype
        switch kernel {
        case .neg: return CPUKernels.map(x, to: d, T.self, T.self) { -$0 }
        case .exp: return CPUKernels.map(x, to: d, T.self, T.self) { T.exp($0) }
        case .log: return CPUKernels.map(x, to: d, T.self, T.self) { T.log($0) }
        case .sqrt: return CPUKernels.map(x, to: d, T.self, T.self) { $0.squareRoot() }
        case .abs: return CPUKernels.map(x, to: d, T.self, T.self) { Swift.abs($0) }
        case .sign: return CPUKernels.map(x, to: d, T.self, T.self) { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case .relu: return CPUKernels.map(x, to: d, T.self, T.self) { $0 > 0 ? $0 : ($0.isNaN ? $0 : 0) }
        case .sigmoid: return CPUKernels.map(x, to: d, T.self, T.self) { sigmoid($0) }
        case .tanh: return CPUKernels.map(x, to: d, T.self, T.self) { T.tanh($0) }
        case .erf: return CPUKernels.map(x, to: d, T.self, T.self) { T.erf($0) }
        }
    }

    static func integerUnary(_ kernel: UnaryKernel, _ x: CPUStorage) throws -> CPUStorage {
        let d = x.dtype
        switch kernel {
        case .neg: return CPUKernels.map(x, to: d, Int64.self, Int64.self) { 0 &- $0 }
        case .abs: return CPUKernels.map(x, to: d, Int64.self, Int64.self) { $0 < 0 ? 0 &- $0 : $0 }
        case .sign: return CPUKernels.map(x, to: d, Int64.self, Int64.self) { $0.signum() }
        case .relu: return CPUKernels.map(x, to: d, Int64.self, Int64.self) { Swift.max($0, 0) }
        case .exp, .log, .sqrt, .sigmoid, .tanh, .erf:
            throw MinoError.dtype(kernel.rawValue, "needs a floating-point tensor, got int64")
        }
    }

    /// max/min that propagate NaN, as PyTorch's `maximum`/`minimum`.
    @inline(__always)
    static func maximum<T: FloatingPoint>(_ a: T, _ b: T) -> T { a.isNaN || a > b ? a : (b.isNaN ? b : Swift.max(a, b)) }
    @inline(__always)
    static func minimum<T: FloatingPoint>(_ a: T, _ b: T) -> T { a.isNaN || a < b ? a : (b.isNaN ? b : Swift.min(a, b)) }

    static func binary<T: Real & BinaryFloatingPoint>(_ kernel: BinaryKernel, _ a: CPUStorage, _ b: CPUStorage,
                                                      _ shape: Shape, _: T.Type) -> CPUStorage {
        let d = a.dtype
        switch kernel {
        case .add: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { $0 + $1 }
        case .sub: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { $0 - $1 }
        case .mul: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { $0 * $1 }
        case .div: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { $0 / $1 }
        case .pow: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { pow($0, $1) }
        case .maximum: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { maximum($0, $1) }
        case .minimum: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { minimum($0, $1) }
        case .equal: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { flag($0 == $1) }
        case .notEqual: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { flag($0 != $1) }
        case .less: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { flag($0 < $1) }
        case .lessEqual: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { flag($0 <= $1) }
        case .greater: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { flag($0 > $1) }
        case .greaterEqual: return CPUKernels.zip(a, b, shape: shape, to: d, T.self, T.self) { flag($0 >= $1) }
        }
    }

    static func integerBinary(_ kernel: BinaryKernel, _ a: CPUStorage, _ b: CPUStorage,
                              _ shape: Shape) throws -> CPUStorage {
        let d = a.dtype
        typealias I = Int64
        switch kernel {
        // Integer arithmetic wraps around, as in PyTorch and NumPy.
        case .add: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { $0 &+ $1 }
        case .sub: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { $0 &- $1 }
        case .mul: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { $0 &* $1 }
        case .maximum: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { Swift.max($0, $1) }
        case .minimum: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { Swift.min($0, $1) }
        case .equal: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { flag($0 == $1) }
        case .notEqual: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { flag($0 != $1) }
        case .less: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { flag($0 < $1) }
        case .lessEqual: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { flag($0 <= $1) }
        case .greater: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { flag($0 > $1) }
        case .greaterEqual: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { flag($0 >= $1) }
        case .pow: return CPUKernels.zip(a, b, shape: shape, to: d, I.self, I.self) { integerPow($0, $1) }
        case .div:
            throw MinoError.dtype(kernel.rawValue, "needs floating-point tensors, got int64")
        }
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
