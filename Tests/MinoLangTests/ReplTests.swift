import XCTest
import MinoLang

/// The REPL reads forms across lines, keeps definitions, prints errors and goes on.
final class ReplTests: XCTestCase {
    func testSessionKeepsDefinitionsAndSurvivesErrors() throws {
        let (interpreter, _) = try LangTestSupport.interpreter()
        let session = ReplSession(interpreter: interpreter)
        XCTAssertEqual(session.feed("(defn sq [x]\n").map(\.text), [])
        XCTAssertFalse(session.pending.isEmpty)
        XCTAssertEqual(session.feed("  (* x x))\n").map(\.text), [])
        XCTAssertEqual(session.feed("(sq 7) (+ 1 1)\n").map(\.text), ["49", "2"])
        let error = session.feed("(sq \"a\" 2)\n")
        XCTAssertEqual(error.map(\.isError), [true])
        XCTAssertTrue(error[0].text.hasPrefix("<repl>:4:1: sq() takes 1 positional argument but 2 were given"), error[0].text)
        XCTAssertEqual(session.feed("(sq 3)\n").map(\.text), ["9"])
        XCTAssertEqual(session.feed(")\n").map(\.isError), [true])
        XCTAssertEqual(session.feed("(quit)\n").count, 0)
        XCTAssertTrue(session.quitRequested)
    }

    func testReplCommandReadsStandardInput() throws {
        let binary = try MinoBinary.url()
        let result = try MinoBinary.run(binary, ["repl", "--backend", "reference"],
                                        input: "(setv a 20)\n(+ a\n 22)\n(undefined)\n[a]\n")
        XCTAssertEqual(result.stdout, "42\n[20]\n")
        XCTAssertEqual(result.stderr, "<repl>:4:2: name 'undefined' is not defined\n")
        XCTAssertEqual(result.status, 0)
    }
}
