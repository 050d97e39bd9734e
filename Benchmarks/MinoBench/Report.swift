import Foundation

/// One comparison: Mino's figure, its peer's, and the ratio oriented so that
/// above 1 means Mino is better (faster, or less memory).
struct Record: Codable {
    var name: String
    var mino: Double?
    var peer: Double?
    var unit: String
    var ratio: Double?
    /// What is compared with what, e.g. `blas vs raw cblas_sgemm`.
    var comparison: String
    var threads: Int
    /// The ratio the issue asks for, when it sets one.
    var target: Double?
    /// Whether `ratio ≥ target`.
    var met: Bool?
    /// Why a figure is missing (torch not installed, a run failed).
    var note: String?
    /// The BLAS library the blas figure ran on (`openblas`, `mkl`), for blas rows.
    var provider: String?
    /// GFLOP/s rows: Mino's figure over the machine's FMA peak for its thread count
    /// (float32: the measured single-precision peak per thread × threads; float64: half that).
    var peakFraction: Double?

    /// Units where a smaller figure is better.
    static let lowerIsBetter: Set<String> = ["MB", "us"]

    init(name: String, mino: Double?, peer: Double?, unit: String, comparison: String, threads: Int,
         target: Double? = nil, note: String? = nil, provider: String? = nil, peakFraction: Double? = nil) {
        self.name = name
        self.provider = provider
        self.peakFraction = peakFraction
        self.mino = mino
        self.peer = peer
        self.unit = unit
        self.comparison = comparison
        self.threads = threads
        self.target = target
        self.note = note
        if let mino, let peer, mino > 0, peer > 0 {
            ratio = Record.lowerIsBetter.contains(unit) ? peer / mino : mino / peer
        }
        if let ratio, let target { met = ratio >= target }
    }
}

/// Prints records as a table and writes them as JSON.
enum Report {
    /// `name (1 thread)`, `name (2 threads)`.
    static func named(_ name: String, threads: Int) -> String {
        "\(name) (\(threads) thread\(threads == 1 ? "" : "s"))"
    }

    /// Marks comparisons whose peer ran worse with several threads than with one by more
    /// than half (on a machine with as many cores as threads, shared with other work,
    /// OpenMP threads wait at barriers for a core): the ratio then says nothing about
    /// Mino, so it keeps its figures but counts toward no target.
    static func flagUnstablePeers(_ records: [Record]) -> [Record] {
        func key(_ r: Record) -> String {
            r.name.components(separatedBy: " (").first ?? r.name
        }
        var single: [String: Double] = [:]
        for r in records where r.threads == 1 { single[key(r)] = r.peer }
        return records.map { r in
            guard r.threads > 1, let peer = r.peer, let one = single[key(r)], one > 0 else { return r }
            let lower = Record.lowerIsBetter.contains(r.unit)
            let worse = lower ? peer > 2 * one : peer < one / 2
            guard worse else { return r }
            var flagged = r
            flagged.met = nil
            flagged.note = "peer at \(r.threads) threads is over 2x worse than at 1 thread; not counted"
            return flagged
        }
    }

    static func format(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        if value >= 1000 { return String(format: "%.0f", value) }
        if value >= 100 { return String(format: "%.1f", value) }
        if value >= 10 { return String(format: "%.2f", value) }
        return String(format: "%.3f", value)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let count = text.count
        guard count < width else { return text }
        let space = String(repeating: " ", count: width - count)
        return right ? space + text : text + space
    }

    static func table(_ records: [Record]) -> String {
        let nameWidth = Swift.min(Swift.max(records.map(\.name.count).max() ?? 10, 10), 56)
        var lines: [String] = []
        lines.append(pad("benchmark", nameWidth) + "  " + pad("mino", 10, right: true) + "  " + pad("peer", 10, right: true)
                     + "  " + pad("unit", 8) + "  " + pad("ratio", 7, right: true) + "  target")
        lines.append(String(repeating: "-", count: nameWidth + 56))
        for r in records {
            var targetText = ""
            if let target = r.target {
                targetText = "≥ \(format(target))" + (r.met == true ? "  ok" : (r.met == false ? "  MISSED" : ""))
            }
            var line = pad(r.name, nameWidth) + "  " + pad(format(r.mino), 10, right: true) + "  "
                + pad(format(r.peer), 10, right: true) + "  " + pad(r.unit, 8) + "  "
                + pad(r.ratio.map { format($0) + "×" } ?? "—", 7, right: true) + "  " + targetText
            if let fraction = r.peakFraction { line += "  [\(String(format: "%.2f", fraction)) of FMA peak]" }
            if let note = r.note { line += "  (\(note))" }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// Writes the records as a JSON array, one object per comparison.
    static func writeJSON(_ records: [Record], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(records).write(to: url, options: .atomic)
    }
}
