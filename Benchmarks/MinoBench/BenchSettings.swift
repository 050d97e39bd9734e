/// How long and how often to measure; `--quick` shortens everything.
struct BenchSettings {
    var quick = false

    /// Seconds per timed block, and blocks per measurement (the median is reported).
    var blockSeconds: Double { quick ? 0.05 : 0.2 }
    var repeats: Int { quick ? 3 : 5 }

    /// Seconds to measure one training loop, over `trainRepeats` blocks.
    var trainSeconds: Double { quick ? 0.6 : 1.5 }
    var trainRepeats: Int { quick ? 3 : 5 }
    /// Rounds of each training (and tiny) comparison, the sides alternating; each side's best round counts.
    var trainRounds: Int { quick ? 1 : 2 }

    var matmulSizes: [Int] { quick ? [64, 256, 512] : [64, 128, 256, 512, 1024, 2048] }

    /// Shorter blocks and fewer repeats for products that take seconds each.
    func blockSeconds(n: Int, backend: String) -> Double {
        backend == "reference" && n >= 1024 ? 0.01 : blockSeconds
    }

    func repeats(n: Int, backend: String) -> Int {
        backend == "reference" && n >= 1024 ? (n >= 2048 ? 1 : 3) : repeats
    }
}

extension BenchSettings {
    /// A child process's arguments: `--quick`, then `--name value` pairs.
    static func childOptions(_ arguments: [String]) -> (options: [String: String], settings: BenchSettings) {
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
        return (options, settings)
    }
}
