/// How a loss reduces its per-element values.
public enum Reduction: String, CaseIterable, Sendable {
    case mean, sum, none
}

/// The non-tensor arguments of one op application: axes, a target shape, a
/// permutation, slice ranges... Each op reads the fields its definition names
/// and ignores the rest; recorded operations keep them for the derivative.
public struct OpAttributes: Equatable, Sendable, CustomStringConvertible {
    /// Reduction axes (normalized and sorted once the shape rule ran).
    public var axes: [Int] = []
    public var keepDims: Bool = false
    /// The single axis of `softmax`, `concat`, `argmax`, `indexSelect`, `gather`...
    public var axis: Int = 0
    /// Target shape of `reshape` / `expand`, or the output shape of a scatter.
    public var shape: Shape = .scalar
    public var permutation: [Int] = []
    public var ranges: [SliceRange] = []
    /// Target dtype of `cast`.
    public var dtype: DType? = nil
    public var reduction: Reduction = .mean
    /// A scalar parameter (the drop probability of `dropout`).
    public var scalar: Double = 0

    public init() {}

    public static let none = OpAttributes()

    public static func axes(_ axes: [Int], keepDims: Bool = false) -> OpAttributes {
        var a = OpAttributes()
        a.axes = axes
        a.keepDims = keepDims
        return a
    }

    public static func axis(_ axis: Int, keepDims: Bool = false) -> OpAttributes {
        var a = OpAttributes()
        a.axis = axis
        a.keepDims = keepDims
        return a
    }

    public static func shape(_ shape: Shape) -> OpAttributes {
        var a = OpAttributes()
        a.shape = shape
        return a
    }

    public static func permutation(_ permutation: [Int]) -> OpAttributes {
        var a = OpAttributes()
        a.permutation = permutation
        return a
    }

    public static func dtype(_ dtype: DType) -> OpAttributes {
        var a = OpAttributes()
        a.dtype = dtype
        return a
    }

    public static func reduction(_ reduction: Reduction) -> OpAttributes {
        var a = OpAttributes()
        a.reduction = reduction
        return a
    }

    /// Only the fields that differ from the defaults, `{axes: [1], keepDims: true}`.
    public var description: String {
        var parts: [String] = []
        let d = OpAttributes()
        if axes != d.axes { parts.append("axes: \(axes)") }
        if keepDims != d.keepDims { parts.append("keepDims: \(keepDims)") }
        if axis != d.axis { parts.append("axis: \(axis)") }
        if shape != d.shape { parts.append("shape: \(shape)") }
        if permutation != d.permutation { parts.append("permutation: \(permutation)") }
        if ranges != d.ranges { parts.append("ranges: \(ranges)") }
        if let dtype { parts.append("dtype: \(dtype)") }
        if reduction != d.reduction { parts.append("reduction: \(reduction)") }
        if scalar != d.scalar { parts.append("scalar: \(scalar)") }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}
