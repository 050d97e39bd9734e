import Foundation

/// What we learned about one Python installation by running its executable.
public struct PythonEnvironment: Sendable, CustomStringConvertible {
    /// The python executable that was found (as found: a venv's bin/python
    /// stays a venv path even when it is a symlink).
    public let executable: String
    /// Why this one: `MINO_PYTHON`, `.venv in /work/mino`, `VIRTUAL_ENV`, `PATH`, ...
    public let origin: String
    /// `sys.version_info[:3]`.
    public let version: [Int]
    /// `sys.version`.
    public let versionText: String
    /// The shared libpython to embed.
    public let library: String
    /// `sys.prefix`, `sys.exec_prefix`, `sys.base_prefix`, `sys.base_exec_prefix`.
    public let prefix: String
    public let execPrefix: String
    public let basePrefix: String
    public let baseExecPrefix: String
    /// `sys.executable` as the interpreter reports it.
    public let sysExecutable: String
    /// `sys.path` of that interpreter (its venv's site-packages included),
    /// without the '' entry for the current directory.
    public let sysPath: [String]
    /// Whether `import torch` / `import numpy` would find a module
    /// (checked with importlib.util.find_spec, without importing).
    public let hasTorch: Bool
    public let hasNumpy: Bool
    /// Every place the search looked, in order, with what it found.
    public let searchLog: [String]

    public var versionString: String { version.map(String.init).joined(separator: ".") }

    public var description: String {
        "Python \(versionString) at \(executable) (\(origin)); libpython \(library); "
            + "torch \(hasTorch ? "available" : "missing")"
    }
}

/// Finds a Python executable, asks it about itself, and finds its shared
/// libpython.
///
/// The search order:
/// 1. `MINO_PYTHON` — a python executable (or a virtual environment's
///    directory, meaning its `bin/python`). When it is set, nothing else is
///    tried: a wrong setting is an error, not a silent fallback.
/// 2. `.venv/bin/python` in the current directory, then in each parent
///    directory up to `/`.
/// 3. `.venv/bin/python` in the Mino source checkout this module was
///    compiled from (derived from `#filePath`).
/// 4. `$VIRTUAL_ENV/bin/python`.
/// 5. `python3` on `PATH`.
///
/// The first candidate that exists, runs, and has a shared libpython wins;
/// the others' failures are kept in `searchLog` (and in the error, if none
/// works). The library of the chosen interpreter is `MINO_PYTHON_LIBRARY`
/// when set, else `LIBDIR/INSTSONAME`, `LIBDIR/LDLIBRARY`, then
/// `libpython3.X.so.1.0` / `.so` (`.dylib` on macOS) in LIBDIR, the
/// interpreter's base prefix and the usual system library directories.
///
/// Everything it reads (environment, current directory, checkout) is
/// injectable, so tests never mutate the process environment.
public struct PythonLocator: Sendable {
    public var environment: [String: String]
    public var currentDirectory: String
    /// The Mino checkout to look for `.venv` in last; nil to skip.
    public var sourceCheckout: String?
    /// How long the probe of one interpreter may take.
    public var probeTimeout: Double

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                currentDirectory: String = FileManager.default.currentDirectoryPath,
                sourceCheckout: String? = PythonLocator.defaultSourceCheckout,
                probeTimeout: Double = 60) {
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.sourceCheckout = sourceCheckout
        self.probeTimeout = probeTimeout
    }

    /// The root of the checkout this file was compiled from
    /// (`<root>/Backends/Torch/Python/PythonLocator.swift`), if it still exists.
    public static let defaultSourceCheckout: String? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
              isDirectory.boolValue else { return nil }
        return url.path
    }()

    /// One place to look, in search order.
    struct Candidate {
        let path: String
        let origin: String
    }

    /// Finds a working Python or throws a `PythonSetupError` listing every place looked.
    public func locate() throws -> PythonEnvironment {
        var log: [String] = []

        if let explicit = environment["MINO_PYTHON"], !explicit.isEmpty {
            var path = explicit.hasPrefix("/")
                ? explicit : (currentDirectory as NSString).appendingPathComponent(explicit)
            if isDirectory(path) {
                let inside = (path as NSString).appendingPathComponent("bin/python")
                log.append("MINO_PYTHON=\(explicit) is a directory: using \(inside)")
                path = inside
            }
            let candidate = Candidate(path: path, origin: "MINO_PYTHON")
            switch examine(candidate, log: &log) {
            case .success(let found): return found
            case .failure(let error):
                throw PythonSetupError(
                    stage: error.stage,
                    summary: "MINO_PYTHON=\(explicit) is not a usable Python: \(error.summary)",
                    searched: log + ["(MINO_PYTHON is set, so no other place was tried)"],
                    fix: "To fix: set MINO_PYTHON to the bin/python of an environment with torch "
                        + "(or unset it to use the project's .venv, made by `scripts/setup.sh --python` "
                        + "or `make setup`).")
            }
        }
        log.append("MINO_PYTHON: not set")

        var lastFailure: PythonSetupError?
        for candidate in candidates(log: &log) {
            switch examine(candidate, log: &log) {
            case .success(let found): return found
            case .failure(let error): lastFailure = error
            }
        }
        let summary = lastFailure.map { "no candidate worked (last: \($0.summary))" }
            ?? "no Python executable found"
        throw PythonSetupError(stage: lastFailure?.stage ?? .locate, summary: summary, searched: log)
    }

    /// Places 2–5 of the search order (not MINO_PYTHON), logging the ones
    /// that are not there at all.
    func candidates(log: inout [String]) -> [Candidate] {
        var result: [Candidate] = []
        var seen = Set<String>()
        func consider(_ path: String, _ origin: String) {
            let normalized = lexicallyNormalized(path)
            guard !seen.contains(normalized) else { return }
            seen.insert(normalized)
            if isExecutable(normalized) {
                result.append(Candidate(path: normalized, origin: origin))
            } else {
                log.append("\(normalized) (\(origin)): \(missingReason(normalized))")
            }
        }

        let start = lexicallyNormalized(currentDirectory)
        var directory = start
        while true {
            consider((directory as NSString).appendingPathComponent(".venv/bin/python"),
                     directory == start ? ".venv in the current directory" : ".venv in a parent directory")
            let parent = (directory as NSString).deletingLastPathComponent
            if parent == directory || parent.isEmpty { break }
            directory = parent
        }

        if let checkout = sourceCheckout {
            consider((checkout as NSString).appendingPathComponent(".venv/bin/python"),
                     ".venv in the Mino source checkout")
        } else {
            log.append("Mino source checkout: unknown (not looked at)")
        }

        if let virtualEnv = environment["VIRTUAL_ENV"], !virtualEnv.isEmpty {
            consider((virtualEnv as NSString).appendingPathComponent("bin/python"), "VIRTUAL_ENV")
        } else {
            log.append("VIRTUAL_ENV: not set")
        }

        let pathVariable = environment["PATH"] ?? ""
        var foundOnPath = false
        for directory in pathVariable.split(separator: ":").map(String.init) where !directory.isEmpty {
            let path = (directory as NSString).appendingPathComponent("python3")
            if isExecutable(path) {
                consider(path, "python3 on PATH")
                foundOnPath = true
                break
            }
        }
        if !foundOnPath {
            log.append("python3 on PATH (\(pathVariable.isEmpty ? "PATH is empty or not set" : pathVariable)): not found")
        }
        return result
    }

    /// Probes one candidate and finds its library.
    func examine(_ candidate: Candidate, log: inout [String]) -> Result<PythonEnvironment, PythonSetupError> {
        let place = "\(candidate.path) (\(candidate.origin))"
        guard isExecutable(candidate.path) else {
            let reason = missingReason(candidate.path)
            log.append("\(place): \(reason)")
            return .failure(PythonSetupError(stage: .locate, summary: "\(candidate.path): \(reason)", searched: []))
        }
        let probe: Probe
        do {
            probe = try runProbe(candidate.path)
        } catch let error as ProbeFailure {
            log.append("\(place): found, but \(error.text)")
            return .failure(PythonSetupError(stage: .probe, summary: "\(candidate.path): \(error.text)", searched: []))
        } catch {
            log.append("\(place): found, but running it failed: \(error)")
            return .failure(PythonSetupError(stage: .probe, summary: "\(candidate.path): \(error)", searched: []))
        }
        guard probe.version.count >= 2, probe.version[0] == 3, probe.version[1] >= 8 else {
            let text = "Python \(probe.version.map(String.init).joined(separator: ".")) is too old (need 3.8 or later)"
            log.append("\(place): \(text)")
            return .failure(PythonSetupError(stage: .probe, summary: "\(candidate.path): \(text)", searched: []))
        }

        var looked: [String] = []
        guard let library = findLibrary(probe, looked: &looked) else {
            let text = "Python \(probe.versionString) has no shared libpython; looked for "
                + looked.joined(separator: ", ")
                + " (Debian/Ubuntu: `apt-get install libpython\(probe.version[0]).\(probe.version[1])`, "
                + "or `scripts/setup.sh`; a Python built from source needs --enable-shared)"
            log.append("\(place): \(text)")
            return .failure(PythonSetupError(stage: .library, summary: "\(candidate.path): \(text)", searched: []))
        }
        log.append("\(place): Python \(probe.versionString), libpython \(library), torch "
                   + (probe.torch ? "available" : "missing"))
        return .success(PythonEnvironment(
            executable: candidate.path, origin: candidate.origin,
            version: probe.version, versionText: probe.versionText, library: library,
            prefix: probe.prefix, execPrefix: probe.execPrefix,
            basePrefix: probe.basePrefix, baseExecPrefix: probe.baseExecPrefix,
            sysExecutable: probe.executable ?? candidate.path,
            sysPath: probe.path.filter { !$0.isEmpty },
            hasTorch: probe.torch, hasNumpy: probe.numpy, searchLog: log))
    }

    /// The shared libpython of a probed interpreter: the first that exists
    /// of the places listed in the type's documentation.
    func findLibrary(_ probe: Probe, looked: inout [String]) -> String? {
        if let explicit = environment["MINO_PYTHON_LIBRARY"], !explicit.isEmpty {
            looked.append("MINO_PYTHON_LIBRARY=\(explicit)")
            return isFile(explicit) ? explicit : nil
        }
        let x = "\(probe.version[0]).\(probe.version[1])"
        let abi = probe.abiflags ?? ""
        var names = ["libpython\(x)\(abi).so.1.0", "libpython\(x)\(abi).so", "libpython\(x)\(abi).dylib"]
        if !abi.isEmpty { names += ["libpython\(x).so.1.0", "libpython\(x).so"] }

        var paths: [String] = []
        if let libdir = probe.libdir, !libdir.isEmpty {
            for name in [probe.instsoname, probe.ldlibrary] {
                if let name, !name.isEmpty, !name.hasSuffix(".a") {
                    paths.append((libdir as NSString).appendingPathComponent(name))
                }
            }
        }
        if let framework = probe.frameworkPrefix, !framework.isEmpty, let name = probe.ldlibrary, !name.isEmpty {
            paths.append((framework as NSString).appendingPathComponent(name))
        }
        var directories: [String] = []
        if let libdir = probe.libdir, !libdir.isEmpty { directories.append(libdir) }
        for base in [probe.basePrefix, probe.baseExecPrefix] {
            directories.append((base as NSString).appendingPathComponent("lib"))
            if let multiarch = probe.multiarch, !multiarch.isEmpty {
                directories.append((base as NSString).appendingPathComponent("lib/\(multiarch)"))
            }
            directories.append((base as NSString).appendingPathComponent("lib64"))
        }
        if let multiarch = probe.multiarch, !multiarch.isEmpty { directories.append("/usr/lib/\(multiarch)") }
        directories += ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                        "/usr/lib64", "/usr/lib", "/usr/local/lib"]
        for directory in directories {
            for name in names { paths.append((directory as NSString).appendingPathComponent(name)) }
        }

        var seen = Set<String>()
        for path in paths where !seen.contains(path) {
            seen.insert(path)
            looked.append(path)
            if isFile(path) { return path }
        }
        return nil
    }

    // MARK: The probe

    /// What the interpreter says about itself.
    struct Probe: Decodable {
        let version: [Int]
        let versionText: String
        let abiflags: String?
        let libdir: String?
        let ldlibrary: String?
        let instsoname: String?
        let multiarch: String?
        let frameworkPrefix: String?
        let prefix: String
        let execPrefix: String
        let basePrefix: String
        let baseExecPrefix: String
        let executable: String?
        let path: [String]
        let torch: Bool
        let numpy: Bool

        var versionString: String { version.map(String.init).joined(separator: ".") }
    }

    struct ProbeFailure: Error {
        let text: String
    }

    /// Printed as one JSON line. find_spec does not import torch (which takes seconds).
    static let probeScript = """
        import json, sys, sysconfig, importlib.util
        def has(name):
            try:
                return importlib.util.find_spec(name) is not None
            except Exception:
                return False
        v = sysconfig.get_config_var
        print("MINO-PROBE " + json.dumps({
            "version": list(sys.version_info[:3]), "versionText": sys.version,
            "abiflags": getattr(sys, "abiflags", ""),
            "libdir": v("LIBDIR"), "ldlibrary": v("LDLIBRARY"), "instsoname": v("INSTSONAME"),
            "multiarch": v("MULTIARCH"), "frameworkPrefix": v("PYTHONFRAMEWORKPREFIX"),
            "prefix": sys.prefix, "execPrefix": sys.exec_prefix,
            "basePrefix": sys.base_prefix, "baseExecPrefix": sys.base_exec_prefix,
            "executable": sys.executable, "path": sys.path,
            "torch": has("torch"), "numpy": has("numpy")}))
        """

    func runProbe(_ executable: String) throws -> Probe {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", Self.probeScript]
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice

        do {
            try process.run()
        } catch {
            throw ProbeFailure(text: "it could not be run: \(error.localizedDescription)")
        }
        // Read both pipes while it runs (a full pipe would block it), with a time limit.
        let group = DispatchGroup()
        let collected = Collected()
        DispatchQueue.global().async(group: group) {
            collected.set(out: output.fileHandleForReading.readDataToEndOfFile())
        }
        DispatchQueue.global().async(group: group) {
            collected.set(err: errors.fileHandleForReading.readDataToEndOfFile())
        }
        if group.wait(timeout: .now() + probeTimeout) == .timedOut {
            process.terminate()
            _ = group.wait(timeout: .now() + 5)
            throw ProbeFailure(text: "it did not answer within \(Int(probeTimeout)) s")
        }
        process.waitUntilExit()
        let (stdout, stderr) = collected.get()
        let errorText = String(decoding: stderr, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let tail = errorText.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw ProbeFailure(text: "running it failed (exit status \(process.terminationStatus))"
                               + (tail.isEmpty ? "" : ": \(tail)"))
        }
        let text = String(decoding: stdout, as: UTF8.self)
        guard let line = text.split(separator: "\n").last(where: { $0.hasPrefix("MINO-PROBE ") }) else {
            throw ProbeFailure(text: "it is not a Python 3 interpreter (no answer to the probe)")
        }
        do {
            return try JSONDecoder().decode(Probe.self, from: Data(line.dropFirst("MINO-PROBE ".count).utf8))
        } catch {
            throw ProbeFailure(text: "its answer to the probe could not be read: \(error)")
        }
    }

    /// Output gathered by two reader threads.
    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var out = Data()
        private var err = Data()
        func set(out data: Data) { lock.lock(); out = data; lock.unlock() }
        func set(err data: Data) { lock.lock(); err = data; lock.unlock() }
        func get() -> (Data, Data) { lock.lock(); defer { lock.unlock() }; return (out, err) }
    }

    // MARK: Files

    /// Removes `.`, `..` and doubled slashes without resolving symbolic
    /// links: a virtual environment's `bin/python` is usually a link to the
    /// base interpreter, and Python finds the environment from the link's
    /// own path.
    func lexicallyNormalized(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    func isFile(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && !directory.boolValue
    }

    func isExecutable(_ path: String) -> Bool {
        isFile(path) && FileManager.default.isExecutableFile(atPath: path)
    }

    func missingReason(_ path: String) -> String {
        if isDirectory(path) { return "is a directory" }
        if isFile(path) { return "is not executable" }
        if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil {
            return "is a broken symbolic link"
        }
        return "not found"
    }
}
