import CPython
import Foundation

/// The one embedded CPython of this process.
///
///     let python = try PythonInterpreter.shared
///     let math = try python.import("math")
///     let root = try math.callMethod("sqrt", [2.0]).toDouble()
///
/// Starting it (`start()`, or the first use of `shared`) finds a Python with
/// `PythonLocator`, opens its libpython, initializes it once, points `sys` at
/// the found environment, and releases the GIL so any thread may take it.
/// Starting again returns the same interpreter.
///
/// The interpreter is never finalized, not even at exit: extension modules
/// (torch, numpy) do not survive Py_Finalize followed by a new
/// Py_Initialize, and PythonObjects still alive on some thread would then
/// decref into a dead interpreter. The operating system reclaims it all at
/// process exit.
public final class PythonInterpreter: @unchecked Sendable {
    /// The environment it runs in.
    public let environment: PythonEnvironment
    /// `Py_GetVersion()` of the loaded libpython.
    public let version: String

    private init(environment: PythonEnvironment, version: String) {
        self.environment = environment
        self.version = version
    }

    // MARK: Starting

    private static let lock = NSLock()
    private static var running: PythonInterpreter?
    /// A failure after libpython was loaded: it cannot be undone, so it is final.
    private static var permanentFailure: PythonSetupError?
    /// The libpython that mino_py_load opened, if any.
    private static var loadedLibrary: String?

    /// The running interpreter, starting it with the default locator if needed.
    public static var shared: PythonInterpreter {
        get throws { try start() }
    }

    /// The running interpreter, or nil if none was started.
    public static var current: PythonInterpreter? {
        lock.lock(); defer { lock.unlock() }
        return running
    }

    /// Starts Python once; thread-safe. Later calls return the running
    /// interpreter without searching again (the first start decides the
    /// environment; see `environment`).
    @discardableResult
    public static func start(locator: PythonLocator = PythonLocator()) throws -> PythonInterpreter {
        lock.lock(); defer { lock.unlock() }
        if let running { return running }
        if let permanentFailure { throw permanentFailure }
        return try startLocked(locator.locate())
    }

    /// Starts Python from an environment already located. If Python is
    /// already running from another executable or library, that is an error
    /// (one process can hold only one CPython).
    @discardableResult
    public static func start(environment: PythonEnvironment) throws -> PythonInterpreter {
        lock.lock(); defer { lock.unlock() }
        if let running {
            guard running.environment.executable == environment.executable,
                  running.environment.library == environment.library else {
                throw PythonSetupError(
                    stage: .alreadyRunning,
                    summary: "Python is already running in this process from \(running.environment.executable) "
                        + "(\(running.environment.library)); it cannot also run \(environment.executable)",
                    searched: [],
                    fix: "Choose one Python per process (MINO_PYTHON).")
            }
            return running
        }
        if let permanentFailure { throw permanentFailure }
        return try startLocked(environment)
    }

    private static func startLocked(_ environment: PythonEnvironment) throws -> PythonInterpreter {
        // 1. Open libpython and resolve the C API.
        if let loadedLibrary, loadedLibrary != environment.library {
            throw PythonSetupError(stage: .load,
                                   summary: "\(loadedLibrary) is already loaded; cannot load \(environment.library) too",
                                   searched: environment.searchLog)
        }
        var message = [CChar](repeating: 0, count: 4096)
        if mino_py_load(environment.library, &message, message.count) != 0 {
            throw PythonSetupError(stage: .load, summary: String(cString: message), searched: environment.searchLog)
        }
        loadedLibrary = environment.library

        // 2. It must be the version the executable reported.
        let version = String(cString: mino_py.Py_GetVersion())
        let expected = "\(environment.version[0]).\(environment.version[1])."
        guard version.hasPrefix(expected) else {
            throw PythonSetupError(
                stage: .load,
                summary: "\(environment.library) is Python \(version.prefix { $0 != " " }), "
                    + "but \(environment.executable) is Python \(environment.versionString)",
                searched: environment.searchLog,
                fix: "Point MINO_PYTHON_LIBRARY at the libpython of the same version, or unset it.")
        }

        // 3. Initialize once, configure sys, release the GIL.
        if mino_py.Py_IsInitialized() == 0 {
            setPythonHome(environment)
            mino_py.Py_InitializeEx(0)     // 0: leave the process's signal handlers alone
            guard mino_py.Py_IsInitialized() != 0 else {
                let failure = PythonSetupError(stage: .initialize, summary: "Py_InitializeEx did not initialize Python",
                                               searched: environment.searchLog)
                permanentFailure = failure
                throw failure
            }
            mino_py_set_ready()
            // This thread holds the GIL until PyEval_SaveThread.
            var configureError: Error?
            do { try configureSys(environment) } catch { configureError = error }
            mino_py_release_after_start()
            if let configureError {
                let failure = PythonSetupError(stage: .initialize,
                                               summary: "setting up sys failed: \(configureError)",
                                               searched: environment.searchLog)
                permanentFailure = failure
                throw failure
            }
        } else {
            // Someone else in this process initialized this libpython: use it
            // as it is (its sys.path, its GIL policy).
            mino_py_set_ready()
        }

        let interpreter = PythonInterpreter(environment: environment, version: version)
        running = interpreter
        return interpreter
    }

    /// Tells Python where its standard library is: the probed interpreter's
    /// base prefix. Without this a relocatable Python (conda, uv's builds)
    /// looks under its compiled-in prefix, fails to find `encodings`, and
    /// aborts the process. The wide string must live for the whole program,
    /// so it is deliberately never freed. Skipped where the (deprecated)
    /// Py_SetPythonHome no longer exists, and when PYTHONHOME is set (the
    /// probe ran under it too).
    private static func setPythonHome(_ environment: PythonEnvironment) {
        guard let setHome = mino_py.Py_SetPythonHome,
              ProcessInfo.processInfo.environment["PYTHONHOME"] == nil,
              !environment.basePrefix.isEmpty else { return }
        let home = environment.basePrefix == environment.baseExecPrefix
            ? environment.basePrefix : "\(environment.basePrefix):\(environment.baseExecPrefix)"
        let scalars = home.unicodeScalars.map { wchar_t(bitPattern: $0.value) } + [0]
        let wide = UnsafeMutablePointer<wchar_t>.allocate(capacity: scalars.count)
        wide.initialize(from: scalars, count: scalars.count)
        setHome(wide)
    }

    /// Makes the embedded interpreter see what the probed executable sees.
    private static func configureSys(_ environment: PythonEnvironment) throws {
        let sys = try holdingGIL { try adopt(mino_py.PyImport_ImportModule("sys"), "import 'sys'") }
        try sys.setAttribute("path", PythonList(environment.sysPath))
        try sys.setAttribute("executable", environment.sysExecutable)
        try sys.setAttribute("argv", PythonList(["mino"]))
        try sys.setAttribute("prefix", environment.prefix)
        try sys.setAttribute("exec_prefix", environment.execPrefix)
        let importlib = try holdingGIL { try adopt(mino_py.PyImport_ImportModule("importlib"), "import 'importlib'") }
        try importlib.callMethod("invalidate_caches")
    }

    // MARK: The GIL

    /// Runs `body` holding the GIL. Every method of this module takes the GIL
    /// itself; use this to make a run of many calls from one thread cheaper,
    /// or to keep other Swift threads out of Python for a while. Re-entrant.
    public func withGIL<Result>(_ body: () throws -> Result) rethrows -> Result {
        try holdingGIL(body)
    }

    /// How many threads currently keep a Python thread state between calls
    /// (each thread that has called into Python and not yet exited; see
    /// GIL.swift). For leak checks and diagnostics.
    public static var threadsWithPythonState: Int { Int(mino_py_kept_thread_states()) }

    // MARK: Modules and source text

    /// `import name` (dotted names return the submodule: `import("torch.nn")`).
    public func `import`(_ name: String) throws -> PythonObject {
        guard !name.contains("\0") else {
            throw PythonError(kind: .invalidArgument, typeName: "ValueError",
                              message: "module name contains a NUL byte", context: "import")
        }
        return try holdingGIL { try adopt(mino_py.PyImport_ImportModule(name), "import '\(name)'") }
    }

    /// The `builtins` module.
    public func builtins() throws -> PythonObject { try self.import("builtins") }

    /// `None`.
    public var none: PythonObject {
        holdingGIL { PythonObject(borrowing: mino_py.Py_None) }
    }

    /// A fresh globals dict (with `__builtins__`), for `run` and `evaluate`.
    public func makeGlobals() throws -> PythonObject {
        let dict = try holdingGIL { try adopt(mino_py.PyDict_New(), "making globals") }
        try dict.setItem("__builtins__", try builtins())
        return dict
    }

    /// The value of one Python expression. `globals` defaults to a fresh dict.
    ///
    ///     try python.evaluate("1 + 2").toInt()   // 3
    public func evaluate(_ expression: String, globals: PythonObject? = nil,
                         filename: String = "<mino>") throws -> PythonObject {
        try execute(expression, start: MINO_Py_eval_input, globals: globals, filename: filename).result
    }

    /// Runs statements (a module body) and returns the globals they ran in,
    /// so what they define can be read back:
    ///
    ///     let g = try python.run("def double(x):\n    return 2 * x")
    ///     let double = try g.item("double")
    ///
    /// `filename` is what tracebacks show.
    @discardableResult
    public func run(_ code: String, globals: PythonObject? = nil,
                    filename: String = "<mino>") throws -> PythonObject {
        try execute(code, start: MINO_Py_file_input, globals: globals, filename: filename).globals
    }

    private func execute(_ code: String, start: Int32, globals: PythonObject?,
                         filename: String) throws -> (result: PythonObject, globals: PythonObject) {
        guard !code.contains("\0"), !filename.contains("\0") else {
            throw PythonError(kind: .invalidArgument, typeName: "ValueError",
                              message: "source text or file name contains a NUL byte",
                              context: "compiling \(filename)")
        }
        let dict: PythonObject
        if let globals {
            // PyEval_EvalCode needs a real dict; checked here, not left to CPython.
            let builtins = try builtins()
            guard try builtins.callMethod("isinstance", [globals, try builtins.attribute("dict")]).toBool() else {
                throw PythonError(kind: .invalidArgument, typeName: "TypeError",
                                  message: "globals must be a dict, not \(globals.pythonTypeName)",
                                  context: "running \(filename)")
            }
            try globals.callMethod("setdefault", ["__builtins__", builtins])
            dict = globals
        } else {
            dict = try makeGlobals()
        }
        return try holdingGIL {
            let code = try adopt(mino_py.Py_CompileString(code, filename, start), "compiling \(filename)")
            let result = try adopt(mino_py.PyEval_EvalCode(code.reference, dict.reference, dict.reference),
                                   "running \(filename)")
            return (result, dict)
        }
    }
}
