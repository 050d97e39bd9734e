import Foundation
import MinoCore

/// The result of one check.
public enum Outcome: String, Sendable {
    case pass, fail, skip
}

/// One row of a conformance run: one check of one sample of one op in one dtype.
public struct ConformanceResult: CustomStringConvertible {
    /// The op's canonical name, or the name of a whole-model case.
    public let op: String
    public let check: CheckKind
    public let dtype: DType?
    /// The sample's label (`[3 4] [4]`, `[3 4] {axes: [1]}, input 1 strided`).
    public let sample: String
    public internal(set) var outcome: Outcome
    /// The largest |actual − expected| seen (nil where nothing numeric was compared).
    public let largestError: Double?
    /// Why it failed or was skipped; empty when it passed.
    public internal(set) var message: String
    /// For a check blocked by another op's broken kernel: how it failed.
    public internal(set) var blockedFailure: String = ""
    /// The backend kernels the check ran (for attributing failures).
    var kernels: Set<String> = []
    /// The kernels the op itself ran forward (forward rows only): what the op owns.
    var ownKernels: Set<String> = []

    public var description: String {
        let d = dtype.map { "\($0)" } ?? "-"
        let e = largestError.map { ConformanceReport.format($0) } ?? "-"
        let detail = blockedFailure.isEmpty ? "" : " (\(blockedFailure))"
        return "\(op) \(check.rawValue) \(d) \(outcome.rawValue) \(e) [\(sample)]\(message.isEmpty ? "" : ": \(message)")\(detail)"
    }
}

/// Everything one run found, with counts and a text table.
public struct ConformanceReport {
    public let backend: String
    public internal(set) var results: [ConformanceResult]
    /// Wall-clock seconds the run took.
    public internal(set) var seconds: Double = 0

    public var passed: Int { results.filter { $0.outcome == .pass }.count }
    public var failed: Int { results.filter { $0.outcome == .fail }.count }
    public var skipped: Int { results.filter { $0.outcome == .skip }.count }

    /// The ops (or model cases) with at least one failing check.
    public var failingOps: Set<String> { Set(results.filter { $0.outcome == .fail }.map(\.op)) }
    /// The ops and model cases the run covered.
    public var coveredOps: Set<String> { Set(results.map(\.op)) }

    public var failures: [ConformanceResult] { results.filter { $0.outcome == .fail } }

    /// `N passed, N failed` (`, N skipped` when some were).
    public var summary: String {
        var line = "\(passed) passed, \(failed) failed"
        if skipped > 0 { line += ", \(skipped) skipped" }
        return line
    }

    /// Every failing row, one per line (for test messages).
    public var failureDescription: String {
        failures.map(\.description).joined(separator: "\n")
    }

    static func format(_ error: Double) -> String {
        if error == 0 { return "0" }
        if error.isInfinite { return "inf" }
        return String(format: "%.2e", error)
    }

    /// The lines under a table line: failures one by one (at most four), skips
    /// once per reason.
    static func notes(_ rows: [ConformanceResult], verbose: Bool) -> [String] {
        if verbose { return rows.map { "    \($0.message)" } }
        var out: [String] = []
        let failures = rows.filter { $0.outcome == .fail }
        out += failures.prefix(4).map { "    fail [\($0.sample)]: \($0.message)" }
        if failures.count > 4 { out.append("    … and \(failures.count - 4) more failures") }
        var reasons: [(String, Int)] = []
        for r in rows where r.outcome == .skip {
            if let i = reasons.firstIndex(where: { $0.0 == r.message }) { reasons[i].1 += 1 } else { reasons.append((r.message, 1)) }
        }
        out += reasons.map { "    skip (\($0.1) sample\($0.1 == 1 ? "" : "s")): \($0.0)" }
        return out
    }

    /// The table: one line per op, check and dtype (`samples` counts the
    /// checks behind it), the failing and skipped samples listed under their
    /// line; every check on its own line when `verbose`. Ends with ``summary``.
    public func table(verbose: Bool = false) -> String {
        var groups: [(key: String, rows: [ConformanceResult])] = []
        var index: [String: Int] = [:]
        for r in results {
            let key = verbose ? "\(groups.count)" : "\(r.op)|\(r.check.rawValue)|\(r.dtype.map { "\($0)" } ?? "-")"
            if let i = index[key] {
                groups[i].rows.append(r)
            } else {
                index[key] = groups.count
                groups.append((key, [r]))
            }
        }
        var lines: [[String]] = [["op", "check", "dtype", "result", "largest error", verbose ? "sample" : "samples"]]
        var notes: [Int: [String]] = [:]
        for (_, rows) in groups {
            let first = rows[0]
            let outcome: Outcome = rows.contains { $0.outcome == .fail } ? .fail
                : rows.allSatisfy { $0.outcome == .skip } ? .skip : .pass
            let errors = rows.compactMap(\.largestError)
            let worst = errors.isEmpty ? "-" : ConformanceReport.format(errors.max() ?? 0)
            let counted = rows.filter { $0.outcome != .skip }.count
            let samples = verbose ? first.sample : "\(rows.filter { $0.outcome == .pass }.count)/\(counted)"
                + (rows.count > counted ? " (\(rows.count - counted) skipped)" : "")
            lines.append([first.op, first.check.rawValue, first.dtype.map { "\($0)" } ?? "-",
                          outcome.rawValue.uppercased(), worst, samples])
            let remarkable = rows.filter { $0.outcome != .pass && !$0.message.isEmpty }
            if !remarkable.isEmpty { notes[lines.count - 1] = ConformanceReport.notes(remarkable, verbose: verbose) }
        }
        var widths = [Int](repeating: 0, count: lines[0].count)
        for line in lines { for (i, cell) in line.enumerated() { widths[i] = Swift.max(widths[i], cell.count) } }
        var out: [String] = []
        for (n, line) in lines.enumerated() {
            let cells = line.enumerated().map { i, cell in
                i == line.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }
            out.append(cells.joined(separator: "  "))
            out += notes[n] ?? []
        }
        out.append(summary)
        return out.joined(separator: "\n")
    }
}
