import Foundation
import XCTest
import MinoCore
import MinoModel

final class CheckpointTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mino-checkpoint-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func model(seed: UInt64, dtype: DType = .float32) throws -> Sequential {
        try MLP(sizes: [4, 3, 2], activation: .tanh, dtype: dtype, generator: RandomGenerator(seed: seed), on: backend)
    }

    func testRoundTripIsExact() throws {
        let url = directory.appendingPathComponent("m.safetensors")
        let saved = try model(seed: 1), loaded = try model(seed: 2)
        try Checkpoint.save(saved, to: url)
        try Checkpoint.load(url, into: loaded)
        for (a, b) in zip(saved.parameters, loaded.parameters) { XCTAssertEqual(try a.toHost(), try b.toHost()) }
        let file = try Safetensors(contentsOf: url)
        XCTAssertEqual(file.orderedNames.sorted(), ["0.bias", "0.weight", "2.bias", "2.weight"])
        XCTAssertEqual(file.metadata["producer"], "mino")
    }

    func testMismatchesAreErrorsThatChangeNothing() throws {
        let url = directory.appendingPathComponent("m.safetensors")
        try Checkpoint.save(try model(seed: 1), to: url)
        let wider = try MLP(sizes: [4, 5, 2], activation: .tanh, generator: RandomGenerator(seed: 3), on: backend)
        let before = try wider.parameters.map { try $0.toHost() }
        XCTAssertThrowsError(try Checkpoint.load(url, into: wider)) { error in
            XCTAssertTrue("\(error)".contains("0.weight"), "\(error)")
        }
        XCTAssertEqual(try wider.parameters.map { try $0.toHost() }, before, "a failed load changed parameters")
        XCTAssertThrowsError(try Checkpoint.load(url, into: try model(seed: 1, dtype: .float64)))
        let deeper = try MLP(sizes: [4, 3, 2, 2], activation: .tanh, on: backend)
        XCTAssertThrowsError(try Checkpoint.load(url, into: deeper)) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .unknownName)
        }
    }

    func testCorruptFilesAreIOErrors() throws {
        let url = directory.appendingPathComponent("bad.safetensors")
        try Data([1, 2, 3]).write(to: url)
        XCTAssertThrowsError(try Checkpoint.load(url, into: try model(seed: 1))) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .io)
        }
        XCTAssertThrowsError(try Checkpoint.load(directory.appendingPathComponent("missing"), into: try model(seed: 1)))
    }
}
