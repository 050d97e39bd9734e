import Foundation
import Mino
import MinoLang

/// The `.mu` language's costs beside Swift and CPython: a small function call, a tiny
/// tensor op, start-up, and training a mu-defined MLP against the same MLP built with
/// the Swift API.
enum LanguageBench {
    /// Microseconds per run of compiled forms (no parsing or compiling in the loop).
    static func evaluated(_ setup: String, _ call: String, on backend: any Backend, settings: BenchSettings) throws -> Double {
        let interpreter = Interpreter(backend: backend, output: { _ in })
        try interpreter.evaluate(source: setup)
        let compiled = try interpreter.compile(source: call)
        for _ in 0..<1000 { try compiled.run() }
        return try Timing.medianSecondsPerCall(blockSeconds: settings.blockSeconds, repeats: settings.repeats) {
            _ = try compiled.run()
        } * 1e6
    }

    /// `(+ x y)` evaluated and `x + y` through the Swift API on the same 10-element
    /// tensors, timed in alternating blocks; microseconds per call (mu, Swift).
    static func tinyAdd(on backend: any Backend, settings: BenchSettings) throws -> (Double, Double) {
        let interpreter = Interpreter(backend: backend, output: { _ in })
        try interpreter.evaluate(source: "(import torch) (torch.manual_seed 0) (setv x (torch.randn 10) y (torch.randn 10))")
        let compiled = try interpreter.compile(source: "(+ x y)")
        guard let x = interpreter.globals.value("x")?.tensor, let y = interpreter.globals.value("y")?.tensor else {
            throw BenchDriver.UsageError(description: "no tensors x and y")
        }
        for _ in 0..<1000 { _ = try compiled.run(); _ = try x + y }
        let (mu, swift) = try Timing.interleavedMedians(blockSeconds: settings.blockSeconds, repeats: settings.repeats * 2,
                                                        { _ = try compiled.run() }, { _ = try x + y })
        return (mu * 1e6, swift * 1e6)
    }

    /// A Swift closure call doing the same integer addition, microseconds per call.
    static func swiftCall(settings: BenchSettings) throws -> Double {
        var sink = 0
        let f: (Int, Int) -> Int = { $0 &+ $1 }
        let seconds = Timing.medianSecondsPerCall(blockSeconds: settings.blockSeconds, repeats: settings.repeats) {
            sink = f(sink & 1, 2)
        }
        if sink == -1 { print(sink) }
        return seconds * 1e6
    }

    /// Seconds to start a process and finish, the best of `runs` runs.
    static func startup(_ executable: String, _ arguments: [String], runs: Int = 5) throws -> Double {
        var best = Double.infinity
        for _ in 0..<runs {
            let clock = ContinuousClock()
            let start = clock.now
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw BenchDriver.UsageError(description: "\(executable) \(arguments.joined(separator: " ")) failed")
            }
            best = Swift.min(best, Timing.seconds(clock.now - start))
        }
        return best
    }

    /// The digits-shape MLP (64-32-10, sigmoid, batch 64, Adam) defined with mu.
    static let muModel = """
        (require [mino.mu [*]] [mino.thread [*]])
        (import torch [torch.nn :as nn] [torch.nn.functional :as F] [torch.optim [Adam]])
        (defmu MLP [x hidden output] (-> x hidden torch.sigmoid output))
        (setv model (MLP :hidden (nn.Linear 64 32) :output (nn.Linear 32 10)))
        (setv optimizer (Adam (.parameters model) :lr 0.001))
        (defn step [x y]
          (.zero_grad optimizer)
          (setv loss (F.cross_entropy (model x) y))
          (.backward loss)
          (.step optimizer)
          loss)
        """

    /// The child process: the mu MLP's training loop, its figures as one JSON line.
    static func muTrainChild(_ arguments: [String]) throws {
        let (options, settings) = BenchSettings.childOptions(arguments)
        if let t = options["threads"].flatMap(Int.init) { BLASThreads.count = t }
        let backend = try backend(named: "blas")
        let interpreter = Interpreter(backend: backend, output: { _ in })
        try interpreter.evaluate(source: muModel)
        guard case .function(let step)? = interpreter.globals.value("step") else {
            throw BenchDriver.UsageError(description: "the mu model defines no step")
        }
        guard let shape = TrainingShape.named("digits") else { throw BenchDriver.UsageError(description: "no digits shape") }
        let data = RandomGenerator(seed: 1)
        let xs = try (0..<TrainingBench.dataBatches).map { _ in
            try Tensor.randn([shape.batch, shape.sizes[0]], generator: data, on: backend)
        }
        let ys = try (0..<TrainingBench.dataBatches).map { _ in
            try Tensor((0..<shape.batch).map { _ in Int64(data.nextInt(below: 10)) }, shape: [shape.batch], on: backend)
        }
        try reportSteps(step, xs, ys, warmup: 50, settings: settings)
    }

    /// Times a `.mu` step function `(step x y)` over the batches, after `warmup` steps, and
    /// prints the child process's JSON line (steps per second, peak memory).
    static func reportSteps(_ step: Function, _ xs: [Tensor], _ ys: [Tensor], warmup: Int, settings: BenchSettings) throws {
        var i = 0
        func run() throws {
            let k = i % xs.count
            i += 1
            _ = try step.call([.tensor(xs[k]), .tensor(ys[k])])
        }
        for _ in 0..<warmup { try run() }
        let seconds = try Timing.medianSecondsPerCall(blockSeconds: settings.trainSeconds / Double(settings.trainRepeats),
                                                      repeats: settings.trainRepeats, run)
        let line: [String: Any] = ["steps_per_s": 1 / seconds, "peak_rss_mb": TrainingBench.peakRSSMegabytes()]
        print(String(decoding: try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]), as: UTF8.self))
    }
}

extension BenchDriver {
    func language(_ torch: TorchPeer?, _ peerNote: String?) throws -> [Record] {
        var records: [Record] = []
        let blas = try backend(named: "blas")
        BLASThreads.count = 1
        let python = Subprocess.projectPython()
        let script = FileManager.default.currentDirectoryPath + "/Benchmarks/lang_bench.py"

        log("mino-bench: language, a small function call")
        let muCall = try LanguageBench.evaluated("(defn f [x y] (+ x y))", "(f 1 2)", on: blas, settings: settings)
        let swiftCall = try LanguageBench.swiftCall(settings: settings)
        let pythonCall = try python.flatMap { try Subprocess.jsonLines($0, [script, "call"]).first?["us_per_call"] as? Double }
        records.append(Record(name: "lang call (f 1 2) vs CPython", mino: muCall, peer: pythonCall, unit: "us",
                              comparison: "mu vs CPython def f(x, y)", threads: 1, note: python == nil ? "no python" : nil))
        records.append(Record(name: "lang call (f 1 2) vs Swift", mino: muCall, peer: swiftCall, unit: "us",
                              comparison: "mu vs a Swift closure", threads: 1))

        log("mino-bench: language, a tiny tensor op")
        let (muAdd, swiftAdd) = try LanguageBench.tinyAdd(on: blas, settings: settings)
        let torchAdd = try torch.flatMap { try Subprocess.jsonLines($0.python, [script, "tiny-add"]).first?["us_per_call"] as? Double }
        // The evaluated op may cost at most 1.3× the Swift API call: ratio (Swift/mu) ≥ 1/1.3.
        records.append(Record(name: "lang tiny (+ x y) 10 elems vs Swift API", mino: muAdd, peer: swiftAdd, unit: "us",
                              comparison: "mu vs Tensor + Tensor in Swift", threads: 1, target: 1 / 1.3))
        records.append(Record(name: "lang tiny (+ x y) 10 elems vs torch.add", mino: muAdd, peer: torchAdd, unit: "us",
                              comparison: "mu vs torch.add in CPython", threads: 1, note: peerNote))

        log("mino-bench: language, start-up")
        let mino = URL(fileURLWithPath: Subprocess.selfPath).deletingLastPathComponent().appendingPathComponent("mino").path
        if FileManager.default.isExecutableFile(atPath: mino) {
            let minoStart = try LanguageBench.startup(mino, ["eval", "1"])
            let torchStart = try torch.map { try LanguageBench.startup($0.python, ["-c", "import torch"]) }
            records.append(Record(name: "lang start-up mino eval '1' vs python -c 'import torch'", mino: minoStart * 1e6,
                                  peer: torchStart.map { $0 * 1e6 }, unit: "us", comparison: "mino eval vs importing torch",
                                  threads: 1, target: 10, note: peerNote))
        } else {
            log("mino-bench: \(mino) is not built; start-up row skipped (swift build -c release --product mino)")
        }

        for t in threads {
            var mu: TrainFigures? = nil, swift: TrainFigures? = nil
            for round in 0..<settings.trainRounds {
                log("mino-bench: train digits adam, mu model vs Swift API, \(t) thread(s), round \(round + 1)")
                let quick = settings.quick ? ["--quick"] : []
                if let line = try Subprocess.jsonLines(Subprocess.selfPath, ["mu-train-child", "--threads", "\(t)"] + quick).first,
                   let s = line["steps_per_s"] as? Double, let m = line["peak_rss_mb"] as? Double {
                    mu = TrainFigures(steps: s, rss: m).merged(mu)
                }
                if let line = try Subprocess.jsonLines(Subprocess.selfPath, [
                    "train-child", "--backend", "blas", "--model", "digits", "--optimizer", "adam", "--threads", "\(t)"] + quick).first,
                   let s = line["steps_per_s"] as? Double, let m = line["peak_rss_mb"] as? Double {
                    swift = TrainFigures(steps: s, rss: m).merged(swift)
                }
            }
            records.append(Record(name: Report.named("train digits adam mu model steps/s", threads: t), mino: mu?.steps,
                                  peer: swift?.steps, unit: "steps/s", comparison: "mu model vs Swift API MLP (blas)",
                                  threads: t, target: 0.9))
            records.append(Record(name: Report.named("train digits adam mu model peak memory", threads: t), mino: mu?.rss,
                                  peer: swift?.rss, unit: "MB", comparison: "mu model vs Swift API MLP (blas)",
                                  threads: t, target: 1 / 1.2))
        }
        _ = blas
        return records
    }
}
