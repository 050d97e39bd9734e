import XCTest
import Foundation
@testable import MinoBLAS
import MinoCore
import MinoCPU

/// The native float32 elementwise kernels against the Swift loops (the kernels off) over the
/// whole float line: signed zeros, subnormals, ±∞, NaN, values that overflow eˣ, in every
/// contiguous layout they take (array with array, array with a value, a value with an
/// array), at lengths that leave vector tails and span the threads' chunks.
final class NativeElementwiseTests: NativeKernelTestCase {
    static let special: [Float] = [0, -0, 1, -1, .infinity, -.infinity, .nan, -.nan, .leastNonzeroMagnitude,
                                   -.leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude,
                                   -.greatestFiniteMagnitude, 88.5, 89, 100, -87, -103, -104.5, -200, 1e-30, -1e-30,
                                   0.19999, 0.2, -0.2, 0.5, 3, -3, 9, 20, -20]

    /// `count` values: the special ones first, then a spread over ±30 on a log scale.
    func values(_ count: Int, seed: UInt64) -> [Float] {
        let g = RandomGenerator(seed: seed)
        return (0..<count).map { i in
            if i < Self.special.count { return Self.special[(i + Int(seed)) % Self.special.count] }
            let magnitude = Float(Foundation.pow(10, g.nextUniform() * 6 - 4.5))
            return g.nextUniform() < 0.5 ? -magnitude : magnitude
        }
    }

    func storage(_ values: [Float], _ shape: Shape) -> CPUStorage {
        let s = CPUStorage(uninitialized: shape, dtype: .float32)
        let p = s.pointer(Float.self)
        for (i, v) in values.enumerated() { p[i] = v }
        return s
    }

    func operand(_ s: CPUStorage) -> Operand { Operand(storage: s, shape: s.shape, dtype: s.dtype) }

    func floats(_ s: any BackendStorage) throws -> [Float] {
        let c = try XCTUnwrap(s as? CPUStorage)
        let p = c.pointer(Float.self)
        return (0..<c.shape.elementCount).map { p[$0] }
    }

    /// Equal bit for bit, or both NaN; `ulps` > 0 allows a relative error of that many float ulps
    /// (plus 2e-7 absolute for tanh's libm reference near 0).
    func assertAgree(_ native: [Float], _ swift: [Float], inputs: [Float], ulps: Float, _ what: String) {
        XCTAssertEqual(native.count, swift.count, what)
        var reported = 0
        for i in 0..<Swift.min(native.count, swift.count) where reported < 5 {
            let (n, s) = (native[i], swift[i])
            let agree: Bool
            if n.isNaN || s.isNaN {
                agree = n.isNaN && s.isNaN
            } else if ulps == 0 {
                agree = n.bitPattern == s.bitPattern
            } else {
                agree = n == s || abs(n - s) <= ulps * Float.ulpOfOne * abs(s) + 2e-7
            }
            if !agree {
                reported += 1
                XCTFail("\(what): element \(i) (input \(inputs[i])): native \(n), Swift \(s)")
            }
        }
    }

    func testUnaryOpsAgreeWithTheSwiftLoops() throws {
        BLASThreads.count = 2
        let approximate: Set<UnaryKernel> = [.exp, .sigmoid, .tanh]
        for kernel in [UnaryKernel.neg, .exp, .sqrt, .abs, .relu, .sigmoid, .tanh] {
            XCTAssertNotNil(NativeElementwise.op(kernel), "\(kernel) has a native kernel")
            for count in [1, 15, 16, 17, 100, 40_000] {
                let inputs = values(count, seed: UInt64(count))
                let x = storage(inputs, [count])
                let native = try NativeKernels.with(enabled: true) { try floats(try blas.unary(kernel, operand(x))) }
                let swift = try NativeKernels.with(enabled: false) { try floats(try blas.unary(kernel, operand(x))) }
                assertAgree(native, swift, inputs: inputs, ulps: approximate.contains(kernel) ? 8 : 0,
                            "\(kernel) over \(count)")
            }
        }
    }

    func testBinaryOpsAgreeWithTheSwiftLoopsInEveryLayout() throws {
        BLASThreads.count = 2
        let kernels: [BinaryKernel] = [.add, .sub, .mul, .div, .maximum, .minimum, .equal, .notEqual, .less,
                                       .lessEqual, .greater, .greaterEqual]
        for kernel in kernels {
            for count in [1, 17, 40_000] {
                let (va, vb) = (values(count, seed: 3), values(count, seed: 7))
                let (a, b) = (storage(va, [count]), storage(vb, [count]))
                // Each special value against every other, as a single value on either side.
                var layouts: [(CPUStorage, CPUStorage, String)] = [(a, b, "array with array")]
                for v in Self.special {
                    layouts.append((a, storage([v], []), "array with \(v)"))
                    layouts.append((storage([v], [1, 1]), a, "\(v) with array"))
                }
                for (x, y, layout) in layouts {
                    let native = try NativeKernels.with(enabled: true) {
                        try floats(try blas.binary(kernel, operand(x), operand(y), shape: [count]))
                    }
                    let swift = try NativeKernels.with(enabled: false) {
                        try floats(try blas.binary(kernel, operand(x), operand(y), shape: [count]))
                    }
                    assertAgree(native, swift, inputs: va, ulps: 0, "\(kernel) \(layout) over \(count)")
                }
            }
        }
    }

    /// Layouts the kernels do not take (a bias row repeated, a transposed view) go to the
    /// Swift loops and still give the right values.
    func testOtherLayoutsFallBack() throws {
        let a = storage((0..<12).map(Float.init), [3, 4]), row = storage([1, 2, 3, 4], [4])
        XCTAssertNil(NativeElementwise.binary(.add, a, row, [3, 4]))
        let sum = try NativeKernels.with(enabled: true) { try floats(try blas.binary(.add, operand(a), operand(row), shape: [3, 4])) }
        XCTAssertEqual(sum, (0..<12).map { Float($0 + 1 + $0 % 4) })
        XCTAssertNil(NativeElementwise.op(UnaryKernel.log), "log keeps the Swift loop")
    }
}
