import Foundation
import Mino
import MinoPython
@testable import MinoTorch
import XCTest

/// The character-level LSTM language model trained by Mino and by PyTorch
/// (`Examples/char_lstm_torch.py`, run through the torch backend's interpreter)
/// from the same initial weights, data and schedule: the validation
/// perplexities agree within 3% (in practice to float32 rounding).
final class CharLanguageModelTests: XCTestCase {
    func testValidationPerplexityMatchesPyTorch() throws {
        let torch = try requireTorchBackend()
        let corpus = try CharCorpus.shipped()
        var settings = CharLanguageModelTraining.Settings()
        settings.steps = 30
        let mino = try CharLanguageModelTraining.train(corpus, settings, on: BLASBackend())

        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let script = try String(contentsOf: root.appendingPathComponent("Examples/char_lstm_torch.py"), encoding: .utf8)
        let text = try String(contentsOf: root.appendingPathComponent("data/gettysburg-declaration.txt"), encoding: .utf8)
        let globals = try torch.python.makeGlobals()
        try globals.setItem("__name__", "char_lstm_torch")
        try torch.python.run(script, globals: globals)
        var initial: [String: [Double]] = [:]
        for (name, values) in mino.initial { initial[name] = values }
        let theirs = try globals.item("train").call([text, initial, settings.steps]).toDouble()
        XCTAssertEqual(mino.perplexity, theirs, accuracy: 0.03 * theirs, "Mino \(mino.perplexity), PyTorch \(theirs)")
        XCTAssertLessThan(mino.perplexity, Double(corpus.vocabulary.count), "training lowered the perplexity")
    }
}
