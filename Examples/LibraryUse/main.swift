// A program that uses Mino as a library (not the `mino` command): one product
// on the default backend, checked against the reference backend, then what
// BLAS ran it, printed as one JSON line. The blas backend's tests run it with
// different environments (OPENBLAS_CORETYPE, MINO_BLAS) to check the kernel
// and provider a library user gets.
//
//   swift run MinoLibraryExample
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Mino

do {
    let backend = try currentBackend()
    let reference = try Mino.backend(named: "reference")
    let g = RandomGenerator(seed: 0)
    let a = try Tensor.randn([64, 48], generator: g, on: reference)
    let b = try Tensor.randn([48, 32], generator: g, on: reference)
    let expected = try a.matmul(b).toHost().doubles
    let product = try (try a.to(backend)).matmul(try b.to(backend)).toHost().doubles
    let difference = zip(product, expected).map { abs($0 - $1) }.max() ?? .infinity

    var info: [String: Any] = ["backend": backend.name, "max_difference": difference,
                               "cpu_level": CPUFeatures.current.vectorLevel?.description ?? "none"]
    if let blas = BLASLibrary.active {
        info["provider"] = blas.provider.description
        info["family"] = blas.family
        info["library"] = blas.path
        info["kernel"] = blas.kernel ?? ""
        info["kernel_level"] = blas.kernelLevel?.description ?? ""
        info["kernel_choice"] = blas.kernelChoice.tag
        info["threads"] = blas.threads
    }
    // What a child process of this one would see: Mino's own core-type choice must not leak.
    info["OPENBLAS_CORETYPE_after"] = getenv("OPENBLAS_CORETYPE").map { String(cString: $0) } ?? NSNull()
    info["OPENBLAS_THREAD_TIMEOUT_after"] = getenv("OPENBLAS_THREAD_TIMEOUT").map { String(cString: $0) } ?? NSNull()
    let data = try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("MinoLibraryExample: \(error)\n".utf8))
    exit(1)
}
