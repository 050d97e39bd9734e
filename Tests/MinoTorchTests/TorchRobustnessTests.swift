import MinoCore
import MinoTorch
import XCTest

/// Kernels called straight (past Core's checks) with operands that do not
/// fit, and requests torch cannot satisfy: each is a thrown MinoError, never
/// a crash, and the backend works afterwards.
final class TorchRobustnessTests: XCTestCase {
    func testKernelsGivenNonsenseThrowInsteadOfCrashing() throws {
        let torch = try requireTorchBackend()
        let m = try Tensor((0..<6).map(Float.init), shape: [2, 3], on: torch).operand
        let v = try Tensor([1, 2] as [Float], shape: [2], on: torch).operand
        let i = try Tensor([0, 5] as [Int64], shape: [2], on: torch).operand
        let d = try Tensor([1, 2] as [Double], shape: [2], on: torch).operand
        let calls: [(String, () throws -> Any)] = [
            ("binary broadcast", { try torch.binary(.mul, m, v, shape: [2, 3]) }),
            ("mixed dtypes matmul", { try torch.matmul(m, d, shape: [2, 2]) }),
            ("matmul inner", { try torch.matmul(m, m, shape: [2, 2]) }),
            ("reduce bad axis", { try torch.reduce(.sum, m, axes: [5], keepDims: false) }),
            ("argmax bad axis", { try torch.argmax(m, axis: 7, keepDims: false) }),
            ("reshape count", { try torch.reshape(m, to: [4, 4]) }),
            ("permute repeats", { try torch.permute(m, [0, 0]) }),
            ("expand", { try torch.expand(m, to: [5, 5]) }),
            ("concat ranks", { try torch.concat([m, v], axis: 0, shape: [3, 3]) }),
            ("slice step 0", { try torch.slice(m, [.all(2), SliceRange(start: 0, end: 3, step: 0)], shape: [2, 3]) }),
            ("sliceScatter box", { try torch.sliceScatter(m, [.all(2), .all(3)], shape: [1, 1]) }),
            ("indexSelect float index", { try torch.indexSelect(m, axis: 1, indices: v, shape: [2, 2]) }),
            ("indexSelect out of range", { try torch.indexSelect(m, axis: 1, indices: i, shape: [2, 2]) }),
            ("gather rank", { try torch.gather(m, axis: 1, indices: i) }),
            ("scatterAdd shape", { try torch.scatterAdd(v, axis: 0, indices: i, shape: [1]) }),
            ("where dtypes", { try torch.select(m, v, d, shape: [2, 3]) }),
            ("fused linear dtypes", { try torch.fused(.linear, [m, d, v], .none) as Any }),
            ("fused crossEntropy float labels", { try torch.fused(.crossEntropy, [m, v], .none) as Any }),
            ("huge allocation", { try torch.full(0, shape: [1 << 40, 1 << 20], dtype: .float64) }),
            ("download of a mismatched operand", {
                try torch.download(Operand(storage: m.storage, shape: [7], dtype: .float32))
            }),
        ]
        for (label, call) in calls {
            do {
                let result = try call()
                XCTFail("\(label): expected an error, got \(result)")
            } catch let error as MinoError {
                XCTAssertTrue([.backend, .argument].contains(error.kind), "\(label): \(error.kind) \(error.message)")
            } catch {
                XCTFail("\(label): not a MinoError: \(type(of: error)) \(error)")
            }
        }
        XCTAssertEqual(try (Tensor([3] as [Float], shape: [1], on: torch) * 2).floats(), [6])
    }
}
