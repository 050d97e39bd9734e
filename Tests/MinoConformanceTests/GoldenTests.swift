import Foundation
import MinoConformance
import MinoCore
import XCTest

/// The committed PyTorch golden values: complete, current, and reproducible.
final class GoldenTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func golden() throws -> GoldenData {
        try GoldenData(contentsOf: GoldenData.defaultURL)
    }

    /// Every sample of every registered op, in both float dtypes, has PyTorch's
    /// values recorded for exactly the sample the suite derives today. A newly
    /// registered op (or a changed sampler) fails here until `Conformance/golden.sh` runs.
    func testEveryRegisteredOpHasGoldenValues() throws {
        let golden = try golden()
        let samples = SampleExport.samples()
        var missing: [String] = []
        for sample in samples {
            if case .missing(let why) = golden.lookup(sample) { missing.append("\(sample.key): \(why)") }
        }
        XCTAssertEqual(missing, [], "regenerate with Conformance/golden.sh")
        XCTAssertEqual(golden.keys, Set(samples.map(\.key)), "the golden file holds samples the suite no longer has")
        let ops = Set(samples.map(\.op.name))
        XCTAssertEqual(ops, Set(OpRegistry.shared.all.map(\.name)))
        XCTAssertTrue(golden.generator.hasPrefix("torch "), golden.generator)
    }

    /// A changed sample (here: one input value) no longer matches its fingerprint.
    func testAChangedSampleIsStale() throws {
        let golden = try golden()
        guard let sample = SampleInputs.samples(for: Ops.add, dtype: .float32).first else { return XCTFail("no sample") }
        guard case .found = golden.lookup(sample) else { return XCTFail("add has no golden entry") }
        var values = sample.inputs[0].doubles
        values[0] += 1
        var inputs = sample.inputs
        inputs[0] = try HostArray(doubles: values, shape: sample.inputs[0].shape, dtype: .float32)
        let changed = OpSample(op: sample.op, label: sample.label, inputs: inputs, attributes: sample.attributes)
        guard case .missing(let why) = golden.lookup(changed) else { return XCTFail("a changed sample was accepted") }
        XCTAssertTrue(why.contains("changed"), why)
    }

    /// A corrupt golden file fails the golden checks (with the reason) instead of stopping anything.
    func testACorruptGoldenFileFailsTheGoldenChecks() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).safetensors")
        try Data([1, 2, 3]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let report = ConformanceSuite(backend: MinoReferenceFactory.make(), modelCases: [], goldenURL: url).run(filter: "relu")
        XCTAssertEqual(Set(report.failures.map(\.check)), [.golden, .goldenGradient])
        XCTAssertTrue(report.failures.allSatisfy { $0.message.contains("truncated") }, report.failureDescription)
    }

    /// Running the generator again on the samples the suite exports reproduces
    /// the committed file (byte for byte with the same torch; value for value otherwise).
    func testTheGeneratorReproducesTheCommittedFile() throws {
        let environment = ProcessInfo.processInfo.environment
        let python = environment["MINO_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? Self.root.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw XCTSkip("no Python environment with torch (set MINO_PYTHON or run scripts/setup.sh --python); "
                          + "the golden file was not regenerated")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mino-golden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let samples = folder.appendingPathComponent("samples.safetensors")
        _ = try SampleExport.write(to: samples)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.root.appendingPathComponent("Conformance/generate_golden.py").path,
                             "--samples", samples.path, "--check", GoldenData.defaultURL.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if output.contains("No module named 'torch'") || output.contains("No module named 'numpy'") {
            throw XCTSkip("\(python) has no torch: \(output)")
        }
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("is reproduced"), output)
    }
}
