/// Timing by repeated blocks, the scheme `torch_bench.py` uses too: a call is
/// repeated until a block takes about `blockSeconds`, and the result is the
/// median over `repeats` such blocks of the time per call.
enum Timing {
    static func seconds(_ duration: Duration) -> Double {
        let c = duration.components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }

    /// Seconds `body` takes, run `calls` times.
    static func measure(_ calls: Int, _ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<calls { try body() }
        return seconds(clock.now - start)
    }

    /// How many calls make a block of about `blockSeconds`.
    static func calibrate(_ blockSeconds: Double, _ body: () throws -> Void) rethrows -> Int {
        var calls = 1
        while true {
            let elapsed = try measure(calls, body)
            if elapsed >= blockSeconds || calls >= 1 << 20 {
                return Swift.max(1, Int(Double(calls) * blockSeconds / Swift.max(elapsed, 1e-9)))
            }
            calls *= 4
        }
    }

    /// The median seconds per call over `repeats` blocks of about `blockSeconds`.
    static func medianSecondsPerCall(blockSeconds: Double, repeats: Int, _ body: () throws -> Void) rethrows -> Double {
        let calls = try calibrate(blockSeconds, body)
        var samples: [Double] = []
        for _ in 0..<Swift.max(repeats, 1) {
            samples.append(try measure(calls, body) / Double(calls))
        }
        return median(samples)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Two calls timed in alternating blocks (a, b, a, b, ...), so that load from
    /// elsewhere on the machine falls on both alike; the median seconds per call of each.
    static func interleavedMedians(blockSeconds: Double, repeats: Int, _ a: () throws -> Void,
                                   _ b: () throws -> Void) rethrows -> (Double, Double) {
        let callsA = try calibrate(blockSeconds, a)
        let callsB = try calibrate(blockSeconds, b)
        var samplesA: [Double] = [], samplesB: [Double] = []
        for _ in 0..<Swift.max(repeats, 1) {
            samplesA.append(try measure(callsA, a) / Double(callsA))
            samplesB.append(try measure(callsB, b) / Double(callsB))
        }
        return (median(samplesA), median(samplesB))
    }
}
