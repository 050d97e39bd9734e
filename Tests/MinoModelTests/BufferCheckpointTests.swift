import Foundation
import XCTest
import MinoCore
import MinoModel

/// Buffers (batch norm's running statistics and batch count): in the state dict and
/// checkpoints beside the parameters, under PyTorch's names, and never trained.
final class BufferCheckpointTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mino-buffers-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func network(seed: UInt64) throws -> Sequential {
        Sequential([try Linear(3, 4, generator: RandomGenerator(seed: seed), on: backend), try BatchNorm1d(4, on: backend)])
    }

    func testBatchNormBuffersAreInTheStateDictButNotTrained() throws {
        let model = try network(seed: 1)
        XCTAssertEqual(model.namedParameters.map(\.name), ["0.weight", "0.bias", "1.weight", "1.bias"])
        XCTAssertEqual(model.namedBuffers.map(\.name), ["1.running_mean", "1.running_var", "1.num_batches_tracked"])
        XCTAssertEqual(model.stateDict.count, 7)
        let count = try XCTUnwrap(model.namedBuffers.last?.tensor)
        XCTAssertEqual(count.dtype, .int64)
        XCTAssertEqual(count.shape, [])

        // An optimizer built from the parameters never sees a buffer; training moves the
        // running statistics (by the batch norm's own update) and counts batches.
        let optimizer = try SGD(model.parameters, learningRate: 0.1)
        XCTAssertEqual(optimizer.parameters.count, 4)
        let x = try Tensor.randn([6, 3], generator: RandomGenerator(seed: 2), on: backend)
        for _ in 0..<3 {
            model.zeroGrad()
            let y = try model(x)
            try (y * y).sum().backward()
            try optimizer.step()
        }
        let norm = try XCTUnwrap(model.layers[1] as? BatchNorm)
        XCTAssertEqual(try norm.batchesTracked(), 3)
        XCTAssertNil(norm.runningMean.grad, "a buffer gets no gradient")
        XCTAssertNotEqual(try norm.runningMean.floats(), [0, 0, 0, 0])
        model.eval()
        _ = try model(x)
        XCTAssertEqual(try norm.batchesTracked(), 3, "evaluation does not count batches")
    }

    /// Saved and loaded with the parameters: a fresh model given the checkpoint computes
    /// the same evaluation outputs, which depend on the running statistics.
    func testCheckpointsCarryBuffers() throws {
        let url = directory.appendingPathComponent("bn.safetensors")
        let trained = try network(seed: 1)
        let x = try Tensor.randn([6, 3], generator: RandomGenerator(seed: 2), on: backend)
        for _ in 0..<2 { _ = try trained(x) }
        try Checkpoint.save(trained, to: url)
        let file = try Safetensors(contentsOf: url)
        XCTAssertEqual(file.orderedNames.sorted(), ["0.bias", "0.weight", "1.bias", "1.num_batches_tracked",
                                                   "1.running_mean", "1.running_var", "1.weight"])
        XCTAssertEqual(file.tensors["1.num_batches_tracked"]?.int64s, [2])

        let fresh = try network(seed: 3)
        try Checkpoint.load(url, into: fresh)
        for ((name, a), (_, b)) in zip(trained.stateDict, fresh.stateDict) {
            XCTAssertEqual(try a.toHost(), try b.toHost(), name)
        }
        trained.eval()
        fresh.eval()
        XCTAssertEqual(try trained(x).floats(), try fresh(x).floats())

        // A file without a buffer does not fit, and nothing is changed.
        var partial = file
        partial.tensors["1.running_var"] = nil
        try partial.write(to: url)
        let other = try network(seed: 4)
        let before = try other.stateDict.map { try $0.tensor.toHost() }
        XCTAssertThrowsError(try Checkpoint.load(url, into: other)) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .unknownName)
            XCTAssertTrue("\(error)".contains("'1.running_var'"), "\(error)")
        }
        XCTAssertEqual(try other.stateDict.map { try $0.tensor.toHost() }, before)
    }
}
