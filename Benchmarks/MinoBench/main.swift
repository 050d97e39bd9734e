import Foundation
import Mino

// mino-bench: Mino against PyTorch (and raw OpenBLAS) in the same run.
//
//   mino-bench [--quick] [--only matmul,train,tiny] [--threads 1,2] [--output bench-results/bench.json]
//
// Prints a table of comparisons with ratios (above 1: Mino is better) and
// writes them as JSON. Run from the repository root (it finds
// Benchmarks/torch_bench.py and .venv there; MINO_PYTHON overrides the Python).
// `mino-bench train-child ...` is the child process that runs one training loop,
// `matmul-child` the one that times products on one BLAS library (MINO_BLAS),
// `blas-info` the one that describes that library;
// `mino-bench interop-profile mu|torch [STEPS]` runs one side of the interop row alone and
// prints its CPU time and page faults per step;
// `mino-bench tiny-loop BACKEND N` runs the tiny forward+backward N times, untimed,
// for profilers (valgrind --tool=callgrind, perf).

do {
    registerBuiltins()
    let arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.first == "train-child" {
        try BenchDriver.trainChild(Array(arguments.dropFirst()))
    } else if arguments.first == "matmul-child" {
        try MatMulBench.child(Array(arguments.dropFirst()))
    } else if arguments.first == "blas-info" {
        try BenchProvider.infoChild()
    } else if arguments.first == "mu-train-child" {
        try LanguageBench.muTrainChild(Array(arguments.dropFirst()))
    } else if arguments.first == "interop-lenet-child" {
        try InteropBench.lenetChild(Array(arguments.dropFirst()))
    } else if arguments.first == "interop-profile" {
        try InteropProfile.run(Array(arguments.dropFirst()))
    } else if arguments.first == "tiny-loop" {
        try TinyBench.loop(Array(arguments.dropFirst()))
    } else {
        try BenchDriver(arguments: arguments).run()
    }
} catch {
    FileHandle.standardError.write(Data("mino-bench: \(error)\n".utf8))
    exit(1)
}
