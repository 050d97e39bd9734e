import Foundation
import XCTest
@testable import MinoCore

final class NPYTests: XCTestCase {
    /// A file as NumPy 2.x's `np.save` writes it: version 1.0, header padded to 64 bytes.
    func numpyFile(_ dict: String, _ data: [UInt8], version: UInt8 = 1) -> [UInt8] {
        let lengthBytes = version == 1 ? 2 : 4
        var header = Array(dict.utf8)
        let total = 8 + lengthBytes + header.count + 1
        header += [UInt8](repeating: 0x20, count: (64 - total % 64) % 64) + [0x0A]
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
        var n = header.count
        for _ in 0..<lengthBytes {
            out.append(UInt8(n & 0xFF))
            n >>= 8
        }
        return out + header + data
    }

    func bytes<T>(_ values: [T]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }

    func assertError(_ bytes: [UInt8], _ fragment: String, kind: MinoError.Kind = .io,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try NPY.decode(bytes, source: "a.npy"), file: file, line: line) { error in
            guard let e = error as? MinoError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(e.kind, kind, e.message, file: file, line: line)
            XCTAssertTrue(e.message.hasPrefix("a.npy: ") && e.message.contains(fragment), e.message, file: file, line: line)
        }
    }

    func testWritesWhatNumPyWrites() throws {
        let array = try HostArray((0..<6).map(Float.init), shape: [2, 3])
        let expected = numpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", bytes(array.floats))
        XCTAssertEqual(NPY.encode(array), expected)
        XCTAssertEqual(NPY.encode(array).count, 152)  // np.save's size for this array
        let scalar = HostArray.scalar(3.5, dtype: .float64)
        XCTAssertEqual(NPY.encode(scalar), numpyFile("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", bytes([3.5])))
        let vector = try HostArray([1, 2, 3] as [Int64], shape: [3])
        XCTAssertEqual(NPY.encode(vector), numpyFile("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }",
                                                     bytes([1, 2, 3] as [Int64])))
    }

    func testRoundTripsOnDisk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mino-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: url) }
        for array in [try HostArray((0..<24).map(Double.init), shape: [2, 3, 4]), try HostArray([] as [Float], shape: [0, 2]),
                      HostArray.scalar(-1, dtype: .int64)] {
            try NPY.write(array, to: url)
            XCTAssertEqual(try NPY.read(contentsOf: url), array)
        }
    }

    func testReadsFortranOrderAndVersion2() throws {
        let columnMajor = bytes([0, 3, 1, 4, 2, 5] as [Double])
        let f = try NPY.decode(numpyFile("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", columnMajor))
        XCTAssertEqual(f.shape, [2, 3])
        XCTAssertEqual(f.doubles, [0, 1, 2, 3, 4, 5])
        let cube = (0..<24).map(Double.init)  // np.asfortranarray(np.arange(24).reshape(2, 3, 4)).tobytes('A')
        var fortran: [Double] = []
        for k in 0..<4 { for j in 0..<3 { for i in 0..<2 { fortran.append(cube[i * 12 + j * 4 + k]) } } }
        let g = try NPY.decode(numpyFile("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3, 4), }", bytes(fortran)))
        XCTAssertEqual(g.doubles, cube)
        let v2 = try NPY.decode(numpyFile("{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}", bytes([1, 2] as [Float]),
                                          version: 2))
        XCTAssertEqual(v2.floats, [1, 2])
    }

    func testCorruptFiles() {
        let good = numpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", bytes([1, 2] as [Float]))
        assertError(Array(good.prefix(5)), "not a .npy file")
        assertError(Array(good.dropLast(1)), "truncated")
        assertError(good + [0], "bytes follow")
        var badMagic = good
        badMagic[1] = UInt8(ascii: "n")
        assertError(badMagic, "not a .npy file")
        var badVersion = good
        badVersion[6] = 9
        assertError(badVersion, "version 9")
        var huge = good
        huge[8] = 0xFF
        huge[9] = 0xFF
        assertError(huge, "exceeds the limit")
        assertError(numpyFile("{'descr': '<f4', 'shape': (2,), }", bytes([1, 2] as [Float])), "exactly descr")
        assertError(numpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", bytes([1, 2] as [Float])),
                    "exactly descr")
        assertError(numpyFile("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", bytes([1, 2] as [Float])),
                    "fortran_order")
        assertError(numpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", []), "unexpected '-'")
        assertError(numpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", []), "expected '}'")
        assertError(numpyFile("{'descr': '<f2', 'fortran_order': False, 'shape': (2,), }", [0, 0, 0, 0]), "'<f2'", kind: .dtype)
        assertError(numpyFile("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", bytes([1, 2] as [Float])),
                    "'>f4'", kind: .dtype)
        assertError(numpyFile("{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", []),
                    "too large")
    }
}
