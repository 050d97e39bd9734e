import Foundation
import CBLAS

/// How wide the vector instructions are that a CPU (or a BLAS kernel) uses, lowest first.
public enum VectorLevel: Int, Comparable, Sendable, CustomStringConvertible {
    /// SSE only (OpenBLAS's Prescott, Core2, Nehalem, ... kernels).
    case legacy = 0
    case avx = 1
    /// AVX2 with FMA.
    case avx2 = 2
    /// AVX-512 F, CD, BW, DQ and VL (Skylake-SP and later, Zen 4 and later).
    case avx512 = 3

    public static func < (a: VectorLevel, b: VectorLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .legacy: return "SSE"
        case .avx: return "AVX"
        case .avx2: return "AVX2"
        case .avx512: return "AVX-512"
        }
    }
}

/// The CPU's vector features, read with `cpuid` and checked against what the
/// OS enables (`xgetbv`), as OpenBLAS's own detection should but, for CPU
/// models newer than the library, does not.
public struct CPUFeatures: Equatable, Sendable {
    public let vendor: String
    public let brand: String
    public let family: Int
    public let model: Int
    /// Feature names as Linux's /proc/cpuinfo spells them (`avx2`, `fma`, `avx512f`, ...).
    public let names: [String]

    /// This machine's.
    public static let current = CPUFeatures()

    public init() {
        var f = MinoCPUFeatures()
        mino_cpu_features(&f)
        let flags: [(String, Int32)] = [
            ("sse3", f.sse3), ("ssse3", f.ssse3), ("sse4_1", f.sse41), ("sse4_2", f.sse42), ("avx", f.avx),
            ("fma", f.fma), ("avx2", f.avx2), ("avx512f", f.avx512f), ("avx512dq", f.avx512dq),
            ("avx512cd", f.avx512cd), ("avx512bw", f.avx512bw), ("avx512vl", f.avx512vl),
            ("avx512_vnni", f.avx512vnni), ("avx512_bf16", f.avx512bf16), ("avx512_fp16", f.avx512fp16),
            ("amx_tile", f.amxTile),
        ]
        names = flags.filter { $0.1 != 0 }.map(\.0)
        vendor = withUnsafeBytes(of: f.vendor) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        brand = withUnsafeBytes(of: f.brand) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            .trimmingCharacters(in: .whitespaces)
        family = Int(f.family)
        model = Int(f.model)
    }

    /// The features of a CPU described by hand (tests).
    public init(names: [String], vendor: String = "", brand: String = "", family: Int = 0, model: Int = 0) {
        self.names = names
        self.vendor = vendor
        self.brand = brand
        self.family = family
        self.model = model
    }

    public func has(_ name: String) -> Bool { names.contains(name) }

    /// The widest vector level every feature of which is present; nil off x86 (no cpuid).
    public var vectorLevel: VectorLevel? {
        if names.isEmpty { return nil }
        if ["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"].allSatisfy(has) { return .avx512 }
        if has("avx2") && has("fma") { return .avx2 }
        if has("avx") { return .avx }
        return .legacy
    }
}

/// OpenBLAS's x86-64 kernel families (its `OPENBLAS_CORETYPE` names) by the
/// vector instructions their kernels use: the one table Mino reads both to
/// choose a core type and to judge the core OpenBLAS reports.
public enum OpenBLASCores {
    /// OpenBLAS's names, lowercased, as `openblas_get_corename()` and OPENBLAS_CORETYPE spell them.
    static let levels: [String: VectorLevel] = [
        "sapphirerapids": .avx512, "cooperlake": .avx512, "skylakex": .avx512,
        "haswell": .avx2, "zen": .avx2,
        "sandybridge": .avx, "bulldozer": .avx, "piledriver": .avx, "steamroller": .avx, "excavator": .avx,
        "prescott": .legacy, "core2": .legacy, "penryn": .legacy, "dunnington": .legacy, "nehalem": .legacy,
        "atom": .legacy, "katmai": .legacy, "coppermine": .legacy, "northwood": .legacy, "banias": .legacy,
        "opteron": .legacy, "opteron_sse3": .legacy, "barcelona": .legacy, "bobcat": .legacy, "nano": .legacy,
        "generic": .legacy, "unknown": .legacy,
    ]

    /// The core type Mino asks for at each level: the oldest family with that level's
    /// kernels, so every DYNAMIC_ARCH build that has the level has the name.
    static let preferred: [VectorLevel: String] = [.avx512: "SkylakeX", .avx2: "Haswell", .avx: "Sandybridge"]

    /// The vector level of OpenBLAS's kernel family `name`; nil for a name not in the table (other architectures).
    public static func level(of name: String) -> VectorLevel? { levels[name.lowercased()] }

    /// The core type for a CPU with these features; nil where OpenBLAS's own choice stands
    /// (no AVX, or not x86).
    public static func best(for features: CPUFeatures) -> String? {
        features.vectorLevel.flatMap { preferred[$0] }
    }
}
