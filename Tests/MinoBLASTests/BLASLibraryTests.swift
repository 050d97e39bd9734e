import Foundation
import XCTest
import Mino

/// Which BLAS runs: the provider (MINO_BLAS, BLASLibrary.use), OpenBLAS's
/// kernel family chosen from the CPU's features, the user's OPENBLAS_CORETYPE
/// respected. Checks that depend on the environment run `MinoLibraryExample`
/// (a program that uses Mino as a library) in a child process with its own
/// environment, so this process's settings are never changed.
final class BLASLibraryTests: XCTestCase {
    // MARK: Parsing and tables

    func testProvidersParse() throws {
        XCTAssertEqual(try BLASProvider(parsing: "openblas"), .openblas)
        XCTAssertEqual(try BLASProvider(parsing: " MKL "), .mkl)
        XCTAssertEqual(try BLASProvider(parsing: "/opt/lib/libblis.so"), .library("/opt/lib/libblis.so"))
        XCTAssertEqual(try BLASProvider.fromEnvironment([:]), .openblas)
        XCTAssertEqual(try BLASProvider.fromEnvironment(["MINO_BLAS": "mkl"]), .mkl)
        XCTAssertThrowsError(try BLASProvider(parsing: "blis")) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .argument)
            XCTAssertTrue("\(error)".contains("use openblas, mkl or the path"), "\(error)")
        }
    }

    /// The core type asked for at each feature set, and the level of OpenBLAS's names.
    func testCoreTypesFollowTheFeatures() {
        let avx512 = ["sse3", "avx", "fma", "avx2", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"]
        XCTAssertEqual(OpenBLASCores.best(for: CPUFeatures(names: avx512)), "SkylakeX")
        // AVX-512 F alone (Knights Landing: no BW/VL/DQ) has no SkylakeX kernels.
        XCTAssertEqual(OpenBLASCores.best(for: CPUFeatures(names: ["avx", "fma", "avx2", "avx512f", "avx512cd"])),
                       "Haswell")
        XCTAssertEqual(OpenBLASCores.best(for: CPUFeatures(names: ["avx", "fma", "avx2"])), "Haswell")
        XCTAssertEqual(OpenBLASCores.best(for: CPUFeatures(names: ["avx", "avx2"])), "Sandybridge")  // no FMA
        XCTAssertNil(OpenBLASCores.best(for: CPUFeatures(names: ["sse3"])))
        XCTAssertNil(OpenBLASCores.best(for: CPUFeatures(names: [])))  // not x86: OpenBLAS decides
        XCTAssertEqual(OpenBLASCores.level(of: "Prescott"), .legacy)
        XCTAssertEqual(OpenBLASCores.level(of: "COOPERLAKE"), .avx512)
        XCTAssertEqual(OpenBLASCores.level(of: "Zen"), .avx2)
        XCTAssertNil(OpenBLASCores.level(of: "NEOVERSEN1"))
    }

    /// cpuid as this process reads it agrees with the kernel's own reading (/proc/cpuinfo).
    func testCPUFeaturesAgreeWithProcCpuinfo() throws {
        guard let flags = procCpuinfoFlags() else { throw XCTSkip("no /proc/cpuinfo flags (not Linux x86)") }
        for name in ["avx", "fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq"] {
            XCTAssertEqual(CPUFeatures.current.has(name), flags.contains(name), name)
        }
    }

    // MARK: The library in this process

    /// Where the CPU has AVX2 or AVX-512, OpenBLAS's kernels are not SSE/AVX ones.
    func testTheOpenBLASKernelIsNotLegacy() throws {
        let library = try BLASLibrary.open(.openblas)
        guard let cpu = CPUFeatures.current.vectorLevel, cpu >= .avx2 else {
            throw XCTSkip("the CPU has no AVX2: no kernel level to expect")
        }
        if case .user(let core) = library.kernelChoice, (OpenBLASCores.level(of: core) ?? .legacy) < .avx2 {
            throw XCTSkip("OPENBLAS_CORETYPE=\(core) is set in this environment; the child-process tests cover the default")
        }
        let kernel = try XCTUnwrap(library.kernel)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(library.kernelLevel, "unknown kernel \(kernel)"), .avx2, kernel)
        XCTAssertFalse(library.runsLegacyKernel)
        XCTAssertTrue(library.version.contains("OpenBLAS"), library.version)
    }

    func testAMissingLibraryIsAClearErrorAndOtherBackendsWork() throws {
        let path = "/nonexistent/mino/libcblas.so"
        XCTAssertThrowsError(try BLASLibrary.find(.library(path), locator: BLASLocator())) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .backend)
            XCTAssertTrue("\(error)".contains(path), "\(error)")
        }
        // MKL looked for where there is none: every place looked is listed.
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("mino-no-mkl-\(getpid())").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let locator = BLASLocator(environment: ["MINO_PYTHON": empty + "/env/bin/python"], currentDirectory: empty,
                                  sourceCheckout: nil)
        let (paths, looked) = locator.candidates(for: .mkl)
        XCTAssertTrue(looked.contains(empty + "/env/lib (none there)"), "\(looked)")
        XCTAssertTrue(looked.contains(empty + "/.venv/lib (none there)"), "\(looked)")
        XCTAssertFalse(paths.contains { $0.hasPrefix(empty) })
        if (try? BLASLibrary.find(.mkl, locator: locator)) == nil {
            XCTAssertThrowsError(try BLASLibrary.find(.mkl, locator: locator)) { error in
                XCTAssertTrue("\(error)".contains("Intel MKL (libmkl_rt) not found"), "\(error)")
                XCTAssertTrue("\(error)".contains(empty + "/.venv/lib"), "\(error)")
                XCTAssertTrue("\(error)".contains("scripts/setup.sh --python"), "\(error)")
            }
        }
        XCTAssertEqual(try Tensor([1, 2], shape: [2], on: try backend(named: "reference")).sum().item(), 3)
    }

    /// `mino backends --verbose`'s lines for blas name the library that is open, its kernel and the CPU.
    func testDetailsSayWhatRuns() throws {
        let library = try BLASLibrary.current()
        let details = Dictionary(backendDetails("blas").map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(details["library"], library.path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: library.path), library.path)
        XCTAssertEqual(details["version"], library.version)
        XCTAssertTrue(details["kernel"]?.hasPrefix(library.kernel ?? "-") == true, "\(details)")
        XCTAssertTrue(details["threads"]?.hasPrefix("\(library.threads)") == true, "\(details)")
        if let flags = procCpuinfoFlags(), flags.contains("avx2") {
            XCTAssertTrue(details["cpu features"]?.split(separator: " ").contains("avx2") == true, "\(details)")
        }
    }

    // MARK: A program that uses the library, in its own environment

    /// With OPENBLAS_CORETYPE unset, a library user gets the kernel family of the CPU's
    /// widest vectors (SkylakeX-class on AVX-512), and Mino's setting does not leak to children.
    func testALibraryProgramGetsTheCPUsBestKernel() throws {
        let out = try runExample(["OPENBLAS_CORETYPE": nil, "OPENBLAS_THREAD_TIMEOUT": nil, "MINO_BLAS": nil,
                                  "MINO_BACKEND": nil])
        XCTAssertEqual(out["backend"] as? String, "blas")
        XCTAssertEqual(out["family"] as? String, "OpenBLAS")
        XCTAssertLessThan(try XCTUnwrap(out["max_difference"] as? Double), 1e-4)
        XCTAssertTrue(out["OPENBLAS_CORETYPE_after"] is NSNull, "\(out)")
        XCTAssertTrue(out["OPENBLAS_THREAD_TIMEOUT_after"] is NSNull, "the spin timeout is set only while OpenBLAS loads: \(out)")
        // The oracle: the kernel's own /proc/cpuinfo, not Mino's cpuid reading.
        guard let flags = procCpuinfoFlags() else { throw XCTSkip("no /proc/cpuinfo flags (not Linux x86)") }
        let kernel = out["kernel"] as? String ?? ""
        if ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) {
            XCTAssertEqual(out["kernel_choice"] as? String, "features", "\(out)")
            XCTAssertEqual(OpenBLASCores.level(of: kernel), .avx512, "AVX-512 CPU runs \(kernel)")
        } else if flags.contains("avx2") && flags.contains("fma") {
            XCTAssertEqual(OpenBLASCores.level(of: kernel), .avx2, "AVX2 CPU runs \(kernel)")
        }
    }

    /// The user's OPENBLAS_CORETYPE wins over Mino's choice.
    func testAUserCoreTypeIsRespected() throws {
        guard CPUFeatures.current.has("avx2") && CPUFeatures.current.has("fma") else {
            throw XCTSkip("Haswell kernels need AVX2 and FMA")
        }
        let out = try runExample(["OPENBLAS_CORETYPE": "Haswell", "MINO_BLAS": nil, "MINO_BACKEND": nil])
        XCTAssertEqual(out["kernel"] as? String, "Haswell", "\(out)")
        XCTAssertEqual(out["kernel_choice"] as? String, "user")
        XCTAssertEqual(out["OPENBLAS_CORETYPE_after"] as? String, "Haswell")
        XCTAssertLessThan(try XCTUnwrap(out["max_difference"] as? Double), 1e-4)
    }

    /// MINO_BLAS=mkl runs the products on MKL (where the project's .venv has the mkl wheel).
    func testMINO_BLASPicksMKL() throws {
        guard let mkl = try? BLASLibrary.find(.mkl, locator: BLASLocator()) else {
            throw XCTSkip("no libmkl_rt here (scripts/setup.sh --python installs it)")
        }
        let out = try runExample(["MINO_BLAS": "mkl", "MINO_BACKEND": nil])
        XCTAssertEqual(out["provider"] as? String, "mkl")
        XCTAssertEqual(out["family"] as? String, "Intel MKL")
        XCTAssertEqual(out["library"] as? String, mkl.path)
        XCTAssertLessThan(try XCTUnwrap(out["max_difference"] as? Double), 1e-4)
    }

    /// An unknown provider fails the program with the error, not a crash.
    func testABadMINO_BLASFailsWithTheError() throws {
        let (status, _, errors) = try run(["MINO_BLAS": "/nonexistent/libcblas.so", "MINO_BACKEND": nil])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(errors.contains("cannot open the CBLAS library /nonexistent/libcblas.so"), errors)
    }

    // MARK: Helpers

    func procCpuinfoFlags() -> Set<String>? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return nil }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// The example program, built beside this test bundle.
    func examplePath() throws -> String {
        // The products directory: the bundle's URL on Linux, the .xctest bundle's folder on macOS.
        let bundle = Bundle(for: BLASLibraryTests.self).bundleURL
        let paths = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("MinoLibraryExample").path }
        guard let path = paths.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            throw XCTSkip("MinoLibraryExample is not built in \(paths) (swift build --build-tests builds it)")
        }
        return path
    }

    /// Runs the example with this environment changed by `changes` (nil removes a variable).
    func run(_ changes: [String: String?]) throws -> (Int32, String, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try examplePath())
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in changes { environment[key] = value }
        process.environment = environment
        let output = Pipe()
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("mino-example-\(getpid()).err")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        process.standardOutput = output
        process.standardError = errorHandle
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try errorHandle.close()
        let errors = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        return (process.terminationStatus, String(decoding: data, as: UTF8.self), errors)
    }

    func runExample(_ changes: [String: String?]) throws -> [String: Any] {
        let (status, output, errors) = try run(changes)
        XCTAssertEqual(status, 0, errors)
        let line = try XCTUnwrap(output.split(separator: "\n").last, "no output; stderr: \(errors)")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}
