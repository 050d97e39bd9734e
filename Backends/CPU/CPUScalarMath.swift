#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MinoCore
import RealModule

/// The floating-point types the CPU backends compute in (`float32`, `float64`),
/// with an exponential the loop vectoriser can turn into SIMD code.
public protocol CPUFloat: Real & BinaryFloatingPoint & SIMDScalar & Codable {
    /// eˣ with no calls and no branches (float32: within an ulp of the C library's).
    static func vectorExp(_ x: Self) -> Self
}

extension Float: CPUFloat {
    /// eˣ to about 1 ulp: Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, Cephes'
    /// degree-6 polynomial for eʳ, and 2ⁿ built from exponent bits in two halves
    /// (so results between FLT_MAX/2 and FLT_MAX, and subnormals, come out right).
    /// Overflows to +∞, underflows to 0, passes NaN through.
    @inlinable @inline(__always)
    public static func vectorExp(_ x: Float) -> Float {
        let clamped = x < -104 ? -104 : (x > 89 ? 89 : x)
        let safe = x.isNaN ? 0 : clamped
        // Round safe·log₂e to an integer with the 1.5·2²³ trick: the integer lands in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = safe * 1.442_695_04 + magic
        let n = shifted - magic
        let r = safe - n * 0.693_359_375 - n * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        let y = p * r * r + r + 1
        let ni = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        let half = ni &>> 1
        let s1 = Float(bitPattern: UInt32(bitPattern: (half &+ 127) &<< 23))
        let s2 = Float(bitPattern: UInt32(bitPattern: (ni &- half &+ 127) &<< 23))
        let result = y * s1 * s2
        return x.isNaN ? x : result
    }
}

extension Double: CPUFloat {
    /// float64 keeps the C library's exp: exact agreement with the reference backend
    /// matters more here than speed (the float64 paths are for checking, not training).
    @inlinable @inline(__always)
    public static func vectorExp(_ x: Double) -> Double { Double.exp(x) }
}

/// The scalar definition of every elementwise kernel: the one table both CPU
/// backends apply with their own loops (the reference's plain ones, the blas
/// backend's vectorised ones).
///
/// Each function hands `body` the kernel's scalar function and returns what
/// `body` makes of it; everything is inlined, so each case becomes its own
/// specialised loop. `vectorized` picks ``CPUFloat/vectorExp(_:)`` over the C
/// library's eˣ where a kernel uses one. A new elementwise op is one line here.
public enum CPUScalarMath {
    @inlinable @inline(__always)
    public static func unary<T: CPUFloat, R>(_ kernel: UnaryKernel, _: T.Type, vectorized: Bool,
                                             _ body: ((T) -> T) -> R) -> R {
        switch kernel {
        case .neg: return body { -$0 }
        case .exp: return vectorized ? body { T.vectorExp($0) } : body { T.exp($0) }
        case .log: return body { T.log($0) }
        case .sqrt: return body { $0.squareRoot() }
        case .abs: return body { Swift.abs($0) }
        // NaN stays NaN, as 0 stays 0.
        case .sign: return body { $0 > 0 ? 1 : ($0 < 0 ? -1 : $0) }
        case .relu: return body { $0 > 0 || $0.isNaN ? $0 : 0 }
        case .sigmoid: return vectorized ? body { vectorSigmoid($0) } : body { sigmoid($0) }
        case .tanh: return body { T.tanh($0) }
        case .erf: return body { T.erf($0) }
        case .sin: return body { T.sin($0) }
        case .cos: return body { T.cos($0) }
        }
    }

    /// The int64 kernels (integer arithmetic wraps around, as in PyTorch); nil for the
    /// floating-point ones, which an int64 operand never reaches through Core (their ops'
    /// ``DTypePolicy/floating`` promotes it first).
    @inlinable @inline(__always)
    public static func integerUnary<R>(_ kernel: UnaryKernel, _ body: ((Int64) -> Int64) -> R) -> R? {
        switch kernel {
        case .neg: return body { 0 &- $0 }
        case .abs: return body { $0 < 0 ? 0 &- $0 : $0 }
        case .sign: return body { $0.signum() }
        case .relu: return body { Swift.max($0, 0) }
        default: return nil
        }
    }

    @inlinable @inline(__always)
    public static func binary<T: CPUFloat, R>(_ kernel: BinaryKernel, _: T.Type, _ body: ((T, T) -> T) -> R) -> R {
        switch kernel {
        case .add: return body { $0 + $1 }
        case .sub: return body { $0 - $1 }
        case .mul: return body { $0 * $1 }
        case .div: return body { $0 / $1 }
        case .pow: return body { pow($0, $1) }
        case .maximum: return body { maximum($0, $1) }
        case .minimum: return body { minimum($0, $1) }
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return comparison(kernel, body)
        }
    }

    /// A comparison kernel (the binary tables send only those here; any other compares
    /// for equality), 1 or 0 in the operands' type.
    @inlinable @inline(__always)
    public static func comparison<T: Comparable & Numeric, R>(_ kernel: BinaryKernel, _ body: ((T, T) -> T) -> R) -> R {
        switch kernel {
        case .notEqual: return body { flag($0 != $1) }
        case .less: return body { flag($0 < $1) }
        case .lessEqual: return body { flag($0 <= $1) }
        case .greater: return body { flag($0 > $1) }
        case .greaterEqual: return body { flag($0 >= $1) }
        default: return body { flag($0 == $1) }
        }
    }

    /// The int64 kernels; nil for `div`, which Core gives floating-point operands only.
    @inlinable @inline(__always)
    public static func integerBinary<R>(_ kernel: BinaryKernel, _ body: ((Int64, Int64) -> Int64) -> R) -> R? {
        switch kernel {
        case .add: return body { $0 &+ $1 }
        case .sub: return body { $0 &- $1 }
        case .mul: return body { $0 &* $1 }
        case .pow: return body { integerPow($0, $1) }
        case .maximum: return body { Swift.max($0, $1) }
        case .minimum: return body { Swift.min($0, $1) }
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual: return comparison(kernel, body)
        case .div: return nil
        }
    }

    /// σ(x), computed without overflow for either sign.
    @inlinable @inline(__always)
    public static func sigmoid<T: Real>(_ x: T) -> T {
        if x >= 0 { return 1 / (1 + T.exp(-x)) }
        let e = T.exp(x)
        return e / (1 + e)
    }

    /// σ(x) = 1 / (1 + e⁻ˣ) with ``CPUFloat/vectorExp(_:)`` (e⁻ˣ overflowing to +∞ gives 0).
    @inlinable @inline(__always)
    public static func vectorSigmoid<T: CPUFloat>(_ x: T) -> T { 1 / (1 + T.vectorExp(-x)) }

    /// xʸ over the whole real line, as C's `pow` and PyTorch define it: a negative
    /// base with an integer exponent is finite ((−2)³ = −8, (−2)² = 4), with a
    /// fractional one NaN; 0⁰ = 1; 0 to a negative power is +∞. (RealModule's
    /// `pow` is defined for x > 0 only and gives NaN elsewhere.) Computed in
    /// double precision, so float32 is correctly rounded up to the last bit.
    @inlinable @inline(__always)
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
    @inlinable
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

    /// max/min that propagate NaN, as PyTorch's `maximum`/`minimum`.
    @inlinable @inline(__always)
    public static func maximum<T: FloatingPoint>(_ a: T, _ b: T) -> T { a.isNaN || a > b ? a : (b.isNaN ? b : Swift.max(a, b)) }
    @inlinable @inline(__always)
    public static func minimum<T: FloatingPoint>(_ a: T, _ b: T) -> T { a.isNaN || a < b ? a : (b.isNaN ? b : Swift.min(a, b)) }

    /// 1 or 0, as comparisons give them.
    @inlinable @inline(__always)
    public static func flag<T: Numeric>(_ condition: Bool) -> T { condition ? 1 : 0 }
}
