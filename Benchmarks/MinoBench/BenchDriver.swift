import Foundation
import Mino

/// Runs every benchmark and its peer, prints the table, writes the JSON.
struct BenchDriver {
    var settings = BenchSettings()
    var only: Set<String> = BenchDriver.benchmarks
    var threads: [Int] = [1, 2]
    var output = "bench-results/bench.json"

    static let benchmarks: Set<String> = ["matmul", "train", "layers", "tiny", "leak", "lang"]

    struct UsageError: Error, CustomStringConvertible {
        let description: String
    }

    init(arguments: [String]) throws {
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < arguments.count else { throw UsageError(description: "\(arguments[i - 1]) needs a value") }
            return arguments[i]
        }
        while i < arguments.count {
            switch arguments[i] {
            case "--quick": settings.quick = true
            case "--only": only = Set(try value().split(separator: ",").map(String.init))
            case "--threads":
                threads = try value().split(separator: ",").map {
                    guard let n = Int($0), n > 0 else { throw UsageError(description: "bad thread count '\($0)'") }
                    return n
                }
            case "--output": output = try value()
            case "-h", "--help":
                print("usage: mino-bench [--quick] [--only matmul,train,layers,tiny,leak,lang] [--threads 1,2] [--output FILE]")
                exit(0)
            default: throw UsageError(description: "unknown argument '\(arguments[i])' (try --help)")
            }
            i += 1
        }
        let unknown = only.subtracting(BenchDriver.benchmarks)
        guard unknown.isEmpty else { throw UsageError(description: "unknown benchmark(s) \(unknown.sorted())") }
    }

    func log(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    func run() throws {
        let peer = TorchPeer.locate()
        let peerNote: String?
        switch peer {
        case .success(let p): peerNote = nil; log("mino-bench: PyTorch \(p.version) with \(p.python)")
        case .failure(let f): peerNote = "no torch"; log("mino-bench: PyTorch comparisons skipped: \(f)")
        }
        let torch = try? peer.get()
        log("mino-bench: \(BLASThreads.configuration)")
        var records: [Record] = []
        let clock = ContinuousClock()
        let start = clock.now
        if only.contains("matmul") { records += try matmul(torch, peerNote) }
        if only.contains("train") || only.contains("layers") { records += try training(torch, peerNote) }
        if only.contains("layers") { records += try convolution() }
        if only.contains("tiny") { records += try tiny(torch, peerNote) }
        if only.contains("leak") { records += try leak(torch != nil) }
        if only.contains("lang") { records += try language(torch, peerNote) }

        records = Report.flagUnstablePeers(records)
        print(Report.table(records))
        try Report.writeJSON(records, to: output)
        let reached = records.filter { $0.met == true }.count
        let targets = records.filter { $0.met != nil }.count
        let flagged = records.filter { $0.target != nil && $0.met == nil }.count
        print("\n\(reached) of \(targets) targets reached" + (flagged > 0 ? " (\(flagged) not counted: unstable peer)" : "")
              + "; \(records.count) comparisons written to \(output) "
              + "in \(String(format: "%.0f", Timing.seconds(clock.now - start))) s")
    }

    // MARK: matmul

    func matmul(_ torch: TorchPeer?, _ peerNote: String?) throws -> [Record] {
        let blas = try backend(named: "blas")
        let reference = try backend(named: "reference")
        var records: [Record] = []
        for dtype in [DType.float32, .float64] {
            let tag = dtype == .float32 ? "f32" : "f64"
            let gemm = dtype == .float32 ? "cblas_sgemm" : "cblas_dgemm"
            var torchFigures: [Int: [Int: Double]] = [:]  // threads → n → GFLOP/s
            if let torch {
                for t in threads {
                    log("mino-bench: torch.mm \(dtype), \(t) thread(s)")
                    let lines = try torch.run(["matmul", "--dtype", dtype.rawValue, "--threads", "\(t)",
                                               "--sizes", settings.matmulSizes.map(String.init).joined(separator: ","),
                                               "--min-time", "\(settings.blockSeconds)", "--repeats", "\(settings.repeats)"])
                    for line in lines {
                        if let n = line["n"] as? Int, let g = line["gflops"] as? Double { torchFigures[t, default: [:]][n] = g }
                    }
                }
            }
            for n in settings.matmulSizes {
                var blasFigures: [Int: Double] = [:]
                for t in threads {
                    BLASThreads.count = t
                    log("mino-bench: matmul \(dtype) n=\(n), \(t) thread(s)")
                    let (mino, raw) = try MatMulBench.minoAndRaw(n: n, dtype: dtype, on: blas, settings: settings)
                    blasFigures[t] = mino
                    records.append(Record(name: Report.named("matmul \(tag) n=\(n) blas vs raw \(gemm)", threads: t),
                                          mino: mino, peer: raw,
                                          unit: "GFLOP/s", comparison: "blas vs raw \(gemm)", threads: t,
                                          target: n >= 256 ? 0.9 : nil))
                    records.append(Record(name: Report.named("matmul \(tag) n=\(n) blas vs torch.mm", threads: t),
                                          mino: mino,
                                          peer: torchFigures[t]?[n], unit: "GFLOP/s", comparison: "blas vs torch.mm",
                                          threads: t, note: peerNote))
                }
                BLASThreads.count = 1
                log("mino-bench: matmul \(dtype) n=\(n), reference")
                let ref = try MatMulBench.mino(n: n, dtype: dtype, on: reference, settings: settings)
                records.append(Record(name: Report.named("matmul \(tag) n=\(n) reference vs blas", threads: 1),
                                      mino: ref, peer: blasFigures[1],
                                      unit: "GFLOP/s", comparison: "reference vs blas", threads: 1,
                                      target: n == 256 ? 0.2 : nil))
            }
        }
        return records
    }

    // MARK: training

    /// One training configuration measured in its own process.
    struct TrainFigures {
        var steps: Double
        var rss: Double

        /// The better of two rounds: the higher throughput; the higher peak (the cautious memory figure).
        func merged(_ other: TrainFigures?) -> TrainFigures {
            guard let other else { return self }
            return TrainFigures(steps: Swift.max(steps, other.steps), rss: Swift.max(rss, other.rss))
        }
    }

    func training(_ torch: TorchPeer?, _ peerNote: String?) throws -> [Record] {
        var records: [Record] = []
        let targets: [String: Double] = ["digits adam": 5, "digits sgd": 5, "mnist adam": 2, "mnist sgd": 1.2,
                                         "lenet adam": 2, "lstm adam": 1]
        for shape in TrainingShape.all where only.contains(shape.isLayerModel ? "layers" : "train") {
            for optimizer in shape.optimizers {
                for t in threads {
                    let label = "\(shape.name) \(optimizer)"
                    // Rounds alternate the sides (torch, blas, reference, torch, blas, ...) and
                    // keep each side's best round: load from elsewhere on a shared machine then
                    // falls on both sides alike and is filtered the same way.
                    var peer: TrainFigures? = nil
                    var mino: [String: TrainFigures] = [:]
                    // The torch backend runs where the PyTorch peer does (the same Python environment).
                    let backends = ["blas", "reference"] + (torch != nil ? ["torch"] : [])
                    for round in 0..<settings.trainRounds {
                        if let torch {
                            log("mino-bench: train \(label), torch, \(t) thread(s), round \(round + 1)")
                            let line = try torch.run(["train", "--model", shape.name, "--optimizer", optimizer,
                                                      "--threads", "\(t)", "--seconds", "\(settings.trainSeconds)",
                                                      "--repeats", "\(settings.trainRepeats)"]).first
                            if let s = line?["steps_per_s"] as? Double, let m = line?["peak_rss_mb"] as? Double {
                                peer = TrainFigures(steps: s, rss: m).merged(peer)
                            }
                        }
                        for name in backends {
                            // The reference backend has no target and runs one thread whatever is asked: once.
                            if name == "reference" && (round > 0 || (t > 1 && settings.quick) || shape.isLayerModel) { continue }
                            log("mino-bench: train \(label), \(name), \(t) thread(s), round \(round + 1)")
                            let line = try Subprocess.jsonLines(Subprocess.selfPath, [
                                "train-child", "--backend", name, "--model", shape.name, "--optimizer", optimizer,
                                "--threads", "\(t)"] + (settings.quick ? ["--quick"] : [])).first
                            if let s = line?["steps_per_s"] as? Double, let m = line?["peak_rss_mb"] as? Double {
                                mino[name] = TrainFigures(steps: s, rss: m).merged(mino[name])
                            }
                        }
                    }
                    for name in backends where mino[name] != nil {
                        // torch: Mino driven from Swift through the torch backend, at least as fast as Python.
                        let target = name == "blas" ? targets[label] : (name == "torch" ? 1 : nil)
                        records.append(Record(name: Report.named("train \(label) \(name) steps/s", threads: t),
                                              mino: mino[name]?.steps,
                                              peer: peer?.steps, unit: "steps/s", comparison: "\(name) vs torch eager",
                                              threads: t, target: target, note: peerNote))
                        records.append(Record(name: Report.named("train \(label) \(name) peak memory", threads: t),
                                              mino: mino[name]?.rss,
                                              peer: peer?.rss, unit: "MB", comparison: "\(name) vs torch eager",
                                              threads: t, target: name == "blas" ? 3 : nil, note: peerNote))
                    }
                }
            }
        }
        return records
    }

    // MARK: convolution

    /// conv2d forward on blas against the gemm it performs, called directly on
    /// buffers of the same sizes (`[O K] · [K N·L]`), for LeNet's two layers and a wider one.
    func convolution() throws -> [Record] {
        let blas = try backend(named: "blas")
        var records: [Record] = []
        for t in threads {
            BLASThreads.count = t
            for (label, x, w) in [("lenet conv1 64x1x32x32 k3", [64, 1, 32, 32], [6, 1, 3, 3]),
                                  ("lenet conv2 64x6x15x15 k3", [64, 6, 15, 15], [16, 6, 3, 3]),
                                  ("conv 32x32x16x16 k3 pad1", [32, 32, 16, 16], [64, 32, 3, 3])] {
                log("mino-bench: conv2d \(label), \(t) thread(s)")
                let (conv, gemm) = try ConvolutionBench.convAndGemm(x: Shape(x), w: Shape(w), padding: label.hasSuffix("pad1") ? 1 : 0,
                                                                    on: blas, settings: settings)
                records.append(Record(name: Report.named("conv2d \(label) blas vs its gemm", threads: t),
                                      mino: conv, peer: gemm, unit: "GFLOP/s", comparison: "conv2d vs raw cblas_sgemm",
                                      threads: t, target: 0.7))
            }
        }
        BLASThreads.count = 1
        return records
    }

    /// The child process: one training loop, its figures printed as one JSON line.
    static func trainChild(_ arguments: [String]) throws {
        var options: [String: String] = [:]
        var settings = BenchSettings()
        var i = 0
        while i < arguments.count {
            if arguments[i] == "--quick" {
                settings.quick = true
            } else if arguments[i].hasPrefix("--"), i + 1 < arguments.count {
                options[String(arguments[i].dropFirst(2))] = arguments[i + 1]
                i += 1
            }
            i += 1
        }
        guard let shape = TrainingShape.named(options["model"] ?? "digits") else {
            throw UsageError(description: "unknown model '\(options["model"] ?? "")'")
        }
        let optimizer = options["optimizer"] ?? "adam"
        let name = options["backend"] ?? "blas"
        if let t = options["threads"].flatMap(Int.init) {
            // Only the backend measured gets the threads: OpenBLAS's pool, woken beside
            // torch's OpenMP threads, would compete with them for the cores.
            if name == "torch" { try TorchBackend.setThreads(t) } else { BLASThreads.count = t }
        }
        let backend = try backend(named: name)
        let result = try TrainingBench.run(shape, optimizer: optimizer, on: backend, settings: settings)
        let line: [String: Any] = ["steps_per_s": result.stepsPerSecond, "peak_rss_mb": result.peakRSSMegabytes,
                                   "final_loss": result.finalLoss]
        let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    // MARK: tiny

    func tiny(_ torch: TorchPeer?, _ peerNote: String?) throws -> [Record] {
        var records: [Record] = []
        for t in threads {
            // Alternating rounds, the best of each side kept (as for training).
            var peer: Double? = nil
            var mino: [String: Double] = [:]
            BLASThreads.count = t
            let backends = ["blas", "reference"] + (torch != nil ? ["torch"] : [])
            if torch != nil { try TorchBackend.setThreads(t) }
            for round in 0..<settings.trainRounds {
                if let torch {
                    log("mino-bench: tiny forward+backward, torch, \(t) thread(s), round \(round + 1)")
                    if let us = try torch.run(["tiny", "--threads", "\(t)", "--min-time", "\(settings.blockSeconds)",
                                               "--repeats", "\(settings.repeats)"]).first?["us_per_call"] as? Double {
                        peer = Swift.min(us, peer ?? us)
                    }
                }
                for name in backends {
                    log("mino-bench: tiny forward+backward, \(name), \(t) thread(s), round \(round + 1)")
                    let us = try TinyBench.run(on: try backend(named: name), settings: settings)
                    mino[name] = Swift.min(us, mino[name] ?? us)
                }
            }
            for name in backends {
                records.append(Record(name: Report.named("tiny fwd+bwd 10x10 \(name)", threads: t), mino: mino[name],
                                      peer: peer, unit: "us",
                                      comparison: "\(name) vs torch eager", threads: t,
                                      target: name == "blas" ? 5 : nil, note: peerNote))
            }
        }
        return records
    }

    // MARK: leak

    /// 100,000 counted op calls through the torch backend: the resident set,
    /// Python's allocated blocks and gc's objects must stay flat.
    func leak(_ torchAvailable: Bool) throws -> [Record] {
        guard torchAvailable, let torch = try? backend(named: "torch") as? TorchBackend else {
            log("mino-bench: leak skipped: the torch backend is not available")
            return []
        }
        log("mino-bench: 100,000 op calls through the torch backend")
        let samples = try LeakBench.run(on: torch, calls: 100_000)
        let (text, flat) = LeakBench.report(samples)
        print(text + "\n")
        guard let settled = samples.dropFirst().first, let last = samples.last else { return [] }
        let note = flat ? "flat" : "NOT FLAT"
        let calls = "\(settled.calls)–\(last.calls) torch op calls"
        return [
            Record(name: "leak: RSS growth over \(calls)", mino: last.residentMB - settled.residentMB, peer: nil,
                   unit: "MB", comparison: "torch backend", threads: try torch.threadCount(), note: note),
            Record(name: "leak: Python blocks growth over \(calls)", mino: Double(last.blocks - settled.blocks),
                   peer: nil, unit: "blocks", comparison: "torch backend", threads: try torch.threadCount(), note: note),
            Record(name: "leak: gc objects growth over \(calls)", mino: Double(last.objects - settled.objects),
                   peer: nil, unit: "objects", comparison: "torch backend", threads: try torch.threadCount(), note: note),
        ]
    }
}
