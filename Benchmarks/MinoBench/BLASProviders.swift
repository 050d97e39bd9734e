import CBLAS
import Foundation
import Mino
import MinoBenchC

/// The BLAS libraries the benchmark compares (OpenBLAS, and MKL where it is
/// installed), each measured in child processes of its own with `MINO_BLAS`
/// set, so one process never has two libraries' thread pools.
struct BenchProvider {
    let provider: BLASProvider
    /// One line each: library, version, kernel, threads (from the child).
    let summary: String
    let kernel: String
    let warnings: [String]

    /// `openblas`, `mkl`: the row label and the `MINO_BLAS` value.
    var name: String { provider.description }
    var environment: [String: String] { [BLASProvider.environmentVariable: name] }

    /// The providers asked for that open here; the others are logged and skipped.
    static func available(_ names: [String], log: (String) -> Void) -> [BenchProvider] {
        names.compactMap { name in
            do {
                let line = try Subprocess.jsonLines(Subprocess.selfPath, ["blas-info"],
                                                    environment: [BLASProvider.environmentVariable: name]).first
                guard let summary = line?["summary"] as? String else { return nil }
                return BenchProvider(provider: try BLASProvider(parsing: name), summary: summary,
                                     kernel: line?["kernel"] as? String ?? "?",
                                     warnings: line?["warnings"] as? [String] ?? [])
            } catch {
                log("mino-bench: BLAS provider \(name) skipped: \(error)")
                return nil
            }
        }
    }

    /// The child: this process's BLAS library as one JSON line.
    static func infoChild() throws {
        let library = try BLASLibrary.current()
        let line: [String: Any] = ["summary": library.summary, "kernel": library.kernel ?? "?",
                                   "warnings": library.warnings]
        let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// The machine's single-precision FMA peak on one thread, measured with a
/// register-only loop of independent FMAs (Benchmarks/MinoBenchC): the widest
/// vectors the CPU and OS support, or the better of the two where both run.
enum FMAPeak {
    struct Figure {
        /// GFLOP/s of float32 FMAs on one thread.
        let gflops: Double
        /// `AVX-512 (zmm)`, `AVX2 (ymm)`.
        let vectors: String
    }

    static func measure(_ settings: BenchSettings) -> Figure? {
        let cpu = CPUFeatures.current
        var best: Figure? = nil
        let widths: [(Int, String, Bool)] = [(256, "AVX2+FMA (ymm)", cpu.has("avx2") && cpu.has("fma")),
                                             (512, "AVX-512 (zmm)", cpu.has("avx512f"))]
        for (bits, label, supported) in widths where supported {
            let g = mino_fma_peak_gflops(Int32(bits), settings.blockSeconds, Int32(settings.repeats))
            if g > (best?.gflops ?? 0) { best = Figure(gflops: g, vectors: label) }
        }
        return best
    }
}

extension MatMulBench {
    /// The child: the FMA peak once more, then Mino on the blas backend and raw `cblas_?gemm`
    /// of the same loaded library, for each size and thread count, one JSON line each.
    ///   mino-bench matmul-child --dtype float32 --threads 1,2 --sizes 64,256 [--quick]
    static func child(_ arguments: [String]) throws {
        let (options, settings) = BenchSettings.childOptions(arguments)
        let dtype = DType(rawValue: options["dtype"] ?? "float32") ?? .float32
        let threads = (options["threads"] ?? "1").split(separator: ",").compactMap { Int($0) }
        let sizes = (options["sizes"] ?? "256").split(separator: ",").compactMap { Int($0) }
        let blas = try backend(named: "blas")
        if let peak = FMAPeak.measure(settings) {
            let data = try JSONSerialization.data(withJSONObject: ["fma_peak": peak.gflops, "vectors": peak.vectors],
                                                  options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
        for n in sizes {
            for t in threads {
                BLASThreads.count = t
                let (mino, raw) = try minoAndRaw(n: n, dtype: dtype, on: blas, settings: settings)
                let line: [String: Any] = ["n": n, "threads": t, "mino": mino, "raw": raw]
                let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                fflush(stdout)
            }
        }
    }
}
