import Foundation
import Mino
import MinoLang
import MinoPython

/// `mino-bench interop-profile mu|torch [STEPS]`: one side of the interop row alone in
/// this process (the mu model with its torch-module, or the same LeNet step in plain
/// PyTorch in the embedded interpreter), reporting per step the thread's CPU time
/// (torch at one thread computes on the calling thread, so time other processes take
/// from a shared core does not count) and the minor page faults (memory handed back to
/// the system and taken again). A diagnostic for the crossing: run the two sides
/// alternately; not a table row.
enum InteropProfile {
    static let pytorchSide = """
        import runpy, torch
        import torch.nn.functional as F
        MyModel = runpy.run_path("Examples/lenet.py")["MyModel"]
        torch.manual_seed(0)
        _model = MyModel()
        _opt = torch.optim.Adam(_model.parameters(), lr=1e-3)
        _g = torch.Generator().manual_seed(1)
        _xs = [torch.randn(64, 1, 32, 32, generator=_g) for _ in range(8)]
        _ys = [torch.randint(0, 10, (64,), generator=_g) for _ in range(8)]
        _state = {"i": 0}

        def step():
            i = _state["i"] % 8
            _state["i"] += 1
            _opt.zero_grad()
            loss = F.cross_entropy(_model(_xs[i]), _ys[i])
            loss.backward()
            _opt.step()
        """

    static func run(_ arguments: [String]) throws {
        let side = arguments.first ?? "mu"
        let steps = arguments.dropFirst().first.flatMap(Int.init) ?? 200
        try TorchBackend.setThreads(1)
        let backend = try backend(named: "torch")
        let body: () throws -> Void
        if side == "torch" {
            guard let python = PythonInterpreter.current else { throw BenchDriver.UsageError(description: "no Python") }
            let g = try python.run(pytorchSide)
            let step = try g.item("step")
            body = { _ = try step.call([]) }
        } else {
            let interpreter = Interpreter(backend: backend, output: { _ in })
            try interpreter.evaluate(source: InteropBench.muModel, file: FileManager.default.currentDirectoryPath + "/bench.mu")
            guard case .function(let step)? = interpreter.globals.value("step") else {
                throw BenchDriver.UsageError(description: "the mu model defines no step")
            }
            let data = RandomGenerator(seed: 1)
            let xs = try (0..<8).map { _ in try Tensor.randn([64, 1, 32, 32], generator: data, on: backend) }
            let ys = try (0..<8).map { _ in
                try Tensor((0..<64).map { _ in Int64(data.nextInt(below: 10)) }, shape: [64], on: backend)
            }
            var i = 0
            body = {
                _ = try step.call([.tensor(xs[i % 8]), .tensor(ys[i % 8])])
                i += 1
            }
        }
        for _ in 0..<20 { try body() }
        let faults0 = faults()
        var blocks: [Double] = []
        for _ in 0..<(steps / 5) { blocks.append(try cpuSeconds(5, body) / 5) }
        let perStep = Double(faults() - faults0) / Double(blocks.count * 5)
        print("\(side): \(blocks.count * 5) steps, thread CPU per step median \(ms(Timing.median(blocks))) ms, fastest block "
              + "\(ms(blocks.min() ?? 0)) ms, page faults per step " + String(format: "%.1f", perStep))
    }

    static func faults() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_minflt
    }

    /// CPU time of this thread over `calls` calls.
    static func cpuSeconds(_ calls: Int, _ body: () throws -> Void) rethrows -> Double {
        func now() -> Double {
            var t = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
            return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
        }
        let start = now()
        for _ in 0..<calls { try body() }
        return now() - start
    }

    static func ms(_ seconds: Double) -> String { String(format: "%.3f", seconds * 1e3) }
}
