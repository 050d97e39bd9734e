/// A backend's handle on the data of one tensor. Core never looks inside:
/// it passes storages back to the backend that made them.
///
/// A storage may be a Swift buffer, a view into one, or a foreign object
/// (a `torch.Tensor` on a GPU); only its backend knows.
public protocol BackendStorage: AnyObject {}

/// A tensor as a kernel receives it: the backend's storage with the shape and
/// dtype Core has already checked.
public struct Operand {
    public let storage: any BackendStorage
    public let shape: Shape
    public let dtype: DType

    public init(storage: any BackendStorage, shape: Shape, dtype: DType) {
        self.storage = storage
        self.shape = shape
        self.dtype = dtype
    }
}

/// Elementwise ops of one operand.
public enum UnaryKernel: String, CaseIterable, Sendable {
    case neg, exp, log, sqrt, abs, sign, relu, sigmoid, tanh, erf, sin, cos
}

/// Elementwise ops of two operands, broadcast by NumPy's rule.
/// Comparisons give 1 or 0 in the operands' dtype.
public enum BinaryKernel: String, CaseIterable, Sendable {
    case add, sub, mul, div, pow, maximum, minimum
    case equal, notEqual, less, lessEqual, greater, greaterEqual
}

/// Reductions over a set of axes.
public enum ReduceKernel: String, CaseIterable, Sendable {
    case sum, max
}

/// One axis of a slice: `start..<end` by `step`, already clamped into the
/// axis (Python's rules), with `step > 0`.
public struct SliceRange: Hashable, Sendable, CustomStringConvertible {
    public let start: Int
    public let end: Int
    public let step: Int

    public init(start: Int, end: Int, step: Int = 1) {
        self.start = start
        self.end = end
        self.step = step
    }

    /// The whole of an axis of `size`.
    public static func all(_ size: Int) -> SliceRange { SliceRange(start: 0, end: size, step: 1) }

    /// How many elements the range selects.
    public var count: Int { end <= start ? 0 : (end - start + step - 1) / step }

    public var description: String { "\(start):\(end):\(step)" }
}

/// Composite ops a backend may run as one fused kernel instead of the
/// default built from primitives.
public enum FusedKernel: String, CaseIterable, Sendable {
    case linear, softmax, logSoftmax, crossEntropy, binaryCrossEntropyWithLogits, mse, mean
    /// `conv2d(x, weight, bias)` with the attributes' normalized ``Window``.
    case conv2d
    /// The other layer composites (`Ops+Convolution`, `Ops+Pooling`, `Ops+Normalization`, `Ops+Layers`).
    case convTranspose2d, maxPool2d, avgPool2d, adaptiveAvgPool2d, layerNorm, batchNorm
    case gelu, silu, elu, leakyRelu, softplus
    /// One LSTM time step from its gate pre-activations, and its gradient (elementwise, one pass each).
    case lstmCell, lstmCellBackward
    /// The gradient of `maxPool2d` (input, output gradient), first maximum of each window.
    case maxPool2dBackward
    /// The weight gradient of `conv2d` (input, weight, output gradient).
    case conv2dWeightBackward
    /// The input gradients of `layerNorm` and of `batchNorm` in training (input, weight, output gradient).
    case layerNormBackward, batchNormBackward
    /// A whole LSTM or GRU layer over a sequence, and its backward pass through time (`Ops+Recurrent.swift`).
    case lstm, lstmBackward, gru, gruBackward
}

/// An in-place optimizer update that a backend may run as one kernel.
public enum OptimizerKernel: Sendable {
    /// `v = momentum·v + g` (with `g += weightDecay·p` first), `p -= lr·v`
    /// (or `p -= lr·(g + momentum·v)` with Nesterov). State: `[v]` when momentum ≠ 0.
    case sgd(lr: Double, momentum: Double, weightDecay: Double, nesterov: Bool)
    /// Adam (`decoupledWeightDecay`: AdamW). State: `[m, v]`; `step` counts from 1.
    case adam(lr: Double, beta1: Double, beta2: Double, epsilon: Double,
              weightDecay: Double, decoupledWeightDecay: Bool, step: Int)
}

/// Where tensors live and how their kernels run.
///
/// A backend implements a small set of primitive kernels; gradients come for
/// free, since every derivative is written with registered ops. It may also
/// run composites as fused kernels (``fused(_:_:_:)``) and update parameters
/// in place (``optimizerUpdate(_:parameter:gradient:state:)``).
///
/// Core calls a kernel only after the op's shape and dtype rule passed, with
/// operands of this backend, of one dtype (promotion happened before). A kernel
/// must still check data-dependent conditions (an index out of range) and
/// throw ``MinoError``; it must never stop the process.
public protocol Backend: AnyObject {
    /// The name users select it by: `reference`, `blas`, `torch`.
    var name: String { get }

    // MARK: Host transfer and creation

    /// Copies host data into a new storage.
    func upload(_ array: HostArray) throws -> any BackendStorage
    /// Copies a storage's elements to the host, row-major.
    func download(_ x: Operand) throws -> HostArray
    /// A new tensor filled with `value`.
    func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage

    // MARK: Primitive kernels

    func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage
    /// `a ∘ b` broadcast to `shape`; `a` and `b` have one dtype.
    func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage
    /// `condition ≠ 0 ? a : b`, broadcast to `shape`.
    func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage
    func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage
    /// Matrix product of the last two axes, batch axes broadcast; both operands have rank ≥ 2.
    func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage
    /// Reduction over normalized, sorted, non-empty `axes`.
    func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage
    /// Index of the largest element along `axis` (the first on ties), as int64.
    func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage
    func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage
    func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage
    func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage
    func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage
    func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage
    /// Zeros of `shape` with `source` written at `ranges` (the adjoint of `slice`).
    func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage
    /// Entries of `x` at int64 `indices` (rank 1) along `axis`.
    func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage
    /// Zeros of `shape` with the slices of `source` added at `indices` along `axis`
    /// (the adjoint of `indexSelect`).
    func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage
    /// `out[i][j] = x[i][indices[i][j]]` for `axis` 1, likewise for any axis (PyTorch's `gather`).
    func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage
    /// Zeros of `shape` with `source` added at `indices` along `axis` (the adjoint of `gather`).
    func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage

    // MARK: Optional fast paths (defaults: not provided)

    /// Runs a composite as one kernel, or returns nil to use its default implementation.
    func fused(_ kernel: FusedKernel, _ inputs: [Operand], _ attributes: OpAttributes) throws -> (any BackendStorage)?
    /// Updates `parameter` (and `state`) in place; returns false when not provided.
    func optimizerUpdate(_ kernel: OptimizerKernel, parameter: Operand, gradient: Operand,
                         state: [Operand]) throws -> Bool
}

extension Backend {
    public func fused(_ kernel: FusedKernel, _ inputs: [Operand], _ attributes: OpAttributes) throws -> (any BackendStorage)? {
        nil
    }
    public func optimizerUpdate(_ kernel: OptimizerKernel, parameter: Operand, gradient: Operand,
                                state: [Operand]) throws -> Bool {
        false
    }
}
