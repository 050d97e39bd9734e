import Foundation
import Mino

/// Runs every benchmark and its peer, prints the table, writes the JSON.
struct BenchDriver {
    var settings = BenchSettings()
    var only: Set<String> = BenchDriver.benchmarks
    var threads: [Int] = [1, 2]
    var output = "bench-results/bench.json"
    /// The BLAS libraries to compare, each where it opens (MINO_BLAS's spellings).
    var providers = ["openblas", "mkl"]

    static let benchmarks: Set<String> = ["matmul", "train", "layers", "tiny", "leak", "lang", "interop"]

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
            case "--providers": providers = try value().split(separator: ",").map(String.init)
            case "-h", "--help":
                print("usage: mino-bench [--quick] [--only matmul,train,layers,tiny,leak,lang,interop] [--threads 1,2] "
                      + "[--providers openblas,mkl] [--output FILE]")
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
        let clock = ContinuousClock()
        let start = clock.now
        let blas = BenchProvider.available(providers, log: log)
        log("mino-bench: measuring the FMA peak")
        var peak = FMAPeak.measure(settings)
        var records = header(blas, peak)
        if only.contains("matmul") {
            let (rows, best) = try matmul(torch, peerNote, blas, peak)
            records += rows
            peak = best
        }
        if let peak {
            records.insert(Record(name: "FMA peak per thread, float32, \(peak.vectors)", mino: peak.gflops, peer: nil,
                                  unit: "GFLOP/s", comparison: "machine", threads: 1), at: blas.count)
        }
        if only.contains("train") || only.contains("layers") { records += try training(torch, peerNote, blas) }
        if only.contains("layers") { records += try convolution() }
        if only.contains("tiny") { records += try tiny(torch, peerNote) }
        if only.contains("leak") { records += try leak(torch != nil) }
        if only.contains("lang") { records += try language(torch, peerNote) }
        if only.contains("interop") { records += try interop(torch, peerNote) }

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

    // MARK: header

    /// Prints which BLAS runs (and a warning for a legacy OpenBLAS kernel on an AVX2 or
    /// AVX-512 CPU) and the FMA peak at the start; returns the libraries as records for the JSON.
    func header(_ blas: [BenchProvider], _ peak: FMAPeak.Figure?) -> [Record] {
        var records: [Record] = []
        let cpu = CPUFeatures.current
        print("CPU: \(cpu.brand) (\(cpu.vendor) family \(cpu.family) model \(cpu.model)), "
              + "widest vectors \(cpu.vectorLevel?.description ?? "unknown")")
        for p in blas {
            print("BLAS \(p.name): \(p.summary)")
            for warning in p.warnings { print("WARNING (\(p.name)): \(warning)") }
            records.append(Record(name: "blas[\(p.name)] library", mino: nil, peer: nil, unit: "", comparison: "library",
                                  threads: 0, note: ([p.summary] + p.warnings).joined(separator: "; "), provider: p.name))
        }
        if blas.isEmpty { print("WARNING: no BLAS library opened; the blas rows are missing") }
        print("blas native kernels: \(NativeKernels.summary)")
        if let peak {
            print("FMA peak: \(Report.format(peak.gflops)) GFLOP/s float32 per thread (\(peak.vectors), register-only "
                  + "loop; each matmul child measures it again and the best counts); float64 rows against half of it, "
                  + "n threads against n times it")
        } else {
            print("FMA peak: not measured (no AVX2+FMA or AVX-512 here); no fraction-of-peak figures")
        }
        print("")
        return records
    }

    // MARK: matmul

    /// What one dtype's products measured: torch.mm, each provider (Mino, raw cblas), the reference backend.
    struct MatMulFigures {
        var torch: [Int: [Int: Double]] = [:]  // threads → n → GFLOP/s
        var blas: [String: [Int: [Int: (mino: Double, raw: Double)]]] = [:]  // provider → n → threads
        var reference: [Int: Double] = [:]  // n → GFLOP/s
    }

    /// The matmul rows, and the FMA peak they were judged against: the best of the parent's
    /// measurement and each child's (load from elsewhere only ever lowers a measurement, so
    /// the best is the cautious denominator).
    func matmul(_ torch: TorchPeer?, _ peerNote: String?, _ providers: [BenchProvider],
                _ startPeak: FMAPeak.Figure?) throws -> (records: [Record], peak: FMAPeak.Figure?) {
        let reference = try backend(named: "reference")
        let sizes = settings.matmulSizes.map(String.init).joined(separator: ",")
        var peak = startPeak
        var measured: [DType: MatMulFigures] = [:]
        for dtype in [DType.float32, .float64] {
            var f = MatMulFigures()
            if let torch {
                for t in threads {
                    log("mino-bench: torch.mm \(dtype), \(t) thread(s)")
                    let lines = try torch.run(["matmul", "--dtype", dtype.rawValue, "--threads", "\(t)",
                                               "--sizes", sizes,
                                               "--min-time", "\(settings.blockSeconds)", "--repeats", "\(settings.repeats)"])
                    for line in lines {
                        if let n = line["n"] as? Int, let g = line["gflops"] as? Double { f.torch[t, default: [:]][n] = g }
                    }
                }
            }
            // Each provider in its own process.
            for p in providers {
                log("mino-bench: matmul \(dtype) on \(p.name), \(threads) thread(s)")
                let lines = try Subprocess.jsonLines(Subprocess.selfPath, [
                    "matmul-child", "--dtype", dtype.rawValue, "--sizes", sizes,
                    "--threads", threads.map(String.init).joined(separator: ",")] + (settings.quick ? ["--quick"] : []),
                    environment: p.environment)
                for line in lines {
                    if let n = line["n"] as? Int, let t = line["threads"] as? Int, let mino = line["mino"] as? Double,
                       let raw = line["raw"] as? Double {
                        f.blas[p.name, default: [:]][n, default: [:]][t] = (mino, raw)
                    }
                    if let g = line["fma_peak"] as? Double, let vectors = line["vectors"] as? String, g > (peak?.gflops ?? 0) {
                        peak = FMAPeak.Figure(gflops: g, vectors: vectors)
                    }
                }
            }
            BLASThreads.count = 1
            for n in settings.matmulSizes {
                log("mino-bench: matmul \(dtype) n=\(n), reference")
                f.reference[n] = try MatMulBench.mino(n: n, dtype: dtype, on: reference, settings: settings)
            }
            measured[dtype] = f
        }

        var records: [Record] = []
        for dtype in [DType.float32, .float64] {
            guard let f = measured[dtype] else { continue }
            let tag = dtype == .float32 ? "f32" : "f64"
            let gemm = dtype == .float32 ? "cblas_sgemm" : "cblas_dgemm"
            // float64 FMAs carry half the lanes of float32 ones.
            let peakPerThread = peak.map { dtype == .float32 ? $0.gflops : $0.gflops / 2 }
            for n in settings.matmulSizes {
                for p in providers {
                    for t in threads {
                        guard let (mino, raw) = f.blas[p.name]?[n]?[t] else { continue }
                        let label = "matmul \(tag) n=\(n) blas[\(p.name)]"
                        let peakFigure = peakPerThread.map { $0 * Double(t) }
                        let fraction = peakFigure.map { mino / $0 }
                        records.append(Record(name: Report.named("\(label) vs raw \(gemm)", threads: t),
                                              mino: mino, peer: raw, unit: "GFLOP/s",
                                              comparison: "blas[\(p.name)] vs raw \(gemm)", threads: t,
                                              target: n >= 256 ? 0.9 : nil, provider: p.name, peakFraction: fraction))
                        records.append(Record(name: Report.named("\(label) vs torch.mm", threads: t),
                                              mino: mino, peer: f.torch[t]?[n], unit: "GFLOP/s",
                                              comparison: "blas[\(p.name)] vs torch.mm", threads: t,
                                              target: p.provider == .mkl && n >= 256 ? 0.9 : nil, note: peerNote,
                                              provider: p.name, peakFraction: fraction))
                        if let peakFigure {
                            let target = p.provider == .openblas && dtype == .float32 && n >= 256 && t == 1 ? 0.65 : nil
                            records.append(Record(name: Report.named("\(label) vs FMA peak", threads: t),
                                                  mino: mino, peer: peakFigure, unit: "GFLOP/s",
                                                  comparison: "blas[\(p.name)] vs FMA peak", threads: t,
                                                  target: target, provider: p.name, peakFraction: fraction))
                        }
                    }
                }
                let base = providers.first
                let ref = f.reference[n]
                records.append(Record(name: Report.named("matmul \(tag) n=\(n) reference vs blas[\(base?.name ?? "-")]",
                                                         threads: 1),
                                      mino: ref, peer: base.flatMap { f.blas[$0.name]?[n]?[1]?.mino },
                                      unit: "GFLOP/s", comparison: "reference vs blas", threads: 1,
                                      target: n == 256 ? 0.2 : nil,
                                      peakFraction: ref.flatMap { r in peakPerThread.map { r / $0 } }))
            }
        }
        return (records, peak)
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

    /// One side of a training comparison: a backend, and for blas the library it runs on.
    struct TrainSide {
        let label: String
        let backend: String
        let provider: BenchProvider?
    }

    /// The ratio asked of `side` against PyTorch: OpenBLAS's (the default) from issues 5 and 14,
    /// MKL's from issue 14; torch's own backend at least as fast as Python.
    func trainTarget(_ side: TrainSide, _ label: String, threads: Int) -> Double? {
        switch side.provider?.provider {
        case .openblas?:
            return ["digits adam": 5, "digits sgd": 5, "mnist adam": 2, "mnist sgd": 1.2,
                    "lenet adam": 2, "lstm adam": 1][label]
        case .mkl?:
            guard label.hasPrefix("mnist") else { return nil }
            return threads > 1 ? 1.0 : (label == "mnist adam" ? 1.3 : 1.1)
        default:
            return side.backend == "torch" ? 1 : nil
        }
    }

    func training(_ torch: TorchPeer?, _ peerNote: String?, _ providers: [BenchProvider]) throws -> [Record] {
        var records: [Record] = []
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
                    let sides = providers.map { TrainSide(label: "blas[\($0.name)]", backend: "blas", provider: $0) }
                        + [TrainSide(label: "reference", backend: "reference", provider: nil)]
                        + (torch != nil ? [TrainSide(label: "torch", backend: "torch", provider: nil)] : [])
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
                        for side in sides {
                            // The reference backend has no target and runs one thread whatever is asked: once.
                            if side.backend == "reference" && (round > 0 || (t > 1 && settings.quick) || shape.isLayerModel) { continue }
                            log("mino-bench: train \(label), \(side.label), \(t) thread(s), round \(round + 1)")
                            let line = try Subprocess.jsonLines(Subprocess.selfPath, [
                                "train-child", "--backend", side.backend, "--model", shape.name, "--optimizer", optimizer,
                                "--threads", "\(t)"] + (settings.quick ? ["--quick"] : []),
                                environment: side.provider?.environment ?? [:]).first
                            if let s = line?["steps_per_s"] as? Double, let m = line?["peak_rss_mb"] as? Double {
                                mino[side.label] = TrainFigures(steps: s, rss: m).merged(mino[side.label])
                            }
                        }
                    }
                    for side in sides where mino[side.label] != nil {
                        let name = side.label
                        records.append(Record(name: Report.named("train \(label) \(name) steps/s", threads: t),
                                              mino: mino[name]?.steps,
                                              peer: peer?.steps, unit: "steps/s", comparison: "\(name) vs torch eager",
                                              threads: t, target: trainTarget(side, label, threads: t), note: peerNote,
                                              provider: side.provider?.name))
                        // The memory target was set for OpenBLAS (MKL maps its own buffers; reported, not judged).
                        records.append(Record(name: Report.named("train \(label) \(name) peak memory", threads: t),
                                              mino: mino[name]?.rss,
                                              peer: peer?.rss, unit: "MB", comparison: "\(name) vs torch eager",
                                              threads: t, target: side.provider?.provider == .openblas ? 3 : nil,
                                              note: peerNote, provider: side.provider?.name))
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
        let (options, settings) = BenchSettings.childOptions(arguments)
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
