import Foundation
import MinoCore
import MinoData

/// The digits data set (8×8 images of handwritten digits, 10 classes) that
/// Mino ships: the same set scikit-learn's `load_digits` returns.
public enum Digits {
    public static let featureCount = 64
    public static let classCount = 10
    /// The split of the pytensor seed: 1,347 for training, 450 for testing.
    public static let trainCount = 1347

    /// Loads the shipped file (or `url`), pixels scaled from 0–16 to [0, 1].
    ///
    /// - Throws: ``MinoError`` `.io` naming the file and line of anything malformed.
    public static func load(from url: URL? = nil) throws -> Dataset {
        guard let source = url ?? ShippedData.digitsURL else {
            throw MinoError(.io, "digits: the shipped data file is missing from the package resources")
        }
        let text: String
        do {
            text = try String(contentsOf: source, encoding: .utf8)
        } catch {
            throw MinoError(.io, "digits: cannot read \(source.path): \(error.localizedDescription)")
        }
        return try parse(text, name: source.lastPathComponent)
    }

    /// Parses CSV rows of 64 pixel values (0–16) and a label (0–9).
    public static func parse(_ text: String, name: String = "<digits>") throws -> Dataset {
        var pixels: [Float] = []
        var labels: [Int64] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let row = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if row.isEmpty { continue }
            let fields = row.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == featureCount + 1 else {
                throw MinoError(.io, "\(name):\(number + 1): expected \(featureCount + 1) comma-separated values, "
                                + "found \(fields.count)")
            }
            for (column, field) in fields.enumerated() {
                guard let value = Int(field.trimmingCharacters(in: .whitespaces)) else {
                    throw MinoError(.io, "\(name):\(number + 1): value \(column + 1) '\(field)' is not an integer")
                }
                if column < featureCount {
                    guard (0...16).contains(value) else {
                        throw MinoError(.io, "\(name):\(number + 1): pixel \(column + 1) is \(value), outside 0–16")
                    }
                    pixels.append(Float(value) / 16)
                } else {
                    guard (0..<classCount).contains(value) else {
                        throw MinoError(.io, "\(name):\(number + 1): label \(value) is outside 0–9")
                    }
                    labels.append(Int64(value))
                }
            }
        }
        guard !labels.isEmpty else { throw MinoError(.io, "\(name): no examples") }
        return try Dataset(features: HostArray(pixels, shape: [labels.count, featureCount]), labels: labels)
    }
}
