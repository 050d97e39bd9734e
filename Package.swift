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

let package = Package(
    name: "Mino",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "MinoCore", targets: ["MinoCore"]),
        .library(name: "MinoReference", targets: ["MinoReference"]),
        .library(name: "MinoConformance", targets: ["MinoConformance"]),
        .library(name: "MinoModel", targets: ["MinoModel"]),
        .library(name: "MinoBLAS", targets: ["MinoBLAS"]),
        .library(name: "Mino", targets: ["Mino"]),
        .executable(name: "mino", targets: ["MinoCLI"]),
        .executable(name: "mino-bench", targets: ["MinoBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
    ],
    targets: [
        // Layer 2: dtypes, shapes, tensors, the op registry, autodiff, the Backend protocol.
        .target(
            name: "MinoCore",
            path: "Sources/MinoCore",
            swiftSettings: swift5
        ),

        // Host memory shared by the CPU backends: strided storages, transfers, loops.
        .target(
            name: "MinoCPU",
            dependencies: ["MinoCore"],
            path: "Backends/CPU",
            swiftSettings: swift5
        ),

        // The pure-Swift reference backend, the oracle.
        .target(
            name: "MinoReference",
            dependencies: [
                "MinoCore", "MinoCPU",
                .product(name: "RealModule", package: "swift-numerics"),
            ],
            path: "Backends/Reference",
            swiftSettings: swift5
        ),

        // OpenBLAS's C interface (cblas.h), found through pkg-config.
        .systemLibrary(
            name: "CBLAS",
            path: "Backends/BLAS/CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"]), .brew(["openblas"])]
        ),

        // The OpenBLAS backend: gemm for products, vectorised Swift loops elsewhere.
        .target(
            name: "MinoBLAS",
            dependencies: [
                "MinoCore", "MinoCPU", "MinoReference", "CBLAS",
                .product(name: "RealModule", package: "swift-numerics"),
            ],
            path: "Backends/BLAS/Sources",
            swiftSettings: swift5
        ),

        // The umbrella: `import Mino` gives Core, the Model layer and the built-in backends, registered.
        .target(
            name: "Mino",
            dependencies: ["MinoCore", "MinoCPU", "MinoReference", "MinoBLAS", "MinoModel"],
            path: "Sources/Mino",
            swiftSettings: swift5
        ),

        // The conformance suite: samples derived from the op registry, checks, golden data.
        .target(
            name: "MinoConformance",
            dependencies: ["MinoCore"],
            path: "Conformance/Sources/MinoConformance",
            swiftSettings: swift5
        ),

        // Data sets the project ships (data/), as package resources.
        .target(
            name: "MinoData",
            path: "data",
            exclude: ["README.md"],
            sources: ["MinoData.swift"],
            resources: [.copy("digits.csv")],
            swiftSettings: swift5
        ),

        // Layer 3: layers, losses, optimizers, initialisers, data sets, training.
        .target(
            name: "MinoModel",
            dependencies: ["MinoCore", "MinoData"],
            path: "Sources/MinoModel",
            swiftSettings: swift5
        ),

        // Front end: the `mino` command.
        .executableTarget(
            name: "MinoCLI",
            dependencies: [
                "Mino",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/MinoCLI",
            swiftSettings: swift5
        ),

        // Benchmarks against PyTorch and raw OpenBLAS (`make bench`).
        .executableTarget(
            name: "MinoBench",
            dependencies: ["Mino", "CBLAS"],
            path: "Benchmarks/MinoBench",
            swiftSettings: swift5
        ),

        .testTarget(
            name: "MinoCoreTests",
            dependencies: ["MinoCore", "MinoReference", "MinoConformance"],
            path: "Tests/MinoCoreTests",
            swiftSettings: swift5
        ),

        .testTarget(
            name: "MinoModelTests",
            dependencies: ["MinoCore", "MinoModel", "MinoReference"],
            path: "Tests/MinoModelTests",
            swiftSettings: swift5
        ),

        .testTarget(
            name: "MinoBLASTests",
            dependencies: ["Mino", "MinoConformance"],
            path: "Tests/MinoBLASTests",
            swiftSettings: swift5
        ),
    ]
)
