import Foundation
import MinoPython
import XCTest

/// Many Swift threads in Python at once: each call takes the GIL, and
/// dropping a reference on any thread decrefs under it.
final class PythonConcurrencyTests: XCTestCase {
    /// Runs `body(thread)` on `count` fresh threads (not a pool: each is a
    /// new OS thread, so each has its own, new, Python thread state) and
    /// waits for all of them.
    private func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                body(index)
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        group.wait()
    }

    func testEightThreadsCallingPython() throws {
        let python = try requirePython()
        let globals = try python.run("""
            import threading
            calls = 0
            lock = threading.Lock()
            def affine(x, *, scale=2):
                global calls
                with lock:
                    calls += 1
                return x * scale + 1
            """)
        let affine = try globals.item("affine")
        let iterations = 2_000
        let failures = Failures()
        let keptBefore = PythonInterpreter.threadsWithPythonState

        onThreads(8) { thread in
            for i in 0..<iterations {
                do {
                    let x = thread * 1_000_000 + i
                    let input = try x.pythonObject()                      // create an int
                    let output = try affine.call([input], kwargs: [("scale", 3)])
                    let value = try output.toInt()
                    if value != x * 3 + 1 { failures.add("thread \(thread): affine(\(x)) = \(value)") }
                    let text = try "t\(thread)-\(i)".pythonObject().callMethod("upper").toString()
                    if text != "T\(thread)-\(i)" { failures.add("thread \(thread): upper gave \(text)") }
                    if i % 250 == 0 {
                        // An exception on this thread stays on this thread.
                        do {
                            _ = try python.evaluate("1 / 0")
                            failures.add("thread \(thread): no ZeroDivisionError")
                        } catch let error as PythonError where error.typeName == "ZeroDivisionError" {
                        }
                    }
                } catch {
                    failures.add("thread \(thread), iteration \(i): \(error)")
                }
            }
        }
        XCTAssertEqual(failures.all, [])
        XCTAssertEqual(try globals.item("calls").toInt(), 8 * iterations)
        // Each thread kept a Python thread state while it ran and gave it
        // back when it exited (the pthread-key destructor runs just after
        // the thread's body, so allow it a moment).
        let deadline = Date().addingTimeInterval(5)
        while PythonInterpreter.threadsWithPythonState > keptBefore && Date() < deadline { usleep(1_000) }
        XCTAssertEqual(PythonInterpreter.threadsWithPythonState, keptBefore)
    }

    func testShortLivedThreadsLeaveNoThreadStates() throws {
        let python = try requirePython()
        let keptBefore = PythonInterpreter.threadsWithPythonState
        let square = try python.evaluate("lambda x: x * x")
        let failures = Failures()
        for round in 0..<25 {
            onThreads(8) { thread in
                do {
                    let value = try square.call([round * 8 + thread]).toInt()
                    if value != (round * 8 + thread) * (round * 8 + thread) { failures.add("wrong square \(value)") }
                } catch {
                    failures.add("\(error)")
                }
            }
        }
        XCTAssertEqual(failures.all, [])
        let deadline = Date().addingTimeInterval(5)
        while PythonInterpreter.threadsWithPythonState > keptBefore && Date() < deadline { usleep(1_000) }
        XCTAssertEqual(PythonInterpreter.threadsWithPythonState, keptBefore)
    }

    func testReferencesDroppedOnOtherThreads() throws {
        let python = try requirePython()
        let globals = try python.run("""
            class Tracked:
                alive = 0
                def __init__(self):
                    Tracked.alive += 1
                def __del__(self):
                    Tracked.alive -= 1
            """)
        let tracked = try globals.item("Tracked")
        // Made on this thread, released on eight others.
        let handoff = Handoff(try (0..<8).map { _ in try (0..<500).map { _ in try tracked.call() } })
        XCTAssertEqual(try tracked.attribute("alive").toInt(), 4_000)
        onThreads(8) { thread in handoff.drop(thread) }
        XCTAssertEqual(try tracked.attribute("alive").toInt(), 0)

        // Made on eight threads, released on this one.
        let made = Handoff(Array(repeating: [PythonObject](), count: 8))
        onThreads(8) { thread in
            if let objects = try? (0..<500).map({ _ in try tracked.call() }) { made.put(thread, objects) }
        }
        XCTAssertEqual(try tracked.attribute("alive").toInt(), 4_000)
        for thread in 0..<8 { made.drop(thread) }
        XCTAssertEqual(try tracked.attribute("alive").toInt(), 0)
    }

    func testPythonThreadsRunWhileSwiftWaits() throws {
        // The GIL is not held between calls, so a Python thread started by
        // one call keeps running while Swift does other things.
        let python = try requirePython()
        let globals = try python.run("""
            import threading, time
            done = threading.Event()
            def work():
                time.sleep(0.05)
                done.set()
            threading.Thread(target=work).start()
            """)
        let done = try globals.item("done")
        let deadline = Date().addingTimeInterval(10)
        while !(try done.callMethod("is_set").toBool()) && Date() < deadline {
            usleep(10_000)                 // Swift waits without the GIL
        }
        XCTAssertTrue(try done.callMethod("is_set").toBool())
    }
}

private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.lock(); if items.count < 20 { items.append(item) }; lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

private final class Handoff: @unchecked Sendable {
    private let lock = NSLock()
    private var batches: [[PythonObject]]
    init(_ batches: [[PythonObject]]) { self.batches = batches }
    func put(_ index: Int, _ objects: [PythonObject]) { lock.lock(); batches[index] = objects; lock.unlock() }
    /// Releases batch `index` on the calling thread.
    func drop(_ index: Int) {
        lock.lock()
        let batch = batches[index]
        batches[index] = []
        lock.unlock()
        _ = batch        // the last references go when this returns
    }
}
