import Foundation
import XCTest
import Mino
import MinoLang

/// Every program in Examples/ runs with `mino run`'s code path on every backend.
final class ExampleProgramTests: XCTestCase {
    func testEveryExampleRunsOnEveryBackend() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: LangTestSupport.examplesDirectory.path)
            .filter { $0.hasSuffix(".mu") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 5)
        for file in files {
            let source = try LangTestSupport.example(file)
            // A PyTorch module inside needs Python with torch (CI always has it).
            if source.contains("(torch-module"), !LangTestSupport.torchAvailable { continue }
            var outputs: [String: String] = [:]
            for name in LangTestSupport.allBackends {
                // The full path, so a program finds the files beside it (`torch-module`'s .py).
                let path = LangTestSupport.examplesDirectory.appendingPathComponent(file).path
                let outcome = ProgramRunner.run(source: source, file: path, backend: try LangTestSupport.backend(name))
                XCTAssertNil(outcome.error, "\(file) on \(name)")
                XCTAssertEqual(outcome.status, 0, "\(file) on \(name)")
                outputs[name] = outcome.output
            }
            // Same seed, same program: every backend prints the same text, except the
            // hex addresses of printed models.
            let normalized = outputs.mapValues { $0.replacingOccurrences(of: #"At: 0x[0-9a-f]+"#, with: "At: 0x…", options: .regularExpression) }
            XCTAssertEqual(Set(normalized.values).count, 1, "\(file): outputs differ across backends")
        }
    }

    /// HyTorch's network: W_0 [10] through two linear+sigmoid layers to W_3 [1 10]: a [1] output.
    func testHyTorchNetworkOutputShapeAndAgreement() throws {
        let source = try LangTestSupport.example("hytorch-network.mu")
        var outputs: [[Float]] = []
        for name in LangTestSupport.allBackends {
            let (interpreter, _) = try LangTestSupport.interpreter(name)
            try interpreter.evaluate(source: source, file: "hytorch-network.mu")
            guard let out = interpreter.globals.value("out")?.tensor else { return XCTFail("no tensor out on \(name)") }
            XCTAssertEqual(out.shape, [1], name)
            outputs.append(try out.floats())
            // The leaf tensors were initialised in place: W_i is L_i.
            XCTAssertTrue(interpreter.globals.value("W_1")?.tensor === interpreter.globals.value("L_1")?.tensor)
        }
        for o in outputs.dropFirst() { XCTAssertEqual(o[0], outputs[0][0], accuracy: 1e-6) }
        XCTAssertGreaterThan(outputs[0][0], 0)
        XCTAssertLessThan(outputs[0][0], 1)
    }

    /// The seed's training program: loss falls over 100 epochs; per-epoch losses agree
    /// across backends within 1e-5 (float32 on different kernels).
    func testFeedForwardTrainingAgreesAcrossBackends() throws {
        let source = try LangTestSupport.example("feed-forward.mu")
        var curves: [String: [Double]] = [:]
        for name in LangTestSupport.allBackends {
            let outcome = ProgramRunner.run(source: source, file: "feed-forward.mu", backend: try LangTestSupport.backend(name))
            XCTAssertNil(outcome.error)
            let losses = outcome.output.components(separatedBy: "\n").compactMap { line -> Double? in
                guard let r = line.range(of: #"Loss: tensor\(([0-9.]+)"#, options: .regularExpression) else { return nil }
                return Double(line[r].dropFirst("Loss: tensor(".count))
            }
            XCTAssertEqual(losses.count, 100, name)
            XCTAssertLessThan(losses.last ?? 1, (losses.first ?? 0) * 0.5, "\(name): loss must fall")
            curves[name] = losses
        }
        let reference = curves["reference"] ?? []
        for (name, curve) in curves {
            for (a, b) in zip(curve, reference) { XCTAssertEqual(a, b, accuracy: 1e-4, name) }
        }
    }
}
