import Foundation

/// Whole-file reads and atomic writes, with failures as ``MinoError`` `.io`
/// naming the path: what checkpoints and data files use.
public enum AtomicFile {
    /// Writes `data` to a temporary file beside `url`, then renames it over
    /// `url`: readers see the old file or the new one, never a part.
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier)"
                                                      + ".\(UInt32.random(in: 0 ... .max)).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            throw MinoError(.io, "\(url.path): cannot write: \(error.localizedDescription)")
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw MinoError(.io, "\(url.path): cannot replace the file: \(reason)")
        }
    }

    /// The bytes of the file at `url`.
    public static func read(_ url: URL) throws -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw MinoError(.io, "\(url.path): cannot read: \(error.localizedDescription)")
        }
    }
}
