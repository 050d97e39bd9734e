import XCTest
@testable import MinoCore

/// Corrupt files never crash the readers: thousands of mutated safetensors
/// and `.npy` byte strings each decode or throw a `MinoError`.
final class FileFormatFuzzTests: XCTestCase {
    func sampleArrays() throws -> [String: HostArray] {
        [
            "w": try HostArray([1, 2, 3, 4, 5, 6] as [Float], shape: [2, 3]),
            "b": try HostArray([0.5, -0.5] as [Double], shape: [2]),
            "ids": try HostArray([3, 1, 4] as [Int64], shape: [3]),
            "s": HostArray.scalar(7, dtype: .float32),
        ]
    }

    /// Flips, deletes, inserts and truncates bytes of `valid`, feeding each result to `decode`.
    func fuzz(_ valid: [UInt8], seed: UInt64, _ decode: ([UInt8]) throws -> Void) {
        let rng = RandomGenerator(seed: seed)
        var decoded = 0, refused = 0
        for _ in 0..<3_000 {
            var bytes = valid
            for _ in 0...rng.nextInt(below: 4) {
                guard !bytes.isEmpty else { break }
                let i = rng.nextInt(below: bytes.count)
                switch rng.nextInt(below: 5) {
                case 0: bytes[i] ^= UInt8(1 << rng.nextInt(below: 8))
                case 1: bytes.remove(at: i)
                case 2: bytes.insert(UInt8(rng.nextInt(below: 256)), at: i)
                case 3: bytes = Array(bytes[..<i])
                default: bytes[i] = [0x00, 0xFF, 0x7B, 0x22, 0x5D, 0x2C][rng.nextInt(below: 6)]  // \0 ÿ { " ] ,
                }
            }
            do {
                try decode(bytes)
                decoded += 1
            } catch is MinoError {
                refused += 1
            } catch {
                XCTFail("a non-Mino error: \(error)")
            }
        }
        XCTAssertGreaterThan(refused, 1_000)
        XCTAssertGreaterThan(decoded, 10, "mutations that keep the file valid should exist (payload bytes)")
    }

    func testMutatedSafetensorsDecodeOrThrow() throws {
        let valid = try Safetensors(tensors: sampleArrays(), metadata: ["k": "v"]).encoded()
        XCTAssertEqual(try Safetensors(bytes: valid).tensors, try sampleArrays())
        fuzz(valid, seed: 1) { _ = try Safetensors(bytes: $0) }
    }

    func testMutatedNPYDecodesOrThrows() throws {
        let valid = NPY.encode(try HostArray([1, 2, 3, 4, 5, 6] as [Double], shape: [3, 2]))
        fuzz(valid, seed: 2) { _ = try NPY.decode($0) }
    }
}
