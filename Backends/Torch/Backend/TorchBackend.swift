import Foundation
import MinoCore
import MinoPython

/// Mino's ops executed by real PyTorch, through the embedded CPython.
///
///     let torch = try TorchBackend()                         // MINO_TORCH_DEVICE, MINO_THREADS
///     let gpu = try TorchBackend(TorchConfiguration(device: .cuda(0), threads: 4))
///     let x = try Tensor([1, 2, 3] as [Float], shape: [3], on: torch)
///
/// Tensors live as `torch.Tensor` objects on the configured device
/// (``TorchStorage``). Every Mino op is one Python call: a torch function,
/// or a function of the backend's helper module, both resolved once
/// (``TorchOpTable``). Composites run as torch's own kernels (`F.linear`,
/// `F.cross_entropy`, ...), and optimizer updates run in place.
///
/// Threads: any Swift thread may use the backend at any time. The GIL is
/// taken around each call into Python and each release of a tensor, and
/// torch releases it while its kernels run.
///
/// Errors: every Python exception becomes a ``MinoError`` (see
/// ``TorchErrors``); nothing done through this backend stops the process.
public final class TorchBackend: Backend {
    public let name = "torch"
    public let configuration: TorchConfiguration
    /// `torch.__version__`.
    public var torchVersion: String { runtime.version }
    /// The Python environment torch was loaded from.
    public var pythonEnvironment: PythonEnvironment { runtime.python.environment }

    let runtime: TorchRuntime
    /// The `torch.device` tensors are made on.
    let device: PythonObject
    let python: PythonInterpreter
    /// `new_full` of an empty tensor of each dtype on the device, by
    /// ``DType/ordinal``: `full` in one positional call, dtype and device inherited.
    let newFull: [PythonObject]

    /// Starts Python and torch (once per process), checks the device and sets the thread count.
    ///
    /// - Parameters:
    ///   - configuration: device and threads; nil reads `MINO_TORCH_DEVICE` and `MINO_THREADS`.
    ///   - locator: where to look for Python; nil uses the interpreter already
    ///     running in this process, else the default search (`MINO_PYTHON`,
    ///     the project's `.venv`, `VIRTUAL_ENV`, `python3` on PATH).
    /// - Throws: ``MinoError`` `.backend` when Python or torch is missing (saying
    ///   where it looked and how to install) or the device is not available
    ///   (saying what is); `.argument` for a malformed configuration.
    public init(_ configuration: TorchConfiguration? = nil, locator: PythonLocator? = nil) throws {
        let configuration = try configuration ?? TorchConfiguration.fromEnvironment()
        let runtime = try TorchRuntime.start(locator: locator)
        try TorchBackend.check(configuration.device, runtime)
        self.configuration = configuration
        self.runtime = runtime
        self.python = runtime.python
        do {
            let device = try runtime.torch.callMethod("device", [configuration.device.description])
            let empty = try runtime.helper("empty")
            newFull = try DType.allCases.map { dtype in
                try empty.call([PythonTuple(0), runtime.dtype(dtype), device]).attribute("new_full")
            }
            self.device = device
            if let threads = configuration.threads {
                try runtime.helper("setThreads").call([threads])
            }
        } catch {
            throw TorchErrors.mino(error, op: "start")
        }
    }

    /// The factory the backend registry uses: configured from the environment.
    public static func make() throws -> any Backend {
        try TorchBackend()
    }

    /// A `cuda` device must exist here; the error says what does.
    static func check(_ device: TorchConfiguration.Device, _ runtime: TorchRuntime) throws {
        guard case .cuda(let index) = device else { return }
        let available = ["cpu"] + (0..<runtime.cudaDeviceCount).map { "cuda:\($0)" }
        guard runtime.cudaAvailable else {
            throw MinoError(.backend, "torch backend: device '\(device)' asked for, but torch \(runtime.version) "
                            + "has no CUDA here (torch.cuda.is_available() is False: a CPU build of torch, or no "
                            + "GPU or driver). Available devices: \(available.joined(separator: ", ")). "
                            + "Use MINO_TORCH_DEVICE=cpu, or a CUDA build of torch on a machine with a GPU.")
        }
        if let index, index >= runtime.cudaDeviceCount {
            throw MinoError(.backend, "torch backend: device '\(device)' asked for, but this machine has "
                            + "\(runtime.cudaDeviceCount) CUDA device\(runtime.cudaDeviceCount == 1 ? "" : "s"). "
                            + "Available devices: \(available.joined(separator: ", ")).")
        }
    }

    // MARK: Calling torch

    /// Calls `function(args)` and wraps the resulting tensor; errors become ``MinoError``s.
    @inline(__always)
    func tensor(_ op: String, _ function: PythonObject, _ args: [PythonConvertible?]) throws -> any BackendStorage {
        do {
            return TorchStorage(try function.call(args))
        } catch {
            throw TorchErrors.mino(error, op: op)
        }
    }

    /// Calls `function(args)` for its Python result.
    @inline(__always)
    func value(_ op: String, _ function: PythonObject, _ args: [PythonConvertible?]) throws -> PythonObject {
        do {
            return try function.call(args)
        } catch {
            throw TorchErrors.mino(error, op: op)
        }
    }

    // MARK: Diagnostics

    /// Objects tracked by Python's garbage collector and blocks held by
    /// Python's allocator (`sys.getallocatedblocks()`), for leak checks.
    public func pythonMemory() throws -> (gcObjects: Int, allocatedBlocks: Int) {
        let stats = try value("memoryStats", try runtime.helper("memoryStats"), []).toArray()
        guard stats.count == 2 else { throw MinoError(.backend, "torch backend: memory_stats() is broken") }
        return (try stats[0].toInt(), try stats[1].toInt())
    }

    /// Sets torch's intra-op thread count for this process: now, if torch is
    /// running, and for every backend made later from the environment (over
    /// `MINO_THREADS`). Starts nothing. `mino --threads` calls it; nil forgets
    /// the count (backends made later read `MINO_THREADS` again).
    ///
    /// - Throws: ``MinoError`` `.argument` for a count below 1.
    public static func setThreads(_ count: Int?) throws {
        if let count, count < 1 {
            throw MinoError(.argument, "torch backend: thread count \(count) must be at least 1")
        }
        TorchConfiguration.processThreads = count
        if let count, let runtime = TorchRuntime.current {
            do { try runtime.helper("setThreads").call([count]) } catch { throw TorchErrors.mino(error, op: "threads") }
        }
    }

    /// torch's intra-op thread count now (`torch.get_num_threads()`).
    public func threadCount() throws -> Int {
        try value("threads", try runtime.torch.attribute("get_num_threads"), []).toInt()
    }
}
