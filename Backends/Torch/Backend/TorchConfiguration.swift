import Foundation
import MinoCore

/// Where the torch backend keeps its tensors and how many threads torch uses.
///
/// From the Swift API (`TorchConfiguration(device: .cuda(0), threads: 4)`)
/// or the environment (``fromEnvironment(_:)``):
/// - `MINO_TORCH_DEVICE`: `cpu` (the default), `cuda` or `cuda:N`;
/// - `MINO_THREADS`: torch's intra-op thread count (`torch.set_num_threads`);
///   unset keeps torch's default. ``TorchBackend/setThreads(_:)`` (what
///   `mino --threads` calls) overrides it. The count is process-wide in
///   torch: the last backend made with a count sets it.
public struct TorchConfiguration: Equatable, Sendable, CustomStringConvertible {
    /// A torch device.
    public enum Device: Equatable, Sendable, CustomStringConvertible {
        case cpu
        /// `cuda` (nil: torch's current CUDA device) or `cuda:N`.
        case cuda(Int?)

        /// Parses `cpu`, `cuda` or `cuda:N` (case-insensitive, surrounding spaces ignored).
        ///
        /// - Throws: ``MinoError`` `.argument` naming the accepted spellings.
        public init(parsing text: String) throws {
            let name = text.trimmingCharacters(in: .whitespaces).lowercased()
            if name == "cpu" {
                self = .cpu
            } else if name == "cuda" {
                self = .cuda(nil)
            } else if name.hasPrefix("cuda:"), let index = Int(name.dropFirst("cuda:".count)), index >= 0 {
                self = .cuda(index)
            } else {
                throw MinoError(.argument, "torch backend: unknown device '\(text)'; use cpu, cuda or cuda:N "
                                + "(N ≥ 0), e.g. MINO_TORCH_DEVICE=cpu")
            }
        }

        /// torch's spelling: `cpu`, `cuda`, `cuda:1`.
        public var description: String {
            switch self {
            case .cpu: return "cpu"
            case .cuda(nil): return "cuda"
            case .cuda(let index?): return "cuda:\(index)"
            }
        }
    }

    public static let deviceVariable = "MINO_TORCH_DEVICE"
    public static let threadsVariable = "MINO_THREADS"

    public var device: Device
    /// torch's intra-op threads; nil keeps torch's default.
    public var threads: Int?

    /// - Throws: ``MinoError`` `.argument` for a thread count below 1.
    public init(device: Device = .cpu, threads: Int? = nil) throws {
        if let threads, threads < 1 {
            throw MinoError(.argument, "torch backend: thread count \(threads) must be at least 1")
        }
        self.device = device
        self.threads = threads
    }

    /// A count set for the whole process (``TorchBackend/setThreads(_:)``), over `MINO_THREADS`.
    static var processThreads: Int? {
        get { processThreadsLock.lock(); defer { processThreadsLock.unlock() }; return storedProcessThreads }
        set { processThreadsLock.lock(); storedProcessThreads = newValue; processThreadsLock.unlock() }
    }
    private static let processThreadsLock = NSLock()
    nonisolated(unsafe) private static var storedProcessThreads: Int?

    /// `MINO_TORCH_DEVICE` and `MINO_THREADS` (each optional; a count set with
    /// ``TorchBackend/setThreads(_:)`` wins over `MINO_THREADS`).
    ///
    /// - Throws: ``MinoError`` `.argument` for a device or count that does not parse.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> TorchConfiguration {
        var device = Device.cpu
        if let text = environment[deviceVariable], !text.isEmpty {
            device = try Device(parsing: text)
        }
        var threads: Int? = processThreads
        if threads == nil, let text = environment[threadsVariable], !text.isEmpty {
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n >= 1 else {
                throw MinoError(.argument, "torch backend: \(threadsVariable)=\(text) is not a thread count ≥ 1")
            }
            threads = n
        }
        return try TorchConfiguration(device: device, threads: threads)
    }

    public var description: String {
        "device \(device), " + (threads.map { "\($0) thread\($0 == 1 ? "" : "s")" } ?? "torch's default threads")
    }
}
