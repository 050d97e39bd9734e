import Foundation
import XCTest
@testable import MinoCore

final class SafetensorsTests: XCTestCase {
    func sample() throws -> Safetensors {
        Safetensors(tensors: [
            "weight": try HostArray([1.5, -2, 3, 4, 5, 6] as [Float], shape: [2, 3]),
            "bias": try HostArray([0.25, -0.5] as [Double], shape: [2]),
            "labels": try HostArray([3, 1, 4] as [Int64], shape: [3]),
            "scalar": HostArray.scalar(7, dtype: .float32),
            "empty": try HostArray([] as [Float], shape: [0, 4]),
        ], metadata: ["format": "mino", "note": "quotes \" and\nnewlines"])
    }

    /// The file's bytes with a replaced header (length prefix recomputed) and the given data.
    func file(header: String, data: [UInt8]) -> [UInt8] {
        let json = Array(header.utf8)
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json + data
    }

    func assertIOError(_ bytes: [UInt8], _ fragment: String, kind: MinoError.Kind = .io,
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Safetensors(bytes: bytes, source: "t.safetensors"), file: file, line: line) { error in
            guard let e = error as? MinoError else { return XCTFail("not a MinoError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.kind, kind, "\(e)", file: file, line: line)
            XCTAssertTrue(e.message.contains(fragment), "'\(e.message)' lacks '\(fragment)'", file: file, line: line)
            XCTAssertTrue(e.message.hasPrefix("t.safetensors"), "\(e.message)", file: file, line: line)
        }
    }

    func testRoundTripInMemoryAndOnDisk() throws {
        let original = try sample()
        let bytes = try original.encoded()
        XCTAssertEqual(try Safetensors(bytes: bytes), original)
        XCTAssertEqual(try original.encoded(), bytes, "encoding is deterministic")
        // The buffer starts 8-byte aligned; wide dtypes come first.
        let headerLength = Int(bytes[0]) | Int(bytes[1]) << 8
        XCTAssertEqual((8 + headerLength) % 8, 0)
        XCTAssertEqual(original.orderedNames, ["bias", "labels", "empty", "scalar", "weight"])

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mino-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("model.safetensors")
        try original.write(to: url)
        try original.write(to: url)  // replacing works too
        XCTAssertEqual(try Safetensors(contentsOf: url), original)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["model.safetensors"],
                       "no temporary file is left behind")
    }

    func testReadsAFileWrittenByTheReferenceLayout() throws {
        // As written by Python's safetensors: header padded with spaces.
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}    "#
        var data: [UInt8] = []
        for v in [Float(1), Float(-2)] { withUnsafeBytes(of: v) { data.append(contentsOf: $0) } }
        let st = try Safetensors(bytes: file(header: header, data: data))
        XCTAssertEqual(st.metadata, ["format": "pt"])
        XCTAssertEqual(st.tensors["a"]?.floats, [1, -2])
    }

    func testTruncatedFiles() throws {
        let bytes = try sample().encoded()
        assertIOError(Array(bytes.prefix(5)), "truncated")
        assertIOError(Array(bytes.prefix(20)), "truncated")
        assertIOError(Array(bytes.dropLast(3)), "truncated")
        assertIOError(bytes + [0, 0], "bytes follow the last tensor")
    }

    func testHugeHeaderLength() {
        var bytes: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        bytes += Array("{}".utf8)
        assertIOError(bytes, "exceeds the limit")
    }

    func testBadJSON() {
        assertIOError(file(header: #"{"a": {"dtype": "F32",}}"#, data: []), "invalid JSON")
        assertIOError(file(header: #"[1, 2]"#, data: []), "beginning with '{'")
        assertIOError(file(header: #"{"a": 1"#, data: []), "invalid JSON")
        assertIOError(file(header: "{\"a\u{7}\": 1}", data: []), "control character")
        var badUTF8 = file(header: #"{"xx":{}}"#, data: [])
        badUTF8[10] = 0xFF
        assertIOError(badUTF8, "UTF-8")
    }

    func testDuplicateKeys() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        assertIOError(file(header: header, data: [0, 0, 0, 0]), "duplicate key \"a\"")
    }

    func testOverlappingAndGappedOffsets() {
        let overlap = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertIOError(file(header: overlap, data: [UInt8](repeating: 0, count: 8)), "overlap")
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        assertIOError(file(header: gap, data: [UInt8](repeating: 0, count: 12)), "gap")
        let late = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertIOError(file(header: late, data: [UInt8](repeating: 0, count: 8)), "gap")
    }

    func testSizesThatDoNotMatch() {
        let wrong = #"{"a":{"dtype":"F64","shape":[2],"data_offsets":[0,8]}}"#
        assertIOError(file(header: wrong, data: [UInt8](repeating: 0, count: 8)), "needs 16 bytes")
        let overflow = #"{"a":{"dtype":"F64","shape":[4611686018427387904,8],"data_offsets":[0,8]}}"#
        assertIOError(file(header: overflow, data: [UInt8](repeating: 0, count: 8)), "too large")
        let negative = #"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#
        assertIOError(file(header: negative, data: []), "non-negative")
        let reversed = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#
        assertIOError(file(header: reversed, data: []), "data_offsets")
        let noShape = #"{"a":{"dtype":"F32","data_offsets":[0,4]}}"#
        assertIOError(file(header: noShape, data: [0, 0, 0, 0]), "no shape")
    }

    func testDTypes() {
        let bf16 = #"{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}"#
        assertIOError(file(header: bf16, data: [0, 0]), "BF16", kind: .dtype)
        let unknown = #"{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,2]}}"#
        assertIOError(file(header: unknown, data: [0, 0]), "unknown dtype 'Q7'")
    }

    func testMetadataMustBeStrings() {
        assertIOError(file(header: #"{"__metadata__":{"n":1}}"#, data: []), "not a string")
    }

    func testReservedNamesAreRefusedWhenWriting() throws {
        let st = Safetensors(tensors: ["__metadata__": HostArray.scalar(1, dtype: .float32)])
        XCTAssertThrowsError(try st.encoded()) { XCTAssertEqual(($0 as? MinoError)?.kind, .argument) }
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsError(try Safetensors(contentsOf: URL(fileURLWithPath: "/nonexistent/x.safetensors"))) {
            XCTAssertEqual(($0 as? MinoError)?.kind, .io)
            XCTAssertTrue("\($0)".contains("/nonexistent/x.safetensors"))
        }
    }
}

final class JSONValueTests: XCTestCase {
    func testParsesAndSerializesWithSortedKeys() throws {
        let v = try JSONValue.parse(#" {"b": [1, -2.5e3, true, null], "a": "x\u00e9\ud83d\ude00\n"} "#)
        XCTAssertEqual(v["b"], .array([.integer(1), .number(-2500), .bool(true), .null]))
        XCTAssertEqual(v["a"]?.stringValue, "xé😀\n")
        XCTAssertEqual(v.serialized(), #"{"a":"xé😀\n","b":[1,-2500.0,true,null]}"#)
        XCTAssertEqual(try JSONValue.parse(v.serialized()), v)
    }

    func testRefusesWhatRFC8259Refuses() {
        for bad in ["[1,]", "{\"a\":1,}", "01", "1.", "'a'", "[1] x", "{\"a\" 1}", "\"\\x\"", "-", "tru"] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad) { XCTAssertEqual(($0 as? MinoError)?.kind, .io) }
        }
    }

    func testDeepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONValue.parse(deep)) { XCTAssertTrue("\($0)".contains("nested deeper")) }
    }
}
