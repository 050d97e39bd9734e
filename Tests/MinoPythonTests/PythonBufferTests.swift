import Foundation
import MinoPython
import XCTest

/// Zero-copy memory both ways: Swift memory seen from Python through a
/// memoryview, Python memory seen from Swift through the buffer protocol.
final class PythonBufferTests: XCTestCase {
    func testSwiftMemoryAsAWritableMemoryview() throws {
        let python = try requirePython()
        var values: [Float] = [1, 2, 3, 4]
        try values.withUnsafeMutableBytes { bytes in
            let view = try python.memoryView(bytes)
            XCTAssertEqual(try view.attribute("readonly").toBool(), false)
            XCTAssertEqual(try view.attribute("nbytes").toInt(), 16)
            let floats = try view.callMethod("cast", ["f"])
            XCTAssertEqual(try floats.callMethod("tolist").toArray(of: Float.self), [1, 2, 3, 4])
            // Python writes, Swift sees.
            try floats.setItem(2, 30.5)
            XCTAssertEqual(bytes.load(fromByteOffset: 8, as: Float.self), 30.5)
            // Swift writes, Python sees.
            bytes.storeBytes(of: -7, toByteOffset: 0, as: Float.self)
            XCTAssertEqual(try floats.item(0).toDouble(), -7)
            try view.callMethod("release")
        }
        XCTAssertEqual(values, [-7, 2, 30.5, 4])
    }

    func testSwiftMemoryAsAReadOnlyMemoryview() throws {
        let python = try requirePython()
        let data: [UInt8] = Array("mino".utf8)
        try data.withUnsafeBytes { bytes in
            let view = try python.memoryView(readOnly: bytes)
            XCTAssertEqual(try view.attribute("readonly").toBool(), true)
            XCTAssertEqual(try view.callMethod("tobytes").toBytes(), data)
            assertPythonError("TypeError") { try view.setItem(0, 65) }
            try view.callMethod("release")
        }
        // Empty memory has no address; still a valid (empty) view.
        let empty = try python.memoryView(readOnly: UnsafeRawBufferPointer(start: nil, count: 0))
        XCTAssertEqual(try empty.count(), 0)
    }

    func testBufferProtocolIntoSwift() throws {
        let python = try requirePython()
        let bytes = try python.evaluate("b'\\x00\\x01\\xfe\\xff'")
        try bytes.withBuffer { raw, format, shape in
            XCTAssertEqual(Array(raw), [0, 1, 254, 255])
            XCTAssertEqual(format, "B")
            XCTAssertEqual(shape, [4])
        }
        // bytes are read-only: asking to write is a BufferError.
        assertPythonError("BufferError") { try bytes.withMutableBuffer { _, _, _ in } }

        let array = try python.evaluate("bytearray(b'abc')")
        try array.withMutableBuffer { raw, _, _ in raw[0] = UInt8(ascii: "X") }
        XCTAssertEqual(array.description, "bytearray(b'Xbc')")
        // While exported, a bytearray cannot move its memory.
        try array.withBuffer { _, _, _ in
            _ = assertPythonError("BufferError") { try array.callMethod("extend", [PythonBytes([1, 2, 3])]) }
        }
        try array.callMethod("extend", [PythonBytes([100])])   // released afterwards
        XCTAssertEqual(try array.toBytes(), Array("Xbcd".utf8))

        // Typed, shaped memory: a memoryview cast to 2 x 3 doubles.
        let doubles = try python.evaluate("memoryview(bytearray(48)).cast('d', (2, 3))")
        try doubles.withMutableBuffer { raw, format, shape in
            XCTAssertEqual(format, "d")
            XCTAssertEqual(shape, [2, 3])
            raw.bindMemory(to: Double.self)[5] = 2.5
        }
        XCTAssertEqual(try doubles.callMethod("tolist").description, "[[0.0, 0.0, 0.0], [0.0, 0.0, 2.5]]")

        // A strided view is refused rather than misread.
        let strided = try python.evaluate("memoryview(bytearray(16)).cast('i')[::2]")
        assertPythonError("BufferError") { try strided.withBuffer { _, _, _ in XCTFail("ran") } }

        // Objects without a buffer: an error, and the closure never runs.
        assertPythonError("TypeError") { try python.evaluate("42").withBuffer { _, _, _ in XCTFail("ran") } }
        // An error thrown by the closure still releases the buffer.
        struct Stop: Error {}
        XCTAssertThrowsError(try array.withBuffer { _, _, _ in throw Stop() })
        try array.callMethod("append", [1])
    }

    func testNumpyArraysWithoutCopying() throws {
        let (python, numpy) = try requireNumpy()
        let matrix = try numpy.callMethod("arange", [6], kwargs: [("dtype", "float32")]).callMethod("reshape", [2, 3])
        try matrix.withMutableBuffer { raw, format, shape in
            XCTAssertEqual(format, "f")
            XCTAssertEqual(shape, [2, 3])
            let floats = raw.bindMemory(to: Float.self)
            XCTAssertEqual(Array(floats), [0, 1, 2, 3, 4, 5])
            floats[4] = 40
        }
        XCTAssertEqual(try matrix.item(PythonTuple(1, 1)).toDouble(), 40)
        // Not C-contiguous: refused rather than misread.
        let transposed = try matrix.attribute("T")
        assertPythonError("ValueError") { try transposed.withBuffer { _, _, _ in } }
        // A 0-d array: no axes.
        try numpy.callMethod("array", [1.5]).withBuffer { raw, format, shape in
            XCTAssertEqual(shape, [])
            XCTAssertEqual(format, "d")
            XCTAssertEqual(raw.load(as: Double.self), 1.5)
        }
        _ = python
    }

    func testTorchFrombufferSharesSwiftMemory() throws {
        let (python, torch) = try requireTorch()
        let count = 1024
        let storage = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { storage.deallocate() }
        for index in 0..<count { storage[index] = Float(index) }

        // Everything that touches `storage` is dropped before the defer frees it.
        try {
            let view = try python.memoryView(UnsafeMutableRawBufferPointer(storage))
            let tensor = try torch.callMethod("frombuffer", [view], kwargs: [("dtype", try torch.attribute("float32"))])
            XCTAssertEqual(try tensor.callMethod("data_ptr").toInt(), Int(bitPattern: storage.baseAddress))
            XCTAssertEqual(try tensor.callMethod("numel").toInt(), count)
            XCTAssertEqual(try tensor.item(10).callMethod("item").toDouble(), 10)

            // Swift writes; torch sees it without a copy.
            storage[10] = -1
            XCTAssertEqual(try tensor.item(10).callMethod("item").toDouble(), -1)
            let sum = try tensor.callMethod("sum").callMethod("item").toDouble()
            XCTAssertEqual(sum, Double((0..<count).reduce(0, +)) - 11)

            // torch writes in place; Swift sees it.
            try tensor.callMethod("mul_", [2])
            XCTAssertEqual(storage[3], 6)
            XCTAssertEqual(storage[10], -2)
        }()

        // And back: a tensor's memory read from Swift through numpy's buffer, no copy.
        let tensor = try torch.callMethod("arange", [12], kwargs: [("dtype", try torch.attribute("float64"))])
            .callMethod("reshape", [3, 4])
        let address = try tensor.callMethod("data_ptr").toInt()
        try tensor.callMethod("numpy").withMutableBuffer { raw, format, shape in
            XCTAssertEqual(Int(bitPattern: raw.baseAddress), address)
            XCTAssertEqual(format, "d")
            XCTAssertEqual(shape, [3, 4])
            raw.bindMemory(to: Double.self)[11] = 1000
        }
        XCTAssertEqual(try tensor.item(PythonTuple(2, 3)).callMethod("item").toDouble(), 1000)
    }
}
