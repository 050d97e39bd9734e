import Foundation
import MinoConformance
import MinoConformanceTesting
import MinoCore
import MinoReference
import XCTest

/// The whole suite against the reference backend: no failures, and a count
/// that covers every registered op in both float dtypes.
final class ReferenceConformanceTests: XCTestCase {
    /// One run shared by the tests of this class.
    static let report: ConformanceReport = ConformanceSuite(backend: ReferenceBackend()).run()

    func testReferenceBackendConforms() {
        let report = XCTAssertConforms(ReferenceBackend())
        XCTAssertEqual(report.failed, 0)
        XCTAssertEqual(report.skipped, 0, "nothing is skipped when the golden file is present:\n"
                       + report.results.filter { $0.outcome == .skip }.prefix(5).map(\.description).joined(separator: "\n"))
    }

    func testEveryRegisteredOpIsCheckedInBothFloatDTypes() {
        let report = Self.report
        for op in OpRegistry.shared.all {
            for dtype in [DType.float32, .float64] {
                let rows = report.results.filter { $0.op == op.name && $0.dtype == dtype }
                let checks = Set(rows.map(\.check))
                XCTAssertTrue(checks.isSuperset(of: [.forward, .golden, .error]), "\(op.name) \(dtype): \(checks)")
                let differentiable = SampleInputs.samples(for: op, dtype: dtype).contains { !$0.gradientInputs.isEmpty }
                if differentiable {
                    XCTAssertTrue(checks.isSuperset(of: [.gradient, .goldenGradient]), "\(op.name) \(dtype): \(checks)")
                    if dtype == .float64 && op.name != "cast" {
                        XCTAssertTrue(checks.contains(.finiteDifference), "\(op.name): no finite differences")
                    }
                }
                XCTAssertTrue(rows.allSatisfy { $0.outcome == .pass }, "\(op.name) \(dtype)")
            }
        }
        XCTAssertEqual(report.coveredOps.isSuperset(of: OpRegistry.shared.all.map(\.name)), true)
        XCTAssertGreaterThan(report.passed, 3000)
    }

    func testSummaryLineAndTable() {
        let report = Self.report
        let table = report.table()
        let last = table.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertEqual(last, report.summary)
        XCTAssertNotNil(last.range(of: #"^\d+ passed, \d+ failed(, \d+ skipped)?$"#, options: .regularExpression), last)
        XCTAssertTrue(table.hasPrefix("op"))
        XCTAssertTrue(table.contains("sigmoid"))
        XCTAssertEqual(report.table(verbose: true).split(separator: "\n").count, report.results.count + 2)
    }

    func testFilterAndList() {
        let suite = ConformanceSuite(backend: ReferenceBackend())
        let report = suite.run(filter: "softmax")
        XCTAssertEqual(Set(report.results.map(\.op)), ["softmax", "logSoftmax"])
        XCTAssertEqual(suite.cases(filter: "softmax").count, report.results.count)
        let golden = suite.run(filter: "golden")
        XCTAssertEqual(Set(golden.results.map(\.check)), [.golden, .goldenGradient])
        XCTAssertEqual(suite.cases().count, Self.report.results.count, "--list lists exactly what runs")
    }

    /// A composite registered by a user is covered without editing the suite
    /// (and fails its golden checks until the golden file is regenerated).
    func testANewOpIsCoveredWithoutEditingTheSuite() throws {
        let softplus = OpDefinition(
            composite: "softplusForTest", summary: "log(1 + eˣ)",
            signature: OpSignature(inputs: [.value], dtypes: .floating), torch: .unary("F.softplus"),
            shapeRule: { specs, _ in specs[0] },
            implementation: { x, _ in try (x[0].exp() + 1).log() },
            derivative: { c in [try c.upstream * c.inputs[0].sigmoid()] })
        let report = ConformanceSuite(backend: ReferenceBackend(), ops: [softplus], modelCases: []).run()
        let checks = Set(report.results.map(\.check))
        XCTAssertEqual(checks, [.forward, .gradient, .finiteDifference, .golden, .goldenGradient, .error])
        let failing = Set(report.failures.map(\.check))
        XCTAssertEqual(failing, [.golden, .goldenGradient], report.failureDescription)
        XCTAssertTrue(report.failures.allSatisfy { $0.message.contains("regenerate") })
    }

    /// `mino conformance --backend reference` ends in "N passed, 0 failed" and exits 0.
    func testCommandLine() throws {
        // The test bundle lies in the build folder (on Linux, Bundle(for:) is that folder itself).
        let folder = Bundle(for: Self.self).bundleURL
        let candidates = [folder, folder.deletingLastPathComponent()].map { $0.appendingPathComponent("mino") }
        guard let binary = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("the mino executable is not built beside the tests (\(folder.path))")
        }
        func run(_ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        let (status, output) = try run(["conformance", "--backend", "reference"])
        XCTAssertEqual(status, 0)
        let last = output.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertEqual(last, Self.report.summary)
        let (listStatus, listing) = try run(["conformance", "--list", "--filter", "sigmoid"])
        XCTAssertEqual(listStatus, 0)
        XCTAssertTrue(listing.contains("sigmoid  forward  float32"))
        let (badStatus, _) = try run(["conformance", "--backend", "no-such-backend"])
        XCTAssertNotEqual(badStatus, 0)
    }
}
