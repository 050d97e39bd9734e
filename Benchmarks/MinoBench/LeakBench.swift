import Foundation
import Mino

/// Requirement 8 of the torch backend: 100,000 op calls leave memory flat.
///
/// Runs rounds of a tiny layer's forward, backward and SGD step (every result
/// dropped at once), counting the backend calls they make (``CountingBackend``),
/// and prints, every tenth of the way,
/// the resident set, the blocks Python's allocator holds and the objects its
/// garbage collector tracks. After a warm-up (torch's caches, Swift's
/// allocator), all three must stay flat: a leaked reference per call would add
/// 100,000 objects, a leaked tensor per call several hundred megabytes.
enum LeakBench {
    struct Sample {
        let calls: Int
        let residentMB: Double
        let blocks: Int
        let objects: Int
    }

    static func run(on torch: TorchBackend, calls total: Int) throws -> [Sample] {
        let backend = CountingBackend(torch)
        let g = RandomGenerator(seed: 0)
        let x = try Tensor.randn([8, 8], generator: g, on: backend)
        let w = try Tensor.randn([8, 8], generator: g, on: backend)
        let b = try Tensor.randn([8], generator: g, on: backend)
        w.requiresGrad = true
        b.requiresGrad = true
        let sgd = try SGD([w, b], learningRate: 1e-3, momentum: 0.9)
        /// matmul, add, sigmoid, sum, and their derivatives, one update, a download.
        func round() throws {
            sgd.zeroGrad()
            let y = try (x.matmul(w) + b).sigmoid().sum()
            try y.backward()
            try sgd.step()
            _ = try y.item()
        }
        // Warm-up: torch's allocator and dispatcher caches, Swift's and Python's free lists.
        for _ in 0..<2_000 { try round() }
        let start = backend.calls
        var samples: [Sample] = []
        func sample() throws {
            let python = try torch.pythonMemory()
            samples.append(Sample(calls: backend.calls - start, residentMB: Double(residentBytes()) / 1_048_576,
                                  blocks: python.allocatedBlocks, objects: python.gcObjects))
        }
        try sample()
        let step = Swift.max(total / 10, 1)
        while backend.calls - start < total {
            try round()
            if (backend.calls - start) / step > (samples.last?.calls ?? 0) / step { try sample() }
        }
        if samples.last?.calls != backend.calls - start { try sample() }
        return samples
    }

    /// The table, and whether the growth after the first tenth stays within bounds.
    static func report(_ samples: [Sample]) -> (text: String, flat: Bool) {
        var lines = ["      op calls   RSS (MiB)   Python blocks   gc objects"]
        for s in samples {
            lines.append(String(format: "%14d %11.1f %15d %12d", s.calls, s.residentMB, s.blocks, s.objects))
        }
        guard samples.count >= 3, let last = samples.last else { return (lines.joined(separator: "\n"), false) }
        let settled = samples[1]
        let rss = last.residentMB - settled.residentMB
        let blocks = last.blocks - settled.blocks
        let objects = last.objects - settled.objects
        // A leak of one small object per call would be ~90,000 blocks here; allow noise.
        let flat = rss < 4 && blocks < 500 && objects < 100
        lines.append(String(format: "growth from %d to %d calls: RSS %+.1f MiB, Python blocks %+d, gc objects %+d: %@",
                            settled.calls, last.calls, rss, blocks, objects, flat ? "flat" : "NOT FLAT"))
        return (lines.joined(separator: "\n"), flat)
    }

    /// Resident set size of this process in bytes (Linux `/proc/self/statm`), else 0.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
