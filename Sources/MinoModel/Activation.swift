import MinoCore

/// An elementwise nonlinearity as a parameter-free layer.
public enum Activation: String, CaseIterable, Sendable {
    case sigmoid, relu, tanh, identity

    /// Applies the nonlinearity.
    public func apply(_ x: Tensor) throws -> Tensor {
        switch self {
        case .sigmoid: return try x.sigmoid()
        case .relu: return try x.relu()
        case .tanh: return try x.tanh()
        case .identity: return x
        }
    }

    /// Parses `sigmoid`, `relu`, `tanh`, `identity`.
    ///
    /// - Throws: ``MinoError`` `.unknownName` listing the choices.
    public init(parsing name: String) throws {
        guard let a = Activation(rawValue: name.lowercased()) else {
            throw MinoError(.unknownName, "unknown activation '\(name)'; choose one of "
                            + Activation.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = a
    }
}

/// A parameter-free layer applying an ``Activation``.
public final class ActivationLayer: Module {
    public let activation: Activation
    public init(_ activation: Activation) { self.activation = activation }
    public func callAsFunction(_ input: Tensor) throws -> Tensor { try activation.apply(input) }
    public var namedParameters: [(name: String, tensor: Tensor)] { [] }
}
