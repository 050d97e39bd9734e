#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS
import Foundation
import MinoCore

/// The CBLAS library the blas backend calls, chosen at run time (as Julia's
/// libblastrampoline allows): `MINO_BLAS=openblas|mkl|/path/to/libcblas.so`,
/// or ``BLASLibrary/use(_:locator:)`` from Swift. OpenBLAS is the default.
public enum BLASProvider: Hashable, Sendable, CustomStringConvertible {
    /// OpenBLAS (Debian's `libopenblas0`, Homebrew's `openblas`).
    case openblas
    /// Intel MKL's single dynamic library, `libmkl_rt` (the `mkl` wheel, a oneAPI or Debian install).
    case mkl
    /// Any library with the CBLAS interface, by path.
    case library(String)

    public static let environmentVariable = "MINO_BLAS"

    /// Parses `openblas`, `mkl` (any case) or a path (anything with a `/`).
    ///
    /// - Throws: ``MinoError`` `.argument` naming the accepted spellings.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed.lowercased() {
        case "openblas": self = .openblas
        case "mkl": self = .mkl
        default:
            guard trimmed.contains("/") else {
                throw MinoError(.argument, "\(BLASProvider.environmentVariable): unknown BLAS provider '\(text)'; "
                                + "use openblas, mkl or the path of a CBLAS library (e.g. /opt/lib/libblis.so)")
            }
            self = .library(trimmed)
        }
    }

    /// `MINO_BLAS`, else OpenBLAS.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment)
        throws -> BLASProvider {
        guard let text = environment[environmentVariable], !text.isEmpty else { return .openblas }
        return try BLASProvider(parsing: text)
    }

    public var description: String {
        switch self {
        case .openblas: return "openblas"
        case .mkl: return "mkl"
        case .library(let path): return path
        }
    }
}

/// Where each provider is looked for. Everything it reads (environment,
/// current directory, checkout) is injectable, so tests never touch the
/// process's environment.
public struct BLASLocator: Sendable {
    public var environment: [String: String]
    public var currentDirectory: String
    /// The Mino checkout whose `.venv` is searched for MKL last; nil to skip.
    public var sourceCheckout: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                currentDirectory: String = FileManager.default.currentDirectoryPath,
                sourceCheckout: String? = BLASLocator.defaultSourceCheckout) {
        self.environment = environment
        self.currentDirectory = currentDirectory
        self.sourceCheckout = sourceCheckout
    }

    /// The root of the checkout this file was compiled from
    /// (`<root>/Backends/BLAS/Sources/BLASLibrary.swift`), if it still exists.
    public static let defaultSourceCheckout: String? = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
              isDirectory.boolValue else { return nil }
        return url.path
    }()

    /// The library's file names, newest soname first.
    static func fileNames(_ provider: BLASProvider) -> [String] {
        #if os(macOS)
        switch provider {
        case .openblas: return ["libopenblas.0.dylib", "libopenblas.dylib"]
        case .mkl: return ["libmkl_rt.3.dylib", "libmkl_rt.2.dylib", "libmkl_rt.dylib"]
        case .library(let path): return [path]
        }
        #else
        switch provider {
        case .openblas: return ["libopenblas.so.0", "libopenblas.so"]
        case .mkl: return ["libmkl_rt.so.3", "libmkl_rt.so.2", "libmkl_rt.so"]
        case .library(let path): return [path]
        }
        #endif
    }

    /// The directories searched, in order, before the dynamic loader's own search:
    /// for MKL the Python environments (where the `mkl` wheel puts `lib/libmkl_rt`),
    /// oneAPI and system directories; for OpenBLAS only Homebrew's (on Linux the
    /// loader's cache finds Debian's).
    public func directories(for provider: BLASProvider) -> [String] {
        var dirs: [String] = []
        switch provider {
        case .library: return []
        case .openblas:
            #if os(macOS)
            dirs = ["/opt/homebrew/opt/openblas/lib", "/usr/local/opt/openblas/lib"]
            #endif
        case .mkl:
            // MINO_PYTHON: a venv's bin/python (its prefix is two levels up, symlinks not
            // followed, as a venv's python is a link to the base interpreter) or the venv itself.
            if let python = environment["MINO_PYTHON"], !python.isEmpty {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: python, isDirectory: &isDirectory), isDirectory.boolValue {
                    dirs.append(python + "/lib")
                } else {
                    let prefix = URL(fileURLWithPath: python).deletingLastPathComponent().deletingLastPathComponent()
                    dirs.append(prefix.path + "/lib")
                }
            }
            var dir = URL(fileURLWithPath: currentDirectory).standardizedFileURL
            while true {
                dirs.append(dir.appendingPathComponent(".venv/lib").path)
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
            if let checkout = sourceCheckout { dirs.append(checkout + "/.venv/lib") }
            for variable in ["VIRTUAL_ENV", "CONDA_PREFIX"] {
                if let prefix = environment[variable], !prefix.isEmpty { dirs.append(prefix + "/lib") }
            }
            if let root = environment["MKLROOT"], !root.isEmpty { dirs += [root + "/lib/intel64", root + "/lib"] }
            dirs += ["/opt/intel/oneapi/mkl/latest/lib/intel64", "/opt/intel/oneapi/mkl/latest/lib",
                     "/opt/intel/mkl/lib/intel64", "/usr/lib/x86_64-linux-gnu", "/usr/local/lib", "/usr/lib"]
        }
        var seen = Set<String>()
        return dirs.filter { seen.insert($0).inserted }
    }

    /// What to hand `dlopen`, in order: the files that exist in ``directories(for:)``,
    /// then the bare names for the dynamic loader's search (LD_LIBRARY_PATH, ld.so.cache);
    /// and a line per place looked, for the error when none opens.
    public func candidates(for provider: BLASProvider) -> (paths: [String], looked: [String]) {
        let names = BLASLocator.fileNames(provider)
        if case .library(let path) = provider { return ([path], []) }  // dlopen's own message says why
        var paths: [String] = []
        var looked: [String] = []
        for dir in directories(for: provider) {
            let found = names.map { dir + "/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
            paths += found
            looked.append(dir + (found.isEmpty ? " (none there)" : ""))
        }
        paths += names
        looked.append("the dynamic loader's search (LD_LIBRARY_PATH, ld.so.cache) for " + names.joined(separator: ", "))
        return (paths, looked)
    }
}

/// One opened CBLAS library: what it is, which kernels it runs, its threads.
///
/// A process may open several (each with `RTLD_LOCAL`, reached only through its
/// own handle); one at a time is active, the one the blas backend calls.
/// Switching while products run on other threads is not supported.
public final class BLASLibrary: @unchecked Sendable {
    /// How OpenBLAS's kernel family was decided.
    public enum KernelChoice: Equatable, Sendable, CustomStringConvertible {
        /// Mino set OPENBLAS_CORETYPE to this from the CPU's features (the user had not set it).
        case fromFeatures(String)
        /// OPENBLAS_CORETYPE as the user set it.
        case user(String)
        /// OpenBLAS's own detection (no better core known for this CPU, e.g. not x86).
        case library
        /// The library was in the process before Mino opened it: its kernels were fixed then.
        case alreadyLoaded
        /// Not OpenBLAS: the library chooses its own code path.
        case notOpenBLAS

        /// A short tag: `features`, `user`, `library`, `already-loaded`, `not-openblas`.
        public var tag: String {
            switch self {
            case .fromFeatures: return "features"
            case .user: return "user"
            case .library: return "library"
            case .alreadyLoaded: return "already-loaded"
            case .notOpenBLAS: return "not-openblas"
            }
        }

        public var description: String {
            switch self {
            case .fromFeatures(let core): return "OPENBLAS_CORETYPE=\(core) set by Mino from the CPU's features"
            case .user(let core): return "OPENBLAS_CORETYPE=\(core) set by the user"
            case .library: return "OpenBLAS's own detection"
            case .alreadyLoaded: return "fixed before Mino opened the library (it was already loaded)"
            case .notOpenBLAS: return "the library's own dispatch"
            }
        }
    }

    public let provider: BLASProvider
    /// The file `cblas_sgemm` lives in.
    public let path: String
    public let kernelChoice: KernelChoice
    /// MKL's threading layer as chosen when it opened; nil for other libraries.
    public private(set) var threadingLayer: String?
    /// The places looked before this library opened.
    public let searched: [String]
    let table: MinoCBLASTable

    init(provider: BLASProvider, path: String, table: MinoCBLASTable, kernelChoice: KernelChoice, searched: [String]) {
        self.provider = provider
        self.path = path
        self.table = table
        self.kernelChoice = kernelChoice
        self.searched = searched
    }

    public var isOpenBLAS: Bool { table.openblas_get_config != nil }
    public var isMKL: Bool { table.mkl_get_version_string != nil }

    /// `OpenBLAS`, `Intel MKL` or `CBLAS`.
    public var family: String { isOpenBLAS ? "OpenBLAS" : (isMKL ? "Intel MKL" : "CBLAS") }

    /// The library's own description: `OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ... Cooperlake MAX_THREADS=64`,
    /// `Intel(R) oneAPI Math Kernel Library Version 2025.2 ...`.
    public var version: String {
        if let get = table.openblas_get_config, let text = get() { return String(cString: text) }
        if let get = table.mkl_get_version_string {
            var buffer = [CChar](repeating: 0, count: 256)
            get(&buffer, Int32(buffer.count))
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                .trimmingCharacters(in: .whitespaces)
        }
        return family
    }

    /// The kernels in use: OpenBLAS's core name (`SkylakeX`), MKL's code path.
    public var kernel: String? {
        if let get = table.openblas_get_corename, let text = get() { return String(cString: text) }
        if let get = table.mkl_get_version {
            var v = MinoMKLVersion()
            get(&v)
            return v.processor.map { String(cString: $0) }
        }
        return nil
    }

    /// The vector level of OpenBLAS's kernels; nil for other libraries and unknown names.
    public var kernelLevel: VectorLevel? {
        guard isOpenBLAS, let kernel else { return nil }
        return OpenBLASCores.level(of: kernel)
    }

    /// True when OpenBLAS runs SSE or AVX (pre-AVX2) kernels on a CPU with AVX2 or AVX-512.
    public var runsLegacyKernel: Bool {
        guard isOpenBLAS, let cpu = CPUFeatures.current.vectorLevel, cpu >= .avx2 else { return false }
        return (kernelLevel ?? .legacy) < .avx2
    }

    /// What a user should know about the kernels: a legacy kernel on a modern CPU,
    /// a core type OpenBLAS did not take, a user setting below what the CPU has.
    public var warnings: [String] {
        guard isOpenBLAS, let kernel else { return [] }
        var out: [String] = []
        let cpu = CPUFeatures.current.vectorLevel
        if case .fromFeatures(let asked) = kernelChoice, asked.lowercased() != kernel.lowercased(),
           (kernelLevel ?? .legacy) < (OpenBLASCores.level(of: asked) ?? .legacy) {
            out.append("OpenBLAS runs its \(kernel) kernels although Mino asked for \(asked): this build of OpenBLAS "
                       + "lacks them (DYNAMIC_ARCH builds of OpenBLAS 0.3.x have them); MINO_BLAS=mkl is another way")
        }
        let userSet: Bool = { if case .user = kernelChoice { return true } else { return false } }()
        if runsLegacyKernel, let cpu {
            out.append("OpenBLAS runs its \(kernel) (\(kernelLevel ?? .legacy)) kernels on a CPU with \(cpu): "
                       + "matrix products run several times below the machine's speed"
                       + (userSet ? "; unset OPENBLAS_CORETYPE to let Mino choose" : ""))
        } else if let cpu, let level = kernelLevel, level < cpu, case .user(let core) = kernelChoice {
            out.append("OpenBLAS runs \(kernel) (\(level)) kernels because OPENBLAS_CORETYPE=\(core) is set; "
                       + "this CPU has \(cpu)")
        }
        return out
    }

    /// The library's thread count (OpenBLAS's pool, MKL's OpenMP threads); 1 when it has no such control.
    public var threads: Int {
        get {
            if let get = table.openblas_get_num_threads { return Int(get()) }
            if let get = table.mkl_get_max_threads { return Int(get()) }
            return 1
        }
        set {
            let n = Int32(clamping: Swift.max(newValue, 1))
            if let set = table.openblas_set_num_threads { set(n) } else if let set = table.mkl_set_num_threads { set(n) }
        }
    }

    /// One line: `OpenBLAS 0.3.21 ... (kernel SkylakeX, 1 thread) /usr/lib/.../libopenblas.so.0`.
    public var summary: String {
        let t = threads
        return "\(version) (kernel \(kernel ?? "?"), \(t) thread\(t == 1 ? "" : "s")) \(path)"
    }

    /// What `mino backends --verbose` prints for the blas backend, line by line.
    public var details: [(key: String, value: String)] {
        let cpu = CPUFeatures.current
        var lines: [(key: String, value: String)] = [
            ("provider", "\(provider) (\(family))"),
            ("library", path),
            ("version", version),
            ("kernel", (kernel ?? "?") + (kernelLevel.map { " (\($0))" } ?? "") + ", \(kernelChoice)"),
            ("threads", "\(threads)" + (threadingLayer.map { ", \($0)" } ?? "")),
            ("cpu", (cpu.brand.isEmpty ? "?" : cpu.brand)
                + (cpu.vendor.isEmpty ? "" : " (\(cpu.vendor) family \(cpu.family) model \(cpu.model))")),
            ("cpu features", cpu.names.isEmpty ? "none read (not x86-64)" : cpu.names.joined(separator: " ")),
            ("best kernel for this cpu", OpenBLASCores.best(for: cpu).map { "\($0) (\(cpu.vectorLevel ?? .legacy))" }
                ?? "OpenBLAS's own choice"),
        ]
        lines += warnings.map { ("warning", $0) }
        return lines
    }

    // MARK: The process's libraries

    private static let lock = NSLock()
    nonisolated(unsafe) private static var opened: [BLASProvider: BLASLibrary] = [:]
    nonisolated(unsafe) private static var activeLibrary: BLASLibrary?
    /// The thread count last asked for (``BLASThreads/count``): applied to each library made active.
    nonisolated(unsafe) private static var requestedThreadCount: Int?

    static var requestedThreads: Int? {
        lock.lock()
        defer { lock.unlock() }
        return requestedThreadCount
    }

    /// Records `n` for libraries activated later and applies it to the active one.
    static func requestThreads(_ n: Int) {
        lock.lock()
        defer { lock.unlock() }
        requestedThreadCount = n
        activeLibrary?.threads = n
    }

    /// Opens `provider` (once per process; later calls return the same library) without activating it.
    ///
    /// For OpenBLAS where the user has not set `OPENBLAS_CORETYPE`, sets it from the
    /// CPU's features for the moment OpenBLAS initialises (inside `dlopen`).
    ///
    /// - Throws: ``MinoError`` `.backend` listing every place looked when no candidate opens.
    public static func open(_ provider: BLASProvider, locator: BLASLocator = BLASLocator()) throws -> BLASLibrary {
        lock.lock()
        defer { lock.unlock() }
        return try openLocked(provider, locator: locator)
    }

    private static func openLocked(_ provider: BLASProvider, locator: BLASLocator) throws -> BLASLibrary {
        if let library = opened[provider] { return library }
        let library = try find(provider, locator: locator)
        opened[provider] = library
        return library
    }

    /// Searches for `provider` where `locator` says and opens the first candidate that
    /// opens, without recording it as the process's library (``open(_:locator:)`` does).
    ///
    /// - Throws: ``MinoError`` `.backend` listing every place looked when none opens.
    public static func find(_ provider: BLASProvider, locator: BLASLocator) throws -> BLASLibrary {
        let (paths, looked) = locator.candidates(for: provider)
        // MKL ignores OPENBLAS_CORETYPE; any other library may be an OpenBLAS.
        let core = provider == .mkl ? nil : OpenBLASCores.best(for: CPUFeatures.current)
        let userCore = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) }
        var failures: [String] = []
        for path in paths {
            var table = MinoCBLASTable()
            var error = [CChar](repeating: 0, count: 1024)
            let status = path.withCString { p in
                core.map { c in c.withCString { mino_cblas_open(p, $0, &table, &error, error.count) } }
                    ?? mino_cblas_open(p, nil, &table, &error, error.count)
            }
            guard status == 0 else {
                let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                // A bare name the loader does not know is the usual case, not worth a line each.
                if path.contains("/") || !message.contains("No such file") { failures.append(message) }
                continue
            }
            var file = [CChar](repeating: 0, count: 4096)
            let resolved = mino_cblas_file(&table, &file, file.count) == 0
                ? String(decoding: file.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : path
            let choice: KernelChoice
            if table.openblas_get_corename == nil {
                choice = .notOpenBLAS
            } else if table.alreadyLoaded != 0 {
                choice = .alreadyLoaded
            } else if table.coreTypeApplied != 0, let core {
                choice = .fromFeatures(core)
            } else if let userCore, !userCore.isEmpty {
                choice = .user(userCore)
            } else {
                choice = .library
            }
            let library = BLASLibrary(provider: provider, path: resolved, table: table, kernelChoice: choice,
                                      searched: looked)
            library.threadingLayer = chooseMKLThreading(table, file: resolved)
            return library
        }
        let what: String
        switch provider {
        case .openblas: what = "OpenBLAS (libopenblas) not found"
        case .mkl: what = "Intel MKL (libmkl_rt) not found"
        case .library(let path): what = "cannot open the CBLAS library \(path)"
        }
        let fix: String
        switch provider {
        case .openblas: fix = "install it (Debian: apt-get install libopenblas0; scripts/setup.sh does)"
        case .mkl: fix = "`scripts/setup.sh --python` installs the mkl wheel into .venv; or set MINO_BLAS to the "
            + "path of libmkl_rt.so"
        case .library: fix = "check the path, or set MINO_BLAS=openblas"
        }
        throw MinoError(.backend, "blas backend: \(what) (\(environmentNote(provider))). Looked in:\n  "
                        + (looked + failures).joined(separator: "\n  ") + "\nTo fix: \(fix). "
                        + "The other backends (reference, torch) do not need it.")
    }

    /// MKL's OpenMP runtime, decided before its first call: the user's MKL_THREADING_LAYER when
    /// set; else GNU OpenMP where libgomp and MKL's GNU layer are present. PyTorch's wheels
    /// link MKL with GNU OpenMP, and with Intel's libiomp5 (libmkl_rt's default) a 2-thread
    /// sgemm ran at 1 thread's speed on this project's machines (2.56 ms for n = 512 either
    /// way) where the GNU layer ran it at twice the speed. Returns what runs, for the details.
    private static func chooseMKLThreading(_ table: MinoCBLASTable, file: String) -> String? {
        guard let setLayer = table.mkl_set_threading_layer else { return nil }
        if let user = getenv("MKL_THREADING_LAYER").map({ String(cString: $0) }), !user.isEmpty {
            return "\(user) (MKL_THREADING_LAYER set by the user)"
        }
        #if os(Linux)
        let dir = URL(fileURLWithPath: file).deletingLastPathComponent().path
        let hasGNULayer = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .contains { $0.hasPrefix("libmkl_gnu_thread.so") }
        if hasGNULayer && mino_can_open("libgomp.so.1") != 0 {
            let gnu: Int32 = 3  // MKL_THREADING_GNU (mkl_service.h)
            if setLayer(gnu) == gnu { return "GNU OpenMP (set by Mino; MKL_THREADING_LAYER=INTEL to change)" }
        }
        #endif
        return "Intel OpenMP (MKL's default)"
    }

    private static func environmentNote(_ provider: BLASProvider) -> String {
        let set = ProcessInfo.processInfo.environment[BLASProvider.environmentVariable] ?? ""
        return set.isEmpty ? "provider \(provider)" : "\(BLASProvider.environmentVariable)=\(set)"
    }

    /// Opens `provider` and makes it the library the blas backend calls (the Swift API of `MINO_BLAS`).
    ///
    /// - Throws: ``MinoError`` `.backend` when it cannot be found or opened; the active library is then unchanged.
    @discardableResult
    public static func use(_ provider: BLASProvider, locator: BLASLocator = BLASLocator()) throws -> BLASLibrary {
        lock.lock()
        defer { lock.unlock() }
        let library = try openLocked(provider, locator: locator)
        activateLocked(library)
        return library
    }

    private static func activateLocked(_ library: BLASLibrary) {
        if let n = requestedThreadCount { library.threads = n }
        var table = library.table
        mino_cblas_activate(&table)
        activeLibrary = library
    }

    /// The active library: the one ``use(_:locator:)`` chose, else `MINO_BLAS`'s (default OpenBLAS), opened now.
    ///
    /// - Throws: ``MinoError`` when `MINO_BLAS` does not parse or its library cannot be opened.
    public static func current() throws -> BLASLibrary {
        lock.lock()
        defer { lock.unlock() }
        if let activeLibrary { return activeLibrary }
        let library = try openLocked(try BLASProvider.fromEnvironment(), locator: BLASLocator())
        activateLocked(library)
        return library
    }

    /// The active library, if one has been opened; opens none.
    public static var active: BLASLibrary? {
        lock.lock()
        defer { lock.unlock() }
        return activeLibrary
    }

    /// Makes sure a library is active before a gemm: one atomic load once it is.
    @inline(__always)
    static func ensureActive() throws {
        if mino_cblas_is_ready() != 0 { return }
        _ = try current()
    }
}
