/// The element type of a tensor.
///
/// Every fact about a dtype (its size, its names in PyTorch, safetensors and
/// NumPy, how it promotes) lives in ``DType/table``; everything else reads it.
public enum DType: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case float32
    case float64
    case int64

    /// One row of the dtype table.
    public struct Info: Sendable {
        /// Mino's name, as printed and as written in `.mu` code (`:dtype float32`).
        public let name: String
        /// Bytes per element.
        public let byteSize: Int
        public let isFloatingPoint: Bool
        /// Rank in type promotion: the result of mixing two dtypes is the higher rank.
        public let promotionRank: Int
        /// The PyTorch spelling, `torch.float32`.
        public let torchName: String
        /// The safetensors header spelling, `F32`.
        public let safetensorsName: String
        /// The NumPy `.npy` descriptor (little endian), `<f4`.
        public let numpyDescriptor: String
        /// Other names accepted when parsing (`float`, `double`, `long`, ...).
        public let aliases: [String]
    }

    /// The dtype table: one row per dtype, in `allCases` order.
    public static let table: [Info] = [
        Info(name: "float32", byteSize: 4, isFloatingPoint: true, promotionRank: 1,
             torchName: "torch.float32", safetensorsName: "F32", numpyDescriptor: "<f4",
             aliases: ["float", "f32", "torch.float"]),
        Info(name: "float64", byteSize: 8, isFloatingPoint: true, promotionRank: 2,
             torchName: "torch.float64", safetensorsName: "F64", numpyDescriptor: "<f8",
             aliases: ["double", "f64", "torch.double"]),
        Info(name: "int64", byteSize: 8, isFloatingPoint: false, promotionRank: 0,
             torchName: "torch.int64", safetensorsName: "I64", numpyDescriptor: "<i8",
             aliases: ["long", "i64", "torch.long"]),
    ]

    /// This dtype's position in `allCases` and ``table``.
    @inlinable public var ordinal: Int {
        switch self {
        case .float32: return 0
        case .float64: return 1
        case .int64: return 2
        }
    }

    /// This dtype's row of ``table``.
    public var info: Info { DType.table[ordinal] }

    public var byteSize: Int { info.byteSize }
    public var isFloatingPoint: Bool { info.isFloatingPoint }
    public var description: String { info.name }

    /// The floating-point dtype used when an integer tensor meets a float-only op.
    public static let defaultFloat: DType = .float32

    /// Parses any spelling in the table (`float32`, `torch.float`, `F32`, `<f4`, ...).
    ///
    /// - Throws: ``MinoError`` of kind `.dtype` listing the known names.
    public init(parsing name: String) throws {
        for dtype in DType.allCases {
            let info = dtype.info
            if name == info.name || name == info.torchName || name == info.safetensorsName
                || name == info.numpyDescriptor || info.aliases.contains(name) {
                self = dtype
                return
            }
        }
        throw MinoError(.dtype, "unknown dtype '\(name)'; known dtypes: "
                        + DType.allCases.map(\.info.name).joined(separator: ", "))
    }

    /// The dtype two operands are computed in: the higher promotion rank wins.
    public static func promote(_ a: DType, _ b: DType) -> DType {
        a.info.promotionRank >= b.info.promotionRank ? a : b
    }

    /// This dtype if it is floating point, else ``defaultFloat``.
    public var floatingPoint: DType { isFloatingPoint ? self : DType.defaultFloat }
}
