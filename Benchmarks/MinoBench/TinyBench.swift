import Mino

/// Per-op overhead: `sigmoid(x @ w + b).sum()` and its backward on 10×10,
/// microseconds per call (the same call as `torch_bench.py tiny`).
enum TinyBench {
    static func run(on backend: any Backend, settings: BenchSettings) throws -> Double {
        let call = try makeCall(on: backend)
        for _ in 0..<200 { try call() }
        return try Timing.medianSecondsPerCall(blockSeconds: settings.blockSeconds, repeats: settings.repeats, call) * 1e6
    }

    /// `mino-bench tiny-loop BACKEND N`: N calls, for a profiler to count.
    static func loop(_ arguments: [String]) throws {
        let backend = try backend(named: arguments.first ?? "blas")
        let n = arguments.count > 1 ? Int(arguments[1]) ?? 1000 : 1000
        let call = try makeCall(on: backend)
        for _ in 0..<n { try call() }
    }

    static func makeCall(on backend: any Backend) throws -> () throws -> Void {
        let g = RandomGenerator(seed: 0)
        let x = try Tensor.randn([10, 10], generator: g, on: backend)
        let w = try Tensor.randn([10, 10], generator: g, on: backend)
        let b = try Tensor.randn([10], generator: g, on: backend)
        w.requiresGrad = true
        b.requiresGrad = true
        func call() throws {
            let y = try ((try x.matmul(w) + b).sigmoid()).sum()
            try y.backward()
            w.zeroGrad()
            b.zeroGrad()
        }
        return call
    }
}
