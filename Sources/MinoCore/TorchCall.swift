/// How PyTorch computes an op: one function and how the op's tensors and
/// attributes become its arguments. Each registered op declares one
/// (``OpDefinition/torch``); the torch backend runs its kernels with it and the
/// golden generator (`Conformance/generate_golden.py`) records PyTorch's values
/// with it, so neither keeps a table of its own.
///
/// `function` is `torch.<f>` (the `torch` module), `F.<f>`
/// (`torch.nn.functional`) or `mino.<f>`: a helper where one torch function does
/// not give Mino's semantics (the torch backend's `TorchHelperSource`, the
/// generator's `MINO_HELPERS`, one definition each, under one name).
public struct TorchCall: Hashable, Sendable, CustomStringConvertible {
    public let function: String
    /// Positional arguments, in order.
    public let arguments: [TorchArgument]
    /// Keyword arguments, after the positional ones.
    public let keywords: [TorchKeyword]

    public init(_ function: String, _ arguments: [TorchArgument], keywords: [TorchKeyword] = []) {
        self.function = function
        self.arguments = arguments
        self.keywords = keywords
    }

    /// `function(x)`: an elementwise op of one tensor.
    public static func unary(_ function: String) -> TorchCall { TorchCall(function, [.input(0)]) }
    /// `function(a, b)`.
    public static func binary(_ function: String) -> TorchCall { TorchCall(function, [.input(0), .input(1)]) }

    /// `torch.exp(in0)`, `F.conv2d(in0, in1, in2?, stride, ...)`.
    public var description: String {
        "\(function)(" + (arguments.map(\.description) + keywords.map { "\($0.name)=\($0.value)" })
            .joined(separator: ", ") + ")"
    }

    /// The values of the arguments for one application: what the torch backend
    /// passes and what the golden generator reads.
    public func values(inputShapes: [Shape], outputShape: Shape?, attributes: OpAttributes)
        -> (positional: [TorchValue], keywords: [(String, TorchValue)]) {
        let resolve = { (a: TorchArgument) in a.value(inputShapes: inputShapes, outputShape: outputShape, attributes) }
        return (arguments.map(resolve), keywords.map { ($0.name, resolve($0.value)) })
    }
}

/// A keyword argument of a ``TorchCall``.
public struct TorchKeyword: Hashable, Sendable {
    public let name: String
    public let value: TorchArgument

    public init(_ name: String, _ value: TorchArgument) {
        self.name = name
        self.value = value
    }
}

/// One argument of a ``TorchCall``: a tensor of the op, or one of its
/// attributes as torch spells it (the attributes after the shape rule
/// normalized them: axes sorted and non-negative, `-1` resolved).
public enum TorchArgument: Hashable, Sendable, CustomStringConvertible {
    /// The i-th tensor.
    case input(Int)
    /// The i-th tensor, or None when the call has fewer (`linear`'s bias).
    case optionalInput(Int)
    /// Every tensor, as one list (`torch.cat`, `torch.stack`).
    case inputs
    /// The i-th tensor's shape (`layer_norm`'s `normalized_shape`).
    case inputShape(Int)
    /// The result's shape (the helpers that write into a new tensor).
    case outputShape
    /// ``OpAttributes/axes`` as a list, or one of them.
    case axes
    case axesElement(Int)
    case axis, keepDims, shape, permutation
    /// Slice ranges flat: start, end, step for each axis.
    case ranges
    /// The target dtype, as a `torch.dtype`.
    case dtype
    /// The loss reduction's name (`"mean"`).
    case reduction
    case scalar
    /// A ``Window``'s fields, as lists (`groups` a number).
    case kernelSize, stride, padding, dilation, outputPadding, groups
    /// ``OpAttributes/index`` or None.
    case index
    case epsilon, training

    public var description: String {
        switch self {
        case .input(let i): return "in\(i)"
        case .optionalInput(let i): return "in\(i)?"
        case .inputs: return "inputs"
        case .inputShape(let i): return "shape(in\(i))"
        case .outputShape: return "outputShape"
        case .axesElement(let i): return "axes[\(i)]"
        case .axes: return "axes"
        case .axis: return "axis"
        case .keepDims: return "keepDims"
        case .shape: return "shape"
        case .permutation: return "permutation"
        case .ranges: return "ranges"
        case .dtype: return "dtype"
        case .reduction: return "reduction"
        case .scalar: return "scalar"
        case .kernelSize: return "kernelSize"
        case .stride: return "stride"
        case .padding: return "padding"
        case .dilation: return "dilation"
        case .outputPadding: return "outputPadding"
        case .groups: return "groups"
        case .index: return "index"
        case .epsilon: return "epsilon"
        case .training: return "training"
        }
    }

    /// This argument's value in one application.
    public func value(inputShapes: [Shape], outputShape: Shape?, _ a: OpAttributes) -> TorchValue {
        switch self {
        case .input(let i): return .input(i)
        case .optionalInput(let i): return i < inputShapes.count ? .input(i) : .none
        case .inputs: return .inputs(inputShapes.count)
        case .inputShape(let i): return i < inputShapes.count ? .integers(inputShapes[i].dims) : .none
        case .outputShape: return outputShape.map { .integers($0.dims) } ?? .none
        case .axes: return .integers(a.axes)
        case .axesElement(let i): return i < a.axes.count ? .integer(a.axes[i]) : .none
        case .axis: return .integer(a.axis)
        case .keepDims: return .boolean(a.keepDims)
        case .shape: return .integers(a.shape.dims)
        case .permutation: return .integers(a.permutation)
        case .ranges: return .integers(a.ranges.flatMap { [$0.start, $0.end, $0.step] })
        case .dtype: return a.dtype.map { .dtype($0) } ?? .none
        case .reduction: return .string(a.reduction.rawValue)
        case .scalar: return .number(a.scalar)
        case .kernelSize: return .integers(a.window.kernel)
        case .stride: return .integers(a.window.stride)
        case .padding: return .integers(a.window.padding)
        case .dilation: return .integers(a.window.dilation)
        case .outputPadding: return .integers(a.window.outputPadding)
        case .groups: return .integer(a.window.groups)
        case .index: return a.index.map { .integer($0) } ?? .none
        case .epsilon: return .number(a.epsilon)
        case .training: return .boolean(a.training)
        }
    }
}

/// The value of one ``TorchArgument`` in one application.
public enum TorchValue: Equatable, Sendable {
    case input(Int)
    /// The first `count` tensors as a list.
    case inputs(Int)
    case none
    case integer(Int)
    case integers([Int])
    case boolean(Bool)
    case number(Double)
    case string(String)
    case dtype(DType)
}
