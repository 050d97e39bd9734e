import Foundation
import MinoCore
import MinoTorch

// mino-torch-bench leak [--calls 100000] [--threads 1]
do {
    var arguments = Array(CommandLine.arguments.dropFirst())
    let mode = arguments.isEmpty ? "leak" : arguments.removeFirst()
    var options: [String: String] = [:]
    while arguments.count >= 2, arguments[0].hasPrefix("--") {
        options[String(arguments[0].dropFirst(2))] = arguments[1]
        arguments.removeFirst(2)
    }
    let threads = options["threads"].flatMap(Int.init) ?? 1
    let torch = try TorchBackend(try TorchConfiguration(threads: threads))
    switch mode {
    case "leak":
        let samples = try LeakBench.run(on: torch, calls: options["calls"].flatMap(Int.init) ?? 100_000)
        let (text, flat) = LeakBench.report(samples)
        print(text)
        if !flat { exit(1) }
    default:
        FileHandle.standardError.write(Data("unknown mode '\(mode)'\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("mino-torch-bench: \(error)\n".utf8))
    exit(1)
}
