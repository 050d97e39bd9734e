import XCTest
import Mino

/// Thousands of random calls of every registered op — valid and invalid
/// shapes, empty dimensions, every dtype mixed across operands, random
/// attributes with huge, zero and negative sizes, and wild index values — on
/// each built-in backend, then tensors made of random (huge, zero, negative)
/// shapes and arithmetic with int and float numbers. Each call must return a
/// tensor of the shape its rule promised or throw a `MinoError`; the process
/// must survive.
final class RandomCallTests: XCTestCase {
    func testRandomCallsReturnOrThrowOnEveryBackend() throws {
        var backends: [any Backend] = [try Mino.backend(named: "reference"), try Mino.backend(named: "blas")]
        if let torch = try? Mino.backend(named: "torch") { backends.append(torch) }
        let ops = OpRegistry.shared.all
        for backend in backends {
            let rng = RandomGenerator(seed: 77)
            var returned = 0, thrown = 0
            for _ in 0..<3_000 {
                let op = ops[rng.nextInt(below: ops.count)]
                let call = RandomCall(op: op, rng: rng)
                do {
                    let inputs = try call.inputs.map { try Tensor($0, on: backend) }
                    let output = try Dispatch.apply(op, inputs, call.attributes)
                    // The result must be readable and hold as many elements as its shape says.
                    XCTAssertEqual(try output.toHost().elements.count, output.shape.elementCount, "\(call)")
                    returned += 1
                } catch is MinoError {
                    thrown += 1
                } catch {
                    XCTFail("\(backend.name): \(call) threw a non-Mino error: \(error)")
                }
            }
            // Both outcomes must be common, or the generator tests nothing.
            XCTAssertGreaterThan(returned, 300, backend.name)
            XCTAssertGreaterThan(thrown, 300, backend.name)
        }
    }

    /// Creation with random sizes (huge ones overflow or exceed memory: thrown,
    /// never a crash) and numbers beside tensors of every dtype (PyTorch's rule:
    /// a float number makes an int64 tensor float32, an int keeps it int64, no
    /// number widens a float tensor).
    func testRandomSizesAndNumbersOnEveryBackend() throws {
        var backends: [any Backend] = [try Mino.backend(named: "reference"), try Mino.backend(named: "blas")]
        if let torch = try? Mino.backend(named: "torch") { backends.append(torch) }
        for backend in backends {
            let rng = RandomGenerator(seed: 78)
            var made = 0, refused = 0
            for _ in 0..<300 {
                let shape = RandomCall.wildShape(rng)
                let dtype = DType.allCases[rng.nextInt(below: 3)]
                do {
                    let t: Tensor
                    switch rng.nextInt(below: 3) {
                    case 0: t = try Tensor.zeros(shape, dtype: dtype, on: backend)
                    case 1: t = try Tensor.randn(shape, dtype: dtype, generator: rng, on: backend)
                    default: t = try Tensor.zeros([0], dtype: dtype, on: backend).reshape(shape)
                    }
                    // (A reshape infers a -1.)
                    if !shape.dims.contains(-1) { XCTAssertEqual(t.shape, shape) }
                    XCTAssertEqual(t.elementCount, try t.toHost().elements.count)
                    made += 1
                } catch is MinoError {
                    refused += 1
                } catch {
                    XCTFail("\(backend.name): \(shape) threw a non-Mino error: \(error)")
                }
            }
            XCTAssertGreaterThan(made, 20, backend.name)
            XCTAssertGreaterThan(refused, 20, backend.name)

            for _ in 0..<300 {
                let dtype = DType.allCases[rng.nextInt(below: 3)]
                let shape = RandomCall.shape(rng)
                let values = (0..<shape.elementCount).map { _ in Double(rng.nextInt(below: 9)) - 4 }
                let x = try Tensor(HostArray.random(values, shape, dtype), on: backend)
                let useInt = rng.nextInt(below: 2) == 0
                let number = Double(rng.nextInt(below: 9)) - 4 + (useInt ? 0 : 0.5)
                do {
                    let y: Tensor
                    switch (rng.nextInt(below: 5), useInt) {
                    case (0, true): y = try x + Int(number)
                    case (0, false): y = try x + number
                    case (1, true): y = try Int(number) * x
                    case (1, false): y = try number * x
                    case (2, true): y = try x - Int(number)
                    case (2, false): y = try x / number
                    case (3, true): y = try x.pow(Int(number))
                    case (3, false): y = try x.pow(number)
                    case (_, true): y = try x < Int(number)
                    case (_, false): y = try x >= number
                    }
                    // The dtype PyTorch gives (pow and div compute in floating point in Mino).
                    let expected: DType = dtype.isFloatingPoint ? dtype : (useInt ? .int64 : DType.defaultFloat)
                    XCTAssertEqual(y.shape, shape)
                    XCTAssertTrue(y.dtype == expected || y.dtype == DType.defaultFloat,
                                  "\(backend.name): \(dtype) and \(number) gave \(y.dtype)")
                    if !useInt { XCTAssertEqual(y.dtype, dtype.floatingPoint, "\(backend.name): \(dtype) and \(number)") }
                    XCTAssertEqual(try y.toHost().elements.count, shape.elementCount)
                } catch is MinoError {
                    continue
                } catch {
                    XCTFail("\(backend.name): \(dtype) \(shape) and \(number) threw a non-Mino error: \(error)")
                }
            }
        }
    }
}

/// One random call: 0–4 inputs of random rank (0–3), sizes 0–4, dtypes and
/// values (indices among them, in and out of range), and random attributes.
struct RandomCall: CustomStringConvertible {
    let op: OpDefinition
    let inputs: [HostArray]
    let attributes: OpAttributes

    init(op: OpDefinition, rng: RandomGenerator) {
        self.op = op
        let arity = op.signature.inputs.count + (rng.nextInt(below: 5) == 0 ? rng.nextInt(below: 3) - 1 : 0)
        let base = RandomCall.shape(rng)
        inputs = (0..<max(arity, 0)).map { _ in
            // Mostly related shapes (so some calls are valid), sometimes anything.
            let shape = rng.nextInt(below: 3) == 0 ? RandomCall.shape(rng) : base
            let dtype = DType.allCases[rng.nextInt(below: 3)]
            let values = (0..<shape.elementCount).map { _ -> Double in
                switch rng.nextInt(below: 6) {
                case 0: return Double(rng.nextInt(below: 9)) - 3      // small integers, negative indices
                case 1: return [Double.nan, .infinity, -.infinity, 1e300, -0.0][rng.nextInt(below: 5)]
                default: return rng.nextUniform() * 4 - 2
                }
            }
            return HostArray.random(values, shape, dtype)
        }
        var a = OpAttributes()
        a.axes = (0..<rng.nextInt(below: 3)).map { _ in rng.nextInt(below: 9) - 4 }
        a.keepDims = rng.nextInt(below: 2) == 0
        a.axis = rng.nextInt(below: 9) - 4
        switch rng.nextInt(below: 5) {
        case 0: a.shape = Shape([-1] + RandomCall.shape(rng).dims)
        case 1: a.shape = RandomCall.wildShape(rng)
        default: a.shape = RandomCall.shape(rng)
        }
        a.permutation = rng.permutation(rng.nextInt(below: 4)).map { $0 - rng.nextInt(below: 2) }
        a.ranges = (0..<rng.nextInt(below: 4)).map { _ in
            SliceRange(start: rng.nextInt(below: 6) - 1, end: rng.nextInt(below: 7) - 1, step: rng.nextInt(below: 4) - 1)
        }
        a.dtype = rng.nextInt(below: 4) == 0 ? nil : DType.allCases[rng.nextInt(below: 3)]
        a.reduction = Reduction.allCases[rng.nextInt(below: 3)]
        a.scalar = rng.nextUniform() * 1.4 - 0.2
        attributes = a
    }

    static func shape(_ rng: RandomGenerator) -> Shape {
        Shape((0..<rng.nextInt(below: 4)).map { _ in rng.nextInt(below: 5) })
    }

    /// Sizes that overflow, exceed any memory, are zero or negative, among small ones.
    /// Every huge size is at least 2⁴⁰: times anything but 0 it is refused on any
    /// machine (4 TiB or more), so the test never allocates a merely large tensor.
    static func wildShape(_ rng: RandomGenerator) -> Shape {
        let wild = [0, -1, -3, 1 << 40, 1 << 50, 1 << 62, Int.max, Int.min]
        return Shape((0..<(1 + rng.nextInt(below: 3))).map { _ in
            rng.nextInt(below: 2) == 0 ? wild[rng.nextInt(below: wild.count)] : rng.nextInt(below: 4)
        })
    }

    var description: String {
        "\(op.name)(\(inputs.map { "\($0.dtype) \($0.shape)" }.joined(separator: ", ")); \(attributes))"
    }
}

extension HostArray {
    static func random(_ values: [Double], _ shape: Shape, _ dtype: DType) -> HostArray {
        switch dtype {
        case .float32: return HostArray(unchecked: shape, .float32(values.map { Float($0) }))
        case .float64: return HostArray(unchecked: shape, .float64(values))
        case .int64: return HostArray(unchecked: shape, .int64(values.map { saturatingInt64($0) }))
        }
    }
}
