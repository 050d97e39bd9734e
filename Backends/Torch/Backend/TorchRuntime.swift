import Foundation
import MinoCore
import MinoPython

/// Python with torch, started once per process, and every torch function the
/// kernels call, resolved once from ``TorchOpTable``.
///
/// Starting it finds Python (``PythonLocator``: `MINO_PYTHON`, the project's
/// `.venv`, `VIRTUAL_ENV`, `python3` on PATH), checks that torch is there
/// before starting anything, starts the interpreter (which releases the GIL),
/// imports torch and loads the helper module. Every failure is a
/// ``MinoError`` of kind `.backend` that says where it looked and how to
/// install; nothing is left half-started except what CPython itself cannot
/// undo (a loaded libpython), which the bridge remembers.
final class TorchRuntime: @unchecked Sendable {
    let python: PythonInterpreter
    let torch: PythonObject
    /// `torch.__version__`.
    let version: String
    let cudaAvailable: Bool
    let cudaDeviceCount: Int

    /// Each kernel's torch function and the call it makes (from the op registry).
    private let kernels: [BackendKernel: TorchKernel]
    private let support: [String: PythonObject]
    /// `torch.float32`, `torch.float64`, `torch.int64`, by ``DType/ordinal``.
    private let dtypes: [PythonObject]
    /// Shapes, axes and ranges as Python tuples, made once.
    let tuples = TorchTupleCache()

    private init(python: PythonInterpreter) throws {
        try TorchRuntime.isolateTorchLibrary(python)
        let torch = try python.import("torch")
        let functional = try python.import("torch.nn.functional")
        let helpers = try TorchRuntime.loadHelpers(python)

        func resolve(_ name: String) throws -> PythonObject {
            let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw MinoError(.backend, "torch backend: bad table entry '\(name)'") }
            switch parts[0] {
            case "torch": return try torch.attribute(parts[1])
            case "F": return try functional.attribute(parts[1])
            case "mino": return try helpers.attribute(parts[1])
            default: throw MinoError(.backend, "torch backend: bad table entry '\(name)'")
            }
        }
        let support = try TorchOpTable.support.mapValues(resolve)
        let facts = try support["describe"].map { try $0.call().toArray() } ?? []
        guard facts.count == 4 else { throw MinoError(.backend, "torch backend: mino_torch.describe() is broken") }

        self.python = python
        self.torch = torch
        self.support = support
        kernels = try TorchOpTable.kernels().mapValues { call in TorchKernel(function: try resolve(call.function), call: call) }
        // The dtype table's own spelling, `torch.float32`.
        dtypes = try DType.allCases.map { try torch.attribute(String($0.info.torchName.dropFirst("torch.".count))) }
        version = try facts[0].toString()
        cudaAvailable = try facts[1].toBool()
        cudaDeviceCount = try facts[2].toInt()
    }

    /// The torch dtype object of a Mino dtype.
    func dtype(_ dtype: DType) -> PythonObject { dtypes[dtype.ordinal] }

    /// The torch function of a kernel and the call its op declares.
    @inline(__always)
    func kernel(_ kernel: BackendKernel) throws -> TorchKernel {
        guard let entry = kernels[kernel] else { throw MinoError(.backend, "torch backend: no kernel '\(kernel)'") }
        return entry
    }

    /// A function of ``TorchOpTable/support``.
    func helper(_ name: String) throws -> PythonObject {
        guard let f = support[name] else { throw MinoError(.backend, "torch backend: no helper '\(name)'") }
        return f
    }

    /// Loads torch's own C++ library with `RTLD_DEEPBIND` before `import torch`.
    ///
    /// A Mino program also links OpenBLAS (the blas backend), whose `sgemm_`
    /// and LAPACK symbols would otherwise take the place of the MKL copies
    /// inside `libtorch_cpu.so` (the process's global symbols come first): torch
    /// would then run its matrix products on OpenBLAS's thread pool, which
    /// fights torch's OpenMP threads for the cores (several times slower with
    /// two threads). Deep binding makes the library use its own symbols, as it
    /// does in a plain Python process. Where the flag or the file does not
    /// exist (macOS, another layout), torch is imported as it is.
    private static func isolateTorchLibrary(_ python: PythonInterpreter) throws {
        try python.run("""
            import ctypes, importlib.util, os
            _flag = getattr(os, "RTLD_DEEPBIND", 0)
            _spec = importlib.util.find_spec("torch")
            if _flag and _spec is not None and _spec.origin:
                _path = os.path.join(os.path.dirname(_spec.origin), "lib", "libtorch_cpu.so")
                if os.path.exists(_path):
                    ctypes.CDLL(_path, mode=os.RTLD_NOW | os.RTLD_GLOBAL | _flag)
            """, filename: "<mino_torch start-up>")
    }

    /// Runs the helper source as the module `mino_torch` (in `sys.modules`,
    /// with its lines in `linecache` so tracebacks show them).
    private static func loadHelpers(_ python: PythonInterpreter) throws -> PythonObject {
        let name = TorchHelperSource.moduleName
        let filename = "<\(name)>"
        let module = try python.import("types").callMethod("ModuleType", [name])
        try python.run(TorchHelperSource.text, globals: try module.attribute("__dict__"), filename: filename)
        try python.import("sys").attribute("modules").setItem(name, module)
        let lines = try TorchHelperSource.text.pythonObject().callMethod("splitlines", [true])
        try python.import("linecache").attribute("cache")
            .setItem(filename, PythonTuple(TorchHelperSource.text.utf8.count, nil, lines, filename))
        return module
    }

    // MARK: Starting once

    private static let lock = NSLock()
    private static var running: TorchRuntime?

    /// The process's runtime, started on first use.
    ///
    /// - Parameter locator: where to look for Python; nil uses the running
    ///   interpreter if there is one, else the default search. A locator is
    ///   always consulted (so a test can point it at a Python without torch).
    static func start(locator: PythonLocator?) throws -> TorchRuntime {
        lock.lock()
        defer { lock.unlock() }
        if let running, locator == nil { return running }

        let environment: PythonEnvironment
        if locator == nil, let current = PythonInterpreter.current {
            environment = current.environment
        } else {
            do {
                environment = try (locator ?? PythonLocator()).locate()
            } catch {
                throw MinoError(.backend, "the torch backend needs Python with torch, and none was found.\n\(error)")
            }
        }
        guard environment.hasTorch else { throw missingTorch(environment, detail: nil) }
        if let running {
            guard running.python.environment.executable == environment.executable else {
                throw MinoError(.backend, "the torch backend already runs on \(running.python.environment.executable) "
                                + "in this process; it cannot also use \(environment.executable) "
                                + "(one Python per process)")
            }
            return running
        }

        let python: PythonInterpreter
        do {
            python = try PythonInterpreter.start(environment: environment)
        } catch {
            throw MinoError(.backend, "the torch backend could not start Python.\n\(error)")
        }
        do {
            let runtime = try TorchRuntime(python: python)
            running = runtime
            return runtime
        } catch let error as PythonError where error.typeName == "ModuleNotFoundError" || error.typeName == "ImportError" {
            throw missingTorch(environment, detail: error.description)
        } catch let error as PythonError {
            throw MinoError(.backend, "the torch backend could not set up torch in \(environment.executable): \(error)")
        }
    }

    /// The runtime if it has started, else nil (starts nothing).
    static var current: TorchRuntime? {
        lock.lock()
        defer { lock.unlock() }
        return running
    }

    /// Torch is not installed where Python was found: say where we looked and how to install.
    static func missingTorch(_ environment: PythonEnvironment, detail: String?) -> MinoError {
        var lines = ["the torch backend needs torch, but the Python it found cannot import it: "
                     + "\(environment.executable) (\(environment.origin), Python \(environment.versionString))."]
        if let detail { lines.append(detail) }
        lines.append("Looked at:")
        lines += environment.searchLog.map { "  - " + $0 }
        lines.append("To install: run `scripts/setup.sh --python` (or `make setup`) in the Mino checkout, which "
                     + "makes .venv with a CPU build of torch; or `\(environment.executable) -m pip install torch "
                     + "--index-url https://download.pytorch.org/whl/cpu`; or set MINO_PYTHON to the python of an "
                     + "environment that has torch.")
        return MinoError(.backend, lines.joined(separator: "\n"))
    }
}

/// One kernel's torch function, the call its op declares, and whether that call
/// is just the tensors in order (`torch.exp(x)`, `torch.add(a, b)`): then the
/// kernel passes them straight through, without reading the declaration per call.
final class TorchKernel {
    let function: PythonObject
    let call: TorchCall
    /// `n` when the call is `function(in0, …, in(n−1))`.
    let plainTensors: Int?

    init(function: PythonObject, call: TorchCall) {
        self.function = function
        self.call = call
        let plain = call.keywords.isEmpty
            && call.arguments.enumerated().allSatisfy { i, argument in argument == .input(i) }
        self.plainTensors = plain ? call.arguments.count : nil
    }
}
