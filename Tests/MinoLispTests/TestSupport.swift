import XCTest
@testable import MinoLisp

/// The gensym names a fresh expansion context produces, as they print.
let G1 = "_G\u{FFFF}1"
let G2 = "_G\u{FFFF}2"

/// Reads one form from test text.
func read(_ text: String, file: String = "<test>") throws -> Expr {
    try Reader.readOne(text, file: file)
}

/// Full expansion, printed on one line.
func expandAll(_ text: String) throws -> String {
    var context = ExpansionContext()
    return Printer.oneLine(try context.macroexpandAll(try read(text)))
}

/// One expansion step, printed on one line.
func expandOnce(_ text: String) throws -> String {
    var context = ExpansionContext()
    return Printer.oneLine(try context.macroexpand1(try read(text)))
}

/// The `LispError` a closure throws, or a test failure.
func lispError(_ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) -> LispError? {
    do {
        _ = try body()
        XCTFail("expected a LispError, got a value", file: file, line: line)
    } catch let error as LispError {
        return error
    } catch {
        XCTFail("expected a LispError, got \(error)", file: file, line: line)
    }
    return nil
}
