import XCTest
@testable import MinoLisp

/// Every threading example printed in the seeds (HyTorch README, MinoTauro docs), with the
/// exact printed output.
final class SeedThreadingTests: XCTestCase {
    // seeds/000: HyTorch README, "S-Expression Threading".
    func testHyTorchReadmeHeadBroadcast() throws {
        XCTAssertEqual(
            try expandAll("(*-> [input1 input2] tfun.matmul (tfun.add bias) [tfun.sigmoid tfun.relu])"),
            "[(tfun.sigmoid (tfun.add (tfun.matmul input1 input2) bias)) (tfun.relu (tfun.add (tfun.matmul input1 input2) bias))]")
    }

    func testHyTorchReadmeTailBroadcast() throws {
        XCTAssertEqual(
            try expandAll("(*->> [input1 input2] tfun.matmul (tf.add bias) [tfun.sigmoid tfun.relu])"),
            "[(tfun.sigmoid (tf.add bias (tfun.matmul input1 input2))) (tfun.relu (tf.add bias (tfun.matmul input1 input2)))]")
    }

    func testHyTorchReadmeHeadInline() throws {
        XCTAssertEqual(
            try expandAll("(|-> [input1 input2] [(tfun.linear w1 b1) (tf.linear w2 b2)] tfun.sigmoid)"),
            "[(tfun.sigmoid (tfun.linear input1 w1 b1)) (tfun.sigmoid (tf.linear input2 w2 b2))]")
    }

    func testHyTorchReadmeTailInline() throws {
        XCTAssertEqual(
            try expandAll("(|->> [input1 input2] [(tfun.linear w1 b1) (tf.linear w2 b2)] tfun.sigmoid)"),
            "[(tfun.sigmoid (tfun.linear w1 b1 input1)) (tfun.sigmoid (tf.linear w2 b2 input2))]")
    }

    /// The README prints `(macroexpand ...)`, which expands the head form only: one step
    /// already gives the printed output because branches are threaded at once.
    func testHyTorchReadmeExamplesInOneStep() throws {
        XCTAssertEqual(
            try expandOnce("(*-> [input1 input2] tfun.matmul (tfun.add bias) [tfun.sigmoid tfun.relu])"),
            "[(tfun.sigmoid (tfun.add (tfun.matmul input1 input2) bias)) (tfun.relu (tfun.add (tfun.matmul input1 input2) bias))]")
        XCTAssertEqual(
            try expandOnce("(|->> [input1 input2] [(tfun.linear w1 b1) (tf.linear w2 b2)] tfun.sigmoid)"),
            "[(tfun.sigmoid (tfun.linear w1 b1 input1)) (tfun.sigmoid (tf.linear w2 b2 input2))]")
    }

    /// The README's network, `nn-def`, as the HyTorch notebook expands it (reference §4.3).
    func testHyTorchNetworkDefinition() throws {
        XCTAssertEqual(
            try expandAll("""
                (-> W_0
                    (tfun.linear W_1 W_2)
                    tfun.sigmoid
                    (tfun.linear W_3 W_4)
                    tfun.sigmoid)
                """),
            "(tfun.sigmoid (tfun.linear (tfun.sigmoid (tfun.linear W_0 W_1 W_2)) W_3 W_4))")
    }

    // seeds/001: MinoTauro docs. The `λ:` lines print the macroexpanded bodies.
    func testMinoTauroLinearTransformationBody() throws {
        XCTAssertEqual(try expandAll("(-> x (@ weights) (+ bias))"), "(+ (@ x weights) bias)")
        XCTAssertEqual(try expandAll("(-> x (@ w) (+ b))"), "(+ (@ x w) b)")
    }

    func testMinoTauroFeedForwardBody() throws {
        XCTAssertEqual(
            try expandAll("""
                (-> x
                    linear-to-hidden
                    torch.sigmoid
                    linear-to-output)
                """),
            "(linear-to-output (torch.sigmoid (linear-to-hidden x)))")
    }

    /// The docs' parameter constructors and spec predicates thread the same way.
    func testMinoTauroDocsOtherThreads() throws {
        XCTAssertEqual(
            try expandAll("""
                (-> (torch.empty (, f-in f-out))
                    (.normal_ :mean 0 :std 1.0)
                    (nn.Parameter :requires_grad True))
                """),
            "(nn.Parameter (.normal_ (torch.empty (, f-in f-out)) :mean 0 :std 1.0) :requires_grad True)")
        XCTAssertEqual(try expandAll("(fn [x] (-> x .size len (= 2)))"), "(fn [x] (= (len (.size x)) 2))")
    }

    /// The defmu body from the docs expands inside the whole definition.
    func testMinoTauroDefmuExpandsInPlace() throws {
        XCTAssertEqual(
            try expandAll("(defmu LinearTransformation [x weights bias] (-> x (@ weights) (+ bias)))"),
            "(defmu LinearTransformation [x weights bias] (+ (@ x weights) bias))")
    }
}
