// swift-tools-version:6.1
//
// Mino: a Swift deep-learning library in which models are S-expressions.
// Layers (lower never imports higher): Lisp, Core, Model, front ends.
// Backends sit beside Core and import nothing above it.

import PackageDescription

// Every target is compiled in Swift 5 language mode: tensors are reference
// types with mutable gradients, and the strict Swift 6 checks would force
// `@unchecked Sendable` on most of the public API without making it safer.
let swift5: [SwiftSetting] = [.swiftLanguageMode(.v5)]

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let realModule = Target.Dependency.product(name: "RealModule", package: "swift-numerics")

// MARK: Layer 1: Lisp (pure data, no tensors)

let lisp: [Target] = [
    .target(name: "MinoLisp", path: "Sources/MinoLisp", swiftSettings: swift5),
]

// MARK: Layer 2: Core, and the backends beside it

let core: [Target] = [
    // Dtypes, shapes, tensors, the op registry, autodiff, the Backend protocol.
    .target(name: "MinoCore", path: "Sources/MinoCore", swiftSettings: swift5),

    // Host memory shared by the CPU backends: strided storages, transfers, loops.
    .target(name: "MinoCPU", dependencies: ["MinoCore", realModule], path: "Backends/CPU", swiftSettings: swift5),

    // The pure-Swift reference backend, the oracle.
    .target(name: "MinoReference", dependencies: ["MinoCore", "MinoCPU", realModule],
            path: "Backends/Reference", swiftSettings: swift5),

    // The CBLAS entry points, resolved at run time from OpenBLAS, MKL or another
    // library opened with dlopen (MINO_BLAS), and the CPU's features: no cblas.h,
    // no link to libopenblas, so OpenBLAS initialises only after Mino picks its kernels.
    .target(name: "CBLAS", path: "Backends/BLAS/CBLAS",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),

    // The blas backend's float32 kernels in C, compiled for AVX-512 (Swift cannot
    // target a wider vector unit per function); used only where the CPU has it.
    .target(name: "MinoKernels", path: "Backends/BLAS/Kernels"),

    // The BLAS backend: gemm for products, vectorised Swift loops elsewhere.
    .target(name: "MinoBLAS", dependencies: ["MinoCore", "MinoCPU", "CBLAS", "MinoKernels", realModule],
            path: "Backends/BLAS/Sources", swiftSettings: swift5),

    // The C API of CPython, loaded at run time with dlopen: no Python.h,
    // so the package builds where Python is not installed.
    .target(name: "CPython", path: "Backends/Torch/CPython",
            linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),

    // The embedded-CPython bridge the torch backend stands on (generic: no MinoCore).
    .target(name: "MinoPython", dependencies: ["CPython"], path: "Backends/Torch/Python", swiftSettings: swift5),

    // The PyTorch backend: every op a torch call through the embedded CPython.
    .target(name: "MinoTorch", dependencies: ["MinoCore", "MinoPython"], path: "Backends/Torch/Backend",
            swiftSettings: swift5),
]

// MARK: Layer 3: Model

let model: [Target] = [
    // Data sets the project ships (data/), as package resources.
    .target(name: "MinoData", path: "data", exclude: ["README.md"], sources: ["MinoData.swift"],
            resources: [.copy("digits.csv"), .copy("gettysburg-declaration.txt")], swiftSettings: swift5),

    // Layers, losses, optimizers, initialisers, data sets, training.
    .target(name: "MinoModel", dependencies: ["MinoCore", "MinoData"], path: "Sources/MinoModel",
            swiftSettings: swift5),
]

// MARK: Layer 4: the .mu language (evaluator, torch-like namespaces, mu)

let language: [Target] = [
    // MinoTorch for `torch-module` and import/export through torch.fx; Python is
    // opened at run time only when one is used (the package builds without it).
    .target(name: "MinoLang", dependencies: ["MinoLisp", "MinoCore", "MinoModel", "MinoTorch", "MinoPython"],
            path: "Sources/MinoLang",
            swiftSettings: swift5),
]

// MARK: The umbrella: `import Mino` gives Core, the Model layer and the built-in backends, registered

let umbrella: [Target] = [
    .target(name: "Mino", dependencies: ["MinoCore", "MinoCPU", "MinoReference", "MinoBLAS", "MinoTorch", "MinoModel"],
            path: "Sources/Mino", swiftSettings: swift5),
]

// MARK: The conformance suite (checks any backend; uses Core, the reference oracle and Model)

let conformance: [Target] = [
    // Samples derived from the op registry, checks, golden data, whole-model cases.
    .target(name: "MinoConformance", dependencies: ["MinoCore", "MinoReference", "MinoModel"],
            path: "Conformance/Sources/MinoConformance", swiftSettings: swift5),

    // `XCTAssertConforms(backend)`: the one-line test every backend's test target runs.
    .target(name: "MinoConformanceTesting", dependencies: ["MinoCore", "MinoConformance"],
            path: "Conformance/Sources/MinoConformanceTesting", swiftSettings: swift5),
]

// MARK: Layer 5: front ends

let frontEnds: [Target] = [
    .executableTarget(
        name: "MinoCLI",
        dependencies: ["Mino", "MinoLisp", "MinoLang", "MinoConformance", argumentParser],
        path: "Sources/MinoCLI", swiftSettings: swift5),

    // Benchmarks against PyTorch and raw CBLAS (`make bench`); MinoBenchC: the FMA peak loop.
    .target(name: "MinoBenchC", path: "Benchmarks/MinoBenchC"),
    .executableTarget(name: "MinoBench", dependencies: ["Mino", "MinoLang", "CBLAS", "MinoBenchC"], path: "Benchmarks/MinoBench",
                      swiftSettings: swift5),

    // A program that uses Mino as a library (the blas tests run it to check the kernel a library user gets).
    .executableTarget(name: "MinoLibraryExample", dependencies: ["Mino"], path: "Examples/LibraryUse",
                      swiftSettings: swift5),
]

// MARK: Tests: one target per module

let tests: [Target] = [
    .testTarget(name: "MinoCoreTests", dependencies: ["MinoCore", "MinoReference", "MinoConformance"],
                path: "Tests/MinoCoreTests", swiftSettings: swift5),
    .testTarget(name: "MinoModelTests", dependencies: ["MinoCore", "MinoModel", "MinoReference"],
                path: "Tests/MinoModelTests", swiftSettings: swift5),
    .testTarget(name: "MinoLispTests", dependencies: ["MinoLisp"], path: "Tests/MinoLispTests",
                swiftSettings: swift5),
    .testTarget(name: "MinoPythonTests", dependencies: ["MinoPython"], path: "Tests/MinoPythonTests",
                swiftSettings: swift5),
    .testTarget(name: "MinoBLASTests", dependencies: ["Mino", "MinoConformance", "MinoConformanceTesting",
                                                     "MinoLibraryExample"],
                path: "Tests/MinoBLASTests", swiftSettings: swift5),
    .testTarget(name: "MinoConformanceTests",
                dependencies: ["MinoCore", "MinoReference", "MinoModel", "MinoConformance", "MinoConformanceTesting"],
                path: "Tests/MinoConformanceTests", swiftSettings: swift5),
    .testTarget(name: "MinoTorchTests",
                dependencies: ["Mino", "MinoTorch", "MinoPython", "MinoCore", "MinoReference", "MinoConformance",
                               "MinoConformanceTesting", "MinoModel"],
                path: "Tests/MinoTorchTests", swiftSettings: swift5),
    .testTarget(name: "MinoTests", dependencies: ["Mino"], path: "Tests/MinoTests", swiftSettings: swift5),
    .testTarget(name: "MinoLangTests", dependencies: ["MinoLang", "Mino", "MinoCLI", "MinoPython"], path: "Tests/MinoLangTests",
                swiftSettings: swift5),
]

let package = Package(
    name: "Mino",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "MinoLisp", targets: ["MinoLisp"]),
        .library(name: "MinoCore", targets: ["MinoCore"]),
        .library(name: "MinoReference", targets: ["MinoReference"]),
        .library(name: "MinoPython", targets: ["MinoPython"]),
        .library(name: "MinoTorch", targets: ["MinoTorch"]),
        .library(name: "MinoConformance", targets: ["MinoConformance"]),
        .library(name: "MinoConformanceTesting", targets: ["MinoConformanceTesting"]),
        .library(name: "MinoModel", targets: ["MinoModel"]),
        .library(name: "MinoBLAS", targets: ["MinoBLAS"]),
        .library(name: "Mino", targets: ["Mino"]),
        .library(name: "MinoLang", targets: ["MinoLang"]),
        .executable(name: "mino", targets: ["MinoCLI"]),
        .executable(name: "mino-bench", targets: ["MinoBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: lisp + core + model + language + umbrella + conformance + frontEnds + tests
)
