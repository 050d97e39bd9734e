import Foundation
import Mino
import MinoLang

/// A mu model with GenPyTorch's LeNet embedded as a torch-module, trained from a
/// `.mu` step function on the torch backend, against the same LeNet trained in
/// plain PyTorch (`torch_bench.py lenet`): batch 64 of 1×32×32, cross-entropy, Adam.
enum InteropBench {
    static let muModel = """
        (require [mino.mu [*]])
        (import torch [torch.nn.functional :as F] [torch.optim [Adam]])
        (torch.manual_seed 0)
        (setv model (bind (mu [x net] (net x)) :net (torch-module "Examples/lenet.py" "MyModel")))
        (setv optimizer (Adam (.parameters model) :lr 0.001))
        (defn step [x y]
          (.zero_grad optimizer)
          (setv loss (F.cross_entropy (model x) y))
          (.backward loss)
          (.step optimizer)
          loss)
        """

    static let batch = 64

    /// The child process: the mu LeNet's training loop on the torch backend, one JSON line.
    static func lenetChild(_ arguments: [String]) throws {
        let (options, settings) = BenchSettings.childOptions(arguments)
        if let t = options["threads"].flatMap(Int.init) { try TorchBackend.setThreads(t) }
        let backend = try backend(named: "torch")
        let interpreter = Interpreter(backend: backend, output: { _ in })
        try interpreter.evaluate(source: muModel, file: FileManager.default.currentDirectoryPath + "/bench.mu")
        guard case .function(let step)? = interpreter.globals.value("step") else {
            throw BenchDriver.UsageError(description: "the mu model defines no step")
        }
        let data = RandomGenerator(seed: 1)
        let xs = try (0..<TrainingBench.dataBatches).map { _ in
            try Tensor.randn([batch, 1, 32, 32], generator: data, on: backend)
        }
        let ys = try (0..<TrainingBench.dataBatches).map { _ in
            try Tensor((0..<batch).map { _ in Int64(data.nextInt(below: 10)) }, shape: [batch], on: backend)
        }
        try LanguageBench.reportSteps(step, xs, ys, warmup: 20, settings: settings)
    }
}

extension BenchDriver {
    func interop(_ torch: TorchPeer?, _ peerNote: String?) throws -> [Record] {
        guard let torch else {
            log("mino-bench: interop skipped: it needs PyTorch (\(peerNote ?? "no torch"))")
            return [Record(name: "train lenet torch-module in mu (torch) steps/s", mino: nil, peer: nil, unit: "steps/s",
                           comparison: "mu model embedding LeNet vs LeNet in PyTorch", threads: 1, target: 1 / 1.1,
                           note: peerNote)]
        }
        var records: [Record] = []
        for t in threads {
            var mino: Double? = nil, peer: Double? = nil
            for round in 0..<settings.trainRounds {
                log("mino-bench: train lenet, torch-module in a mu model vs PyTorch, \(t) thread(s), round \(round + 1)")
                let quick = settings.quick ? ["--quick"] : []
                if let line = try Subprocess.jsonLines(Subprocess.selfPath, ["interop-lenet-child", "--threads", "\(t)"] + quick).first,
                   let s = line["steps_per_s"] as? Double {
                    mino = Swift.max(mino ?? 0, s)
                }
                let seconds = settings.trainSeconds
                if let line = try Subprocess.jsonLines(torch.python, [torch.script, "lenet", "--threads", "\(t)",
                                                                      "--seconds", "\(seconds)"]).first,
                   let s = line["steps_per_s"] as? Double {
                    peer = Swift.max(peer ?? 0, s)
                }
            }
            // Within 1.1× of PyTorch: steps/s ratio (Mino/PyTorch) ≥ 1/1.1.
            records.append(Record(name: Report.named("train lenet torch-module in mu (torch) steps/s", threads: t),
                                  mino: mino, peer: peer, unit: "steps/s",
                                  comparison: "mu model embedding LeNet vs LeNet in PyTorch", threads: t, target: 1 / 1.1))
        }
        return records
    }
}
