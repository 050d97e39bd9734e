import Foundation
import XCTest
import Mino

/// PyTorch's numerics where users rely on them (issue 16), one test per defect,
/// each run on every built-in backend (torch where Python with torch is found).
/// Expected values are PyTorch 2.13's, written out by hand.
final class NumericsTests: XCTestCase {
    func backends() throws -> [any Backend] {
        var list: [any Backend] = [try Mino.backend(named: "reference"), try Mino.backend(named: "blas")]
        if let torch = try? Mino.backend(named: "torch") { list.append(torch) }
        return list
    }

    /// Values equal elementwise (NaN matches NaN), and the dtype as PyTorch gives it.
    func assertValues(_ t: Tensor, _ expected: [Double], _ dtype: DType, _ context: String,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(t.dtype, dtype, context, file: file, line: line)
        let actual = try t.doubles()
        XCTAssertEqual(actual.count, expected.count, context, file: file, line: line)
        for (a, e) in zip(actual, expected) where !(a.isNaN && e.isNaN) {
            XCTAssertEqual(a, e, accuracy: 1e-6 * Swift.max(1, Swift.abs(e)), context, file: file, line: line)
        }
    }

    func assertMinoError<T>(_ kind: MinoError.Kind, _ words: [String] = [], _ context: String,
                            file: StaticString = #filePath, line: UInt = #line,
                            _ body: () throws -> T) {
        do {
            _ = try body()
            XCTFail("\(context): expected a .\(kind) error", file: file, line: line)
        } catch let error as MinoError {
            XCTAssertEqual(error.kind, kind, "\(context): \(error.message)", file: file, line: line)
            for w in words {
                XCTAssertTrue(error.message.contains(w), "\(context): '\(error.message)' lacks '\(w)'", file: file, line: line)
            }
        } catch {
            XCTFail("\(context): not a MinoError: \(error)", file: file, line: line)
        }
    }

    // MARK: 1. pow over the whole real line

    func testPowWithNegativeAndZeroBases() throws {
        for b in try backends() {
            let base = try Tensor([-2, -2, -2, 0, -2] as [Float], shape: [5], on: b)
            let exponent = try Tensor([3, 2, 0, 0, 0.5] as [Float], shape: [5], on: b)
            // torch.tensor([-2.,-2,-2,0,-2]) ** torch.tensor([3.,2,0,0,0.5]) = [-8, 4, 1, 1, nan]
            try assertValues(base.pow(exponent), [-8, 4, 1, 1, .nan], .float32, "\(b.name) pow")
            // An L2 penalty of negative weights is finite: Σ w² = 4 + 4 + 4 + 0 + 4.
            try assertValues(base.pow(2).sum(), [16], .float32, "\(b.name) L2")
        }
    }

    func testPowGradientsAtRemovableSingularities() throws {
        for b in try backends() {
            // d/dx x⁰ at 0 is 0 (PyTorch), not 0·0⁻¹ = NaN.
            let x = try Tensor([0, 0, 3] as [Double], shape: [3], on: b, requiresGrad: true)
            try x.pow(0).sum().backward()
            try assertValues(try XCTUnwrap(x.grad), [0, 0, 0], .float64, "\(b.name) d/dx x^0")
            // d/de 0ᵉ is 0 for e ≥ 0 (PyTorch), not 0·ln 0 = NaN; elsewhere aᵉ·ln a.
            let a = try Tensor([0, 0, 2] as [Double], shape: [3], on: b)
            let e = try Tensor([0, 2, 3] as [Double], shape: [3], on: b, requiresGrad: true)
            try a.pow(e).sum().backward()
            try assertValues(try XCTUnwrap(e.grad), [0, 0, 8 * Foundation.log(2.0)], .float64, "\(b.name) d/de 0^e")
            // d/dx of x² at a negative x: 2x.
            let w = try Tensor([-3, 0] as [Double], shape: [2], on: b, requiresGrad: true)
            try w.pow(2).sum().backward()
            try assertValues(try XCTUnwrap(w.grad), [-6, 0], .float64, "\(b.name) d/dw w^2")
        }
    }

    // MARK: 2. Promotion with numbers

    func testNumbersPromoteAsPythonNumbers() throws {
        for b in try backends() {
            let i = try Tensor([1, 2, 3] as [Int64], shape: [3], on: b)
            try assertValues(i + 0.5, [1.5, 2.5, 3.5], .float32, "\(b.name) int64 + 0.5")
            try assertValues(i * 2.5, [2.5, 5, 7.5], .float32, "\(b.name) int64 * 2.5")
            try assertValues(i.pow(0.5), [1, 2.0.squareRoot(), 3.0.squareRoot()], .float32, "\(b.name) int64 ** 0.5")
            try assertValues(0.5 - i, [-0.5, -1.5, -2.5], .float32, "\(b.name) 0.5 - int64")
            try assertValues(i < 1.5, [1, 0, 0], .float32, "\(b.name) int64 < 1.5")
            // An integer number keeps the integer dtype; pow of integers is exact and wraps.
            try assertValues(i + 2, [3, 4, 5], .int64, "\(b.name) int64 + 2")
            try assertValues(i.pow(2), [1, 4, 9], .int64, "\(b.name) int64 ** 2")
            assertMinoError(.argument, ["negative integer powers"], "\(b.name) int64 ** -1") { try i.pow(-1) }
            // torch.tensor([2,-2,1,-1,0,3]) ** torch.tensor([-1,-1,-3,-3,-1,40])
            let bases = try Tensor([2, -2, 1, -1, 0, 3] as [Int64], shape: [6], on: b)
            let powers = try Tensor([-1, -1, -3, -3, -1, 40] as [Int64], shape: [6], on: b)
            XCTAssertEqual(try bases.pow(powers).int64s(), [0, 0, 1, -1, 0, -6289078614652622815], b.name)
            try assertValues(i * 3, [3, 6, 9], .int64, "\(b.name) int64 * 3")
            // A number never widens a float tensor.
            let f = try Tensor([1, 2] as [Float], shape: [2], on: b)
            try assertValues(f + 0.1, [1.1, 2.1].map { Double(Float($0)) }, .float32, "\(b.name) float32 + 0.1")
            let d = try Tensor([1, 2] as [Double], shape: [2], on: b)
            try assertValues(d * 2.5, [2.5, 5], .float64, "\(b.name) float64 * 2.5")
            // An int64 tensor beside a float tensor: the float dtype.
            try assertValues(i.slice(axis: 0, end: 2) + d, [2, 4], .float64, "\(b.name) int64 + float64")
            // A rank-0 tensor decides only from a higher category (PyTorch): float32 [2] with a
            // float64 scalar stays float32; int64 [3] with a float64 scalar is float64.
            let s64 = try Tensor.scalar(0.5, dtype: .float64, on: b)
            try assertValues(f * s64, [0.5, 1], .float32, "\(b.name) float32 [2] * float64 []")
            try assertValues(i * s64, [0.5, 1, 1.5], .float64, "\(b.name) int64 [3] * float64 []")
            try assertValues(s64 * Tensor.scalar(2, dtype: .float32, on: b), [1], .float64, "\(b.name) [] * []")
        }
    }

    // MARK: 3. Huge shapes

    func testHugeShapesAreThrownErrors() throws {
        for b in try backends() {
            assertMinoError(.shape, ["[4294967296 4294967296]"], "\(b.name) zeros 2^32 x 2^32") {
                try Tensor.zeros([1 << 32, 1 << 32], on: b)
            }
            assertMinoError(.shape, ["reshape"], "\(b.name) reshape") {
                try Tensor.zeros([0], on: b).reshape([1 << 32, 1 << 32, 0])
            }
            assertMinoError(.backend, ["out of memory", "4398046511104 bytes"], "\(b.name) zeros 2^40") {
                try Tensor.zeros([1 << 40], on: b)
            }
            assertMinoError(.backend, ["out of memory"], "\(b.name) expand") {
                try Tensor.zeros([1], on: b).expand([1 << 40]).exp()
            }
            assertMinoError(.shape, ["expand"], "\(b.name) expand past the element limit") {
                try Tensor.zeros([1], on: b).expand([1 << 31, 1 << 31])
            }
            assertMinoError(.argument, ["negative"], "\(b.name) negative") { try Tensor.zeros([-1, 3], on: b) }
            // Zero sizes among huge ones are fine when the product of the rest fits.
            XCTAssertEqual(try Tensor.zeros([0, 1 << 40], on: b).shape, [0, 1 << 40])
        }
        assertMinoError(.backend, ["out of memory"], "arange") { try Tensor.arange(1 << 40) }
        assertMinoError(.shape, [], "randn") { try Tensor.randn([1 << 32, 1 << 32]) }
    }

    // MARK: 4. Empty tensors

    func testEmptyTensorsFollowPyTorch() throws {
        for b in try backends() {
            for (shape, axis) in [([0, 3], 0), ([0, 3], 1), ([3, 0], 1), ([3, 0], 0)] as [(Shape, Int)] {
                let x = try Tensor.zeros(shape, on: b)
                XCTAssertEqual(try x.logSoftmax(axis: axis).shape, shape, "\(b.name) logSoftmax \(shape) \(axis)")
                XCTAssertEqual(try x.softmax(axis: axis).shape, shape, "\(b.name) softmax \(shape) \(axis)")
            }
            // The mean of nothing is NaN (PyTorch), the sum 0.
            let empty = try Tensor.zeros([0, 3], on: b)
            try assertValues(empty.mean(), [.nan], .float32, "\(b.name) mean")
            try assertValues(empty.mean(axes: [0]), [.nan, .nan, .nan], .float32, "\(b.name) mean axis 0")
            try assertValues(empty.sum(axes: [0]), [0, 0, 0], .float32, "\(b.name) sum axis 0")
            try assertValues(Loss.mse(empty, empty), [.nan], .float32, "\(b.name) mse")
            try assertValues(Loss.mse(empty, empty, reduction: .sum), [0], .float32, "\(b.name) mse sum")
            let labels = try Tensor([] as [Int64], shape: [0], on: b)
            try assertValues(Loss.crossEntropy(empty, labels), [.nan], .float32, "\(b.name) cross-entropy")
            try assertValues(Loss.binaryCrossEntropyWithLogits(empty, empty), [.nan], .float32, "\(b.name) bce")
        }
    }

    // MARK: 5. Argument checks

    func testDropoutProbabilityMustBeInTheUnitInterval() throws {
        for b in try backends() {
            let x = try Tensor.ones([4], on: b)
            for p in [-0.1, 1.5, .nan] {
                assertMinoError(.argument, ["dropout"], "\(b.name) p \(p)") { try x.dropout(p) }
                assertMinoError(.argument, ["dropout"], "\(b.name) p \(p) eval") { try x.dropout(p, training: false) }
            }
            try assertValues(x.dropout(1), [0, 0, 0, 0], .float32, "\(b.name) p 1")
        }
    }

    func testErrorsNameTheShapesTheUserGave() throws {
        for b in try backends() {
            let v3 = try Tensor.ones([3], on: b), v4 = try Tensor.ones([4], on: b)
            assertMinoError(.shape, ["[3] and [4]"], "\(b.name) vector @ vector") { try v3.matmul(v4) }
            assertMinoError(.shape, ["[3] and [4 2]"], "\(b.name) vector @ matrix") {
                try v3.matmul(try Tensor.ones([4, 2], on: b))
            }
            assertMinoError(.shape, ["linear: shapes [2 3] and [4 5]"], "\(b.name) linear without bias") {
                try Tensor.ones([2, 3], on: b).linear(try Tensor.ones([4, 5], on: b))
            }
            // A reduction over an empty axis: the caller's shape, the same message on every backend.
            let empty = try Tensor.zeros([0, 3], on: b)
            assertMinoError(.shape, ["max: shapes [0 3]", "empty axis 0"], "\(b.name) max") { try empty.max(axes: [0]) }
            XCTAssertEqual(try empty.max(axes: [1]).shape, [0], "\(b.name) max of no rows")
        }
    }

    func testASecondBackwardThroughAUsedGraphThrows() throws {
        for b in try backends() {
            let w = try Tensor([1, 2] as [Double], shape: [2], on: b, requiresGrad: true)
            let loss = try (w * w).sum()
            try loss.backward()
            assertMinoError(.autodiff, ["second time", "retainGraph"], "\(b.name) second backward") { try loss.backward() }
            try assertValues(try XCTUnwrap(w.grad), [2, 4], .float64, "\(b.name) unchanged by the refused pass")
            // Retained, it runs again and accumulates (PyTorch's retain_graph=True).
            w.zeroGrad()
            let kept = try (w * w).sum()
            try kept.backward(retainGraph: true)
            try kept.backward()
            try assertValues(try XCTUnwrap(w.grad), [4, 8], .float64, "\(b.name) retained")
        }
    }

    func testCheckpointsReportTensorsTheModelDoesNotHave() throws {
        let b = try Mino.backend(named: "reference")
        let generator = RandomGenerator(seed: 1)
        let big = try MLP(sizes: [4, 3, 2], activation: .relu, generator: generator, on: b)
        let small = try Sequential([Linear(4, 3, generator: generator, on: b)])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mino-strict-\(getpid()).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint.save(big, to: url)
        assertMinoError(.unknownName, ["'2.weight'", "'2.bias'", "strict: false"], "strict load") {
            try Checkpoint.load(url, into: small)
        }
        try Checkpoint.load(url, into: small, strict: false)
        XCTAssertEqual(try small.namedParameters[0].1.doubles(), try big.namedParameters[0].1.doubles())
    }

    func testOptimizersRefuseAGradientOnAnotherBackend() throws {
        let reference = try Mino.backend(named: "reference")
        for b in try backends() where b !== reference {
            let p = try Tensor([1, 2] as [Float], shape: [2], on: b, requiresGrad: true)
            p.setGrad(try Tensor([1, 1] as [Float], shape: [2], on: reference))
            assertMinoError(.backend, ["SGD", reference.name], "\(b.name) SGD") {
                try SGD([p], learningRate: 0.1).step()
            }
            assertMinoError(.backend, ["Adam"], "\(b.name) Adam") { try Adam([p], learningRate: 0.1).step() }
            try assertValues(p, [1, 2], .float32, "\(b.name) untouched")
        }
    }
}
