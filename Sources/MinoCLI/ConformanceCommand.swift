import ArgumentParser
import Foundation
import Mino
import MinoConformance

/// `mino conformance`: runs the shared conformance suite against one backend.
struct ConformanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conformance",
        abstract: "Check a backend against the reference backend, PyTorch's golden values and finite differences.",
        discussion: """
            Prints one line per op, check and dtype (op, check, dtype, result, largest error, samples) \
            and ends with "N passed, N failed" (", N skipped" when some were). Exits non-zero on any failure.
            """)

    @OptionGroup var backendOptions: BackendOptions

    @Option(name: .long, help: "Keep only the checks whose op or check name contains TEXT.")
    var filter: String?

    @Flag(name: .long, help: "List the checks without running them.")
    var list = false

    @Flag(name: .long, help: "One line per check instead of one per op, check and dtype.")
    var verbose = false

    @Option(name: .long, help: "The golden file (default: MINO_GOLDEN, else Conformance/Golden/golden.safetensors).")
    var golden: String?

    @Option(name: .long, help: "Write every sample for Conformance/generate_golden.py to PATH, and stop.")
    var exportSamples: String?

    func run() throws {
        if let path = exportSamples {
            let count = try SampleExport.write(to: URL(fileURLWithPath: path))
            print("wrote \(count) samples to \(path)")
            return
        }
        let target = try backendOptions.apply()
        let goldenURL = golden.map { URL(fileURLWithPath: $0) } ?? GoldenData.defaultURL
        let suite = ConformanceSuite(backend: target, goldenURL: goldenURL)
        if list {
            let cases = suite.cases(filter: filter)
            for c in cases { print(c) }
            print("\(cases.count) checks")
            return
        }
        let report = suite.run(filter: filter)
        print("conformance of backend '\(target.name)'" + (suite.golden.map { " (golden: \($0.generator))" } ?? ""))
        print(report.table(verbose: verbose))
        if report.failed > 0 { throw ExitCode.failure }
    }
}
