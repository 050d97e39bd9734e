import Foundation
import MinoCore
import MinoPython
import MinoTorch

// mino-torch-bench: the torch backend against PyTorch driven from Python.
//
//   mino-torch-bench [all|train|overhead|leak] [--threads N] [--quick] [--calls 100000]
//
//   train     digits-shape (MLP 64-32-10 sigmoid, batch 64) and MNIST-shape
//             (784-512-512-10 ReLU, batch 128) training loops, SGD and Adam:
//             Mino from Swift through the torch backend vs the same loop in
//             Python, steps/s and their ratio (above 1: Mino is faster).
//   overhead  per-op overhead: a tiny 10x10 forward+backward and one add, in
//             microseconds per call, beside PyTorch's own from Python.
//   leak      100,000 op calls; resident set, Python's allocated blocks and
//             gc objects must stay flat (exit status 1 if not).
//
// The Python loops run in the same embedded interpreter, with the same torch
// and thread count, in blocks alternating with Mino's (best block reported).

struct UsageError: Error, CustomStringConvertible { let description: String }

do {
    var mode = "all"
    var threads = 1, calls = 100_000, quick = false
    var arguments = Array(CommandLine.arguments.dropFirst())
    if let first = arguments.first, !first.hasPrefix("--") { mode = arguments.removeFirst() }
    while !arguments.isEmpty {
        let flag = arguments.removeFirst()
        switch flag {
        case "--quick": quick = true
        case "--threads", "--calls":
            guard let text = arguments.first, let n = Int(text), n > 0 else {
                throw UsageError(description: "\(flag) needs a positive number")
            }
            arguments.removeFirst()
            if flag == "--threads" { threads = n } else { calls = n }
        default: throw UsageError(description: "unknown argument '\(flag)'")
        }
    }
    guard ["all", "train", "overhead", "leak"].contains(mode) else { throw UsageError(description: "unknown mode '\(mode)'") }

    let torch = try TorchBackend(try TorchConfiguration(threads: threads))
    print("torch \(torch.torchVersion), \(try torch.threadCount()) thread(s), Python \(torch.pythonEnvironment.versionString) "
          + "(\(torch.pythonEnvironment.executable))")
    var flat = true
    if mode == "all" || mode == "train" || mode == "overhead" {
        let loops = try PythonLoops.load(try PythonInterpreter.shared)
        var rows: [Comparison] = []
        if mode != "overhead" { rows += try Comparisons.training(torch, loops: loops, quick: quick) }
        if mode != "train" { rows += try Comparisons.overhead(torch, loops: loops, quick: quick) }
        print("\n" + Comparison.header)
        for row in rows { print(row.line) }
        print("(ratio: PyTorch's time ÷ Mino's; above 1, Mino through the torch backend is faster)")
    }
    if mode == "all" || mode == "leak" {
        let (text, ok) = LeakBench.report(try LeakBench.run(on: torch, calls: calls))
        print("\n\(calls) op calls through the torch backend:\n" + text)
        flat = ok
    }
    if !flat { exit(1) }
} catch {
    FileHandle.standardError.write(Data("mino-torch-bench: \(error)\n".utf8))
    exit(1)
}
