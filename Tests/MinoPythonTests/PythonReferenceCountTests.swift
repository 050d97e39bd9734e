import Foundation
import MinoPython
import XCTest

/// Borrowed and new references handled right: making and dropping many
/// objects leaves reference counts, Python's allocator and the process's
/// memory where they were.
final class PythonReferenceCountTests: XCTestCase {
    func testReferenceCountsStayFlat() throws {
        let python = try requirePython()
        let globals = try python.run("""
            import sys
            sentinel = object()
            def identity(x):
                return x
            def refs():
                return sys.getrefcount(sentinel)
            """)
        let refs = try globals.item("refs")
        let identity = try globals.item("identity")
        let before = try refs.call().toInt()

        for _ in 0..<100_000 {
            // A new reference from an item lookup, dropped at once.
            _ = try globals.item("sentinel")
        }
        XCTAssertEqual(try refs.call().toInt(), before)

        let sentinel = try globals.item("sentinel")
        XCTAssertEqual(try refs.call().toInt(), before + 1)
        for _ in 0..<20_000 {
            // Through an argument tuple (PyTuple_SetItem steals) and back.
            let back = try identity.call([sentinel])
            XCTAssertTrue(back.isSame(as: sentinel))
            // Through a list, a tuple, a dict and keyword arguments.
            _ = try PythonList([sentinel, sentinel]).pythonObject()
            _ = try PythonTuple(sentinel).pythonObject()
            _ = try ["k": sentinel].pythonObject()
            _ = try identity.call([], kwargs: [("x", sentinel)])
        }
        XCTAssertEqual(try refs.call().toInt(), before + 1)

        // Errors hold their traceback (and its frames' arguments) until dropped.
        let raiser = try python.run("def fail(x):\n    raise ValueError(x)").item("fail")
        for _ in 0..<2_000 {
            _ = try? raiser.call([sentinel])
        }
        XCTAssertEqual(try refs.call().toInt(), before + 1)
    }

    func testHundredThousandObjectsLeaveNoTrace() throws {
        let python = try requirePython()
        let sys = try python.import("sys")
        let gc = try python.import("gc")
        func blocks() throws -> Int {
            try gc.callMethod("collect")
            return try sys.callMethod("getallocatedblocks").toInt()
        }
        func churn() throws {
            for i in 0..<100_000 {
                let number = try (1_000_000_007 * i).pythonObject()      // not a cached small int
                let text = try "object \(i)".pythonObject()
                let pair = try PythonTuple(number, text).pythonObject()
                _ = try pair.count()
            }
        }
        try churn()                              // warm-up: arenas, caches, Swift runtime
        let blocksBefore = try blocks()
        let rssBefore = residentBytes()
        try churn()
        let blocksAfter = try blocks()
        let rssAfter = residentBytes()

        XCTAssertLessThan(abs(blocksAfter - blocksBefore), 100,
                          "Python allocated blocks \(blocksBefore) -> \(blocksAfter)")
        if let rssBefore, let rssAfter {
            print("RSS around 100,000 objects: \(rssBefore / 1024) KiB -> \(rssAfter / 1024) KiB; "
                  + "Python blocks \(blocksBefore) -> \(blocksAfter)")
            // 100,000 leaked (int, str, tuple) triples would be well over 15 MB.
            XCTAssertLessThan(rssAfter - rssBefore, 4 << 20, "RSS grew by \((rssAfter - rssBefore) / 1024) KiB")
        }
    }
}
