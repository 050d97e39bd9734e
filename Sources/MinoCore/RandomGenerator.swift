import Foundation

/// Mino's seeded random numbers: xoshiro256** seeded through SplitMix64.
///
/// Numbers are drawn here, on the host, and then handed to a backend, so one
/// seed gives the same initial weights, dropout masks and batch orders on
/// every backend. A generator is not thread-safe; give each thread its own.
public final class RandomGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    private var spareNormal: Double?
    public let seed: UInt64

    public init(seed: UInt64) {
        self.seed = seed
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    /// The process-wide generator used when none is given; reseed it with ``seedDefault(_:)``.
    public private(set) static var `default` = RandomGenerator(seed: 0)
    private static let defaultLock = NSLock()

    /// Replaces the default generator with a fresh one of this seed.
    public static func seedDefault(_ seed: UInt64) {
        defaultLock.lock()
        defer { defaultLock.unlock() }
        `default` = RandomGenerator(seed: seed)
    }

    /// The next 64 random bits.
    @inline(__always)
    public func next() -> UInt64 {
        func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    /// Uniform in [0, 1), with 53 random bits.
    public func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal (Box–Muller; the second value of each pair is kept for the next call).
    public func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        var u1 = nextUniform()
        while u1 <= .leastNormalMagnitude { u1 = nextUniform() }
        let u2 = nextUniform()
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        spareNormal = radius * Foundation.sin(2 * .pi * u2)
        return radius * Foundation.cos(2 * .pi * u2)
    }

    /// Uniform integer in `0..<bound` without modulo bias (Lemire's method);
    /// 0 when `bound` is below 2.
    public func nextInt(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        let b = UInt64(bound)
        var product = next().multipliedFullWidth(by: b)
        if product.low < b {
            let threshold = (0 &- b) % b
            while product.low < threshold { product = next().multipliedFullWidth(by: b) }
        }
        return Int(product.high)
    }

    /// `count` values uniform in [low, high).
    public func uniform(count: Int, low: Double = 0, high: Double = 1) -> [Double] {
        (0..<count).map { _ in low + (high - low) * nextUniform() }
    }

    /// `count` values from a normal distribution.
    public func normal(count: Int, mean: Double = 0, std: Double = 1) -> [Double] {
        (0..<count).map { _ in mean + std * nextNormal() }
    }

    /// `count` values that are 1 with probability `p`, else 0.
    public func bernoulli(count: Int, p: Double) -> [Double] {
        (0..<count).map { _ in nextUniform() < p ? 1 : 0 }
    }

    /// A random permutation of `0..<n` (Fisher–Yates).
    public func permutation(_ n: Int) -> [Int] {
        var values = Array(0..<max(n, 0))
        if values.count > 1 {
            for i in stride(from: values.count - 1, to: 0, by: -1) {
                values.swapAt(i, nextInt(below: i + 1))
            }
        }
        return values
    }
}

extension Tensor {
    /// Normal samples drawn by Mino's generator, then uploaded.
    public static func randn(_ shape: Shape, mean: Double = 0, std: Double = 1, dtype: DType = .float32,
                             generator: RandomGenerator? = nil, on backend: (any Backend)? = nil) throws -> Tensor {
        // Drawn as doubles on the host first.
        _ = try shape.allocatable(.float64, for: "randn")
        let g = generator ?? RandomGenerator.default
        return try Tensor(doubles: g.normal(count: shape.elementCount, mean: mean, std: std),
                          shape: shape, dtype: dtype, on: backend)
    }

    /// Uniform samples in [low, high) drawn by Mino's generator, then uploaded.
    public static func rand(_ shape: Shape, low: Double = 0, high: Double = 1, dtype: DType = .float32,
                            generator: RandomGenerator? = nil, on backend: (any Backend)? = nil) throws -> Tensor {
        _ = try shape.allocatable(.float64, for: "rand")
        let g = generator ?? RandomGenerator.default
        return try Tensor(doubles: g.uniform(count: shape.elementCount, low: low, high: high),
                          shape: shape, dtype: dtype, on: backend)
    }
}
