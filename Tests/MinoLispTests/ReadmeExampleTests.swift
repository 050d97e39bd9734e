import XCTest
import MinoLisp

/// The README's Lisp example, as written there.
final class ReadmeExampleTests: XCTestCase {
    func testReadmeRewriteExample() throws {
        let model = try Reader.readOne("(-> W_0 (tfun.linear W_1 W_2) tfun.sigmoid (tfun.linear W_3 W_4) tfun.sigmoid)")
        let expanded = try macroexpandAll(model)
        let relu = try replace(Pattern(parsing: "(tfun.sigmoid ?x)"), with: Reader.readOne("(tfun.relu ?x)"), in: expanded)
        XCTAssertEqual(relu.description, "(tfun.relu (tfun.linear (tfun.relu (tfun.linear W_0 W_1 W_2)) W_3 W_4))")
    }
}
