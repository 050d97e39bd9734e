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
    /// A scalar parameter (the drop probability of `dropout`, the slope of `leakyRelu`).
    public var scalar: Double = 0
    /// The geometry of a convolution or pooling window.
    public var window: Window = Window()
    /// A row index (`embedding`'s `padding_idx`); nil when none.
    public var index: Int? = nil
    /// The ε added to a variance before its square root (normalization).
    public var epsilon: Double = 1e-5
    /// Batch statistics (true) or running statistics (false) in `batchNorm`.
    public var training: Bool = false

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
        if window != d.window { parts.append("window: \(window)") }
        if let index { parts.append("index: \(index)") }
        if epsilon != d.epsilon { parts.append("epsilon: \(epsilon)") }
        if training != d.training { parts.append("training: \(training)") }
        return "{" + parts.joined(separator: ", ") + "}"
    }
}

/// The geometry of a convolution or pooling window over the trailing spatial
/// axes, with PyTorch's names. Shape rules fill the defaults (stride 1, or the
/// kernel for pooling; padding 0; dilation 1) and expand one number to every axis.
public struct Window: Hashable, Sendable, CustomStringConvertible {
    /// Pooling only: a convolution's kernel is its weight's spatial shape.
    public var kernel: [Int]
    public var stride: [Int]
    public var padding: [Int]
    public var dilation: [Int]
    /// `conv_transpose2d` only: extra rows and columns at the far end of the output.
    public var outputPadding: [Int]
    public var groups: Int

    public init(kernel: [Int] = [], stride: [Int] = [], padding: [Int] = [], dilation: [Int] = [],
                outputPadding: [Int] = [], groups: Int = 1) {
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.outputPadding = outputPadding
        self.groups = groups
    }

    public var description: String {
        var parts: [String] = []
        if !kernel.isEmpty { parts.append("kernel \(kernel)") }
        if !stride.isEmpty { parts.append("stride \(stride)") }
        if !padding.isEmpty { parts.append("padding \(padding)") }
        if !dilation.isEmpty { parts.append("dilation \(dilation)") }
        if !outputPadding.isEmpty { parts.append("outputPadding \(outputPadding)") }
        if groups != 1 { parts.append("groups \(groups)") }
        return parts.joined(separator: " ")
    }
}
