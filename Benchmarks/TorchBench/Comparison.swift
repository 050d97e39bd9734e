import Foundation
import MinoCore
import MinoModel
import MinoPython
import MinoTorch

/// Mino driven from Swift through the torch backend, beside the same loop in
/// Python, measured in alternating blocks so that both see the same machine.
struct Comparison {
    let name: String
    let unit: String
    /// Seconds per call, best block of each side.
    let mino: Double
    let python: Double
    /// Above 1: Mino through the backend is faster.
    var ratio: Double { python / mino }

    /// Times `mino` and `python` (seconds per call of a Python function of no
    /// arguments) in `rounds` pairs of blocks of about `blockSeconds` each.
    static func measure(_ name: String, unit: String, rounds: Int, blockSeconds: Double,
                        mino: () throws -> Void, python step: PythonObject, loops: PythonObject) throws -> Comparison {
        let timer = try loops.item("seconds_per_call")
        func minoBlock(_ calls: Int) throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<calls { try mino() }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(calls)
        }
        func pythonBlock(_ calls: Int) throws -> Double { try timer.call([step, calls]).toDouble() }
        // Warm-up, and block sizes from it.
        var minoCalls = 1, pythonCalls = 1
        for _ in 0..<3 {
            minoCalls = Swift.max(1, Int(blockSeconds / Swift.max(try minoBlock(minoCalls), 1e-9)))
            pythonCalls = Swift.max(1, Int(blockSeconds / Swift.max(try pythonBlock(pythonCalls), 1e-9)))
        }
        var bestMino = Double.infinity, bestPython = Double.infinity
        for _ in 0..<rounds {
            bestMino = Swift.min(bestMino, try minoBlock(minoCalls))
            bestPython = Swift.min(bestPython, try pythonBlock(pythonCalls))
        }
        return Comparison(name: name, unit: unit, mino: bestMino, python: bestPython)
    }

    /// `train digits sgd   5440.0   4474.8  steps/s   1.22`
    var line: String {
        let figures: (Double, Double) = unit == "steps/s" ? (1 / mino, 1 / python) : (mino * 1e6, python * 1e6)
        return Comparison.pad(name, 24) + String(format: "%14.1f %12.1f  ", figures.0, figures.1)
            + Comparison.pad(unit, 8) + String(format: "%6.2f", ratio)
    }

    static let header = pad("case", 24) + pad("mino→torch", 14, right: true) + pad("PyTorch", 13, right: true)
        + "  " + pad("unit", 8) + pad("ratio", 6, right: true)

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: Swift.max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}

/// The training loops and the per-op overhead cases.
enum Comparisons {
    static func training(_ torch: TorchBackend, loops: PythonObject, quick: Bool) throws -> [Comparison] {
        var out: [Comparison] = []
        let shapes: [(String, [Int], Activation, Int)] = [("digits", [64, 32, 10], .sigmoid, 64),
                                                          ("mnist", [784, 512, 512, 10], .relu, 128)]
        for (name, sizes, activation, batch) in shapes {
            for optimizer in ["sgd", "adam"] {
                let g = RandomGenerator(seed: 0)
                let model = try MLP(sizes: sizes, activation: activation, generator: g, on: torch)
                let lr = optimizer == "adam" ? 1e-3 : 0.05
                let opt: any Optimizer = optimizer == "adam" ? try Adam(model.parameters, learningRate: lr)
                                                             : try SGD(model.parameters, learningRate: lr)
                let data = RandomGenerator(seed: 1)
                let xs = try (0..<8).map { _ in try Tensor.randn([batch, sizes[0]], generator: data, on: torch) }
                let ys = try (0..<8).map { _ in
                    try Tensor((0..<batch).map { _ in Int64(data.nextInt(below: sizes[sizes.count - 1])) },
                               shape: [batch], on: torch)
                }
                var i = 0
                let step = try loops.item("train_step").call([name, optimizer])
                out.append(try Comparison.measure(
                    "train \(name) \(optimizer)", unit: "steps/s", rounds: quick ? 3 : 5,
                    blockSeconds: quick ? 0.15 : 0.4,
                    mino: {
                        let k = i % 8
                        i += 1
                        opt.zeroGrad()
                        try Loss.crossEntropy(try model(xs[k]), ys[k]).backward()
                        try opt.step()
                    }, python: step, loops: loops))
            }
        }
        return out
    }

    static func overhead(_ torch: TorchBackend, loops: PythonObject, quick: Bool) throws -> [Comparison] {
        let g = RandomGenerator(seed: 0)
        let x = try Tensor.randn([10, 10], generator: g, on: torch)
        let w = try Tensor.randn([10, 10], generator: g, on: torch)
        let b = try Tensor.randn([10], generator: g, on: torch)
        w.requiresGrad = true
        b.requiresGrad = true
        let tiny = try Comparison.measure(
            "tiny fwd+bwd 10x10", unit: "us", rounds: quick ? 3 : 5, blockSeconds: quick ? 0.05 : 0.2,
            mino: {
                try ((try x.matmul(w) + b).sigmoid()).sum().backward()
                w.zeroGrad()
                b.zeroGrad()
            }, python: try loops.item("tiny_step").call(), loops: loops)
        let add = try Comparison.measure(
            "one op: add 10x10", unit: "us", rounds: quick ? 3 : 5, blockSeconds: quick ? 0.05 : 0.2,
            mino: { _ = try x + x }, python: try loops.item("add_step").call(), loops: loops)
        return [tiny, add]
    }
}
