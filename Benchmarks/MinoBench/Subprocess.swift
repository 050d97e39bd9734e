import Foundation

/// Runs a child process and collects the JSON objects it prints, one per line.
/// Each side of a comparison runs in a process of its own where peak memory
/// matters, so both peaks are measured the same way.
enum Subprocess {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// glibc gives a freed top of the heap back to the system and the next step takes it
    /// again, a page fault per 4 KiB: whether a process lands in that mode depends on its
    /// heap's layout, and it cost either side of a comparison up to ~40% of a LeNet step
    /// (`mino-bench interop-profile`: ~1,900 faults per step against none; PyTorch's own
    /// LeNet rate swung from 131 to 207 steps/s between runs). Every child, Mino's and
    /// PyTorch's alike, runs with the same tunables, which keep the heap, so a row compares
    /// the work of the steps, not which side drew the trimming (a GLIBC_TUNABLES of the
    /// caller's wins).
    static var allocatorEnvironment: [String: String] {
        ProcessInfo.processInfo.environment["GLIBC_TUNABLES"] != nil ? [:]
            : ["GLIBC_TUNABLES": "glibc.malloc.trim_threshold=268435456:glibc.malloc.mmap_threshold=33554432"]
    }

    /// Runs `executable` with `arguments` and `environment` additions; returns
    /// the JSON objects of its standard output.
    static func jsonLines(_ executable: String, _ arguments: [String],
                          environment: [String: String] = [:]) throws -> [[String: Any]] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in allocatorEnvironment.merging(environment, uniquingKeysWith: { $1 }) { env[k] = v }
        process.environment = env
        let output = Pipe()
        process.standardOutput = output
        // Standard error goes to a file: two pipes read one after the other can deadlock.
        let errorPath = NSTemporaryDirectory() + "mino-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).err"
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errorPath) }
        let errorHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        process.standardError = errorHandle
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? errorHandle.close()
        guard process.terminationStatus == 0 else {
            let errors = (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? ""
            let tail = errors.split(separator: "\n").suffix(5).joined(separator: "\n")
            throw Failure(description: "\(URL(fileURLWithPath: executable).lastPathComponent) \(arguments.first ?? "") "
                          + "exited with status \(process.terminationStatus): \(tail)")
        }
        let text = String(decoding: data, as: UTF8.self)
        return text.split(separator: "\n").compactMap { line in
            guard let bytes = line.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else { return nil }
            return object
        }
    }

    /// This executable's path, for running its own child modes.
    static var selfPath: String {
        if let path = Bundle.main.executablePath { return path }
        return CommandLine.arguments[0]
    }

    /// The project's Python: `MINO_PYTHON`, else `.venv/bin/python` here.
    static func projectPython() -> String? {
        if let path = ProcessInfo.processInfo.environment["MINO_PYTHON"], !path.isEmpty { return path }
        let venv = FileManager.default.currentDirectoryPath + "/.venv/bin/python"
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }
}

/// The PyTorch side: `Benchmarks/torch_bench.py` run with the project's Python.
struct TorchPeer {
    let python: String
    let script: String
    let version: String

    /// The peer, or the reason there is none (no Python environment, no torch).
    static func locate() -> Result<TorchPeer, Subprocess.Failure> {
        guard let python = Subprocess.projectPython() else {
            return .failure(.init(description: "no Python environment (.venv or MINO_PYTHON); run scripts/setup.sh --python"))
        }
        let script = FileManager.default.currentDirectoryPath + "/Benchmarks/torch_bench.py"
        guard FileManager.default.fileExists(atPath: script) else {
            return .failure(.init(description: "Benchmarks/torch_bench.py not found; run from the repository root"))
        }
        do {
            let lines = try Subprocess.jsonLines(python, [script, "version"])
            let version = lines.first?["torch"] as? String ?? "?"
            return .success(TorchPeer(python: python, script: script, version: version))
        } catch {
            return .failure(.init(description: "torch is not importable with \(python): \(error)"))
        }
    }

    func run(_ arguments: [String]) throws -> [[String: Any]] {
        try Subprocess.jsonLines(python, [script] + arguments,
                                 environment: ["OMP_NUM_THREADS": threadArgument(arguments) ?? "1"])
    }

    private func threadArgument(_ arguments: [String]) -> String? {
        guard let i = arguments.firstIndex(of: "--threads"), i + 1 < arguments.count else { return nil }
        return arguments[i + 1]
    }
}
