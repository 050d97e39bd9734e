/// The shape and dtype of a tensor, without its data: what shape rules see.
public struct TensorSpec: Hashable, Sendable, CustomStringConvertible {
    public var shape: Shape
    public var dtype: DType

    public init(_ shape: Shape, _ dtype: DType) {
        self.shape = shape
        self.dtype = dtype
    }

    public init(of tensor: Tensor) {
        self.shape = tensor.shape
        self.dtype = tensor.dtype
    }

    public var description: String { "\(dtype) \(shape)" }
}

/// What an op's input is for. Samplers, promotion and the tape read it.
public enum InputRole: Sendable, Hashable {
    /// Numbers the op computes with; promoted to one dtype; differentiable.
    case value
    /// Int64 positions (`indexSelect`, `gather`, class labels); never promoted.
    case index(IndexLayout)
    /// A mask read as `≠ 0` (the first input of `where`); converted to the values' dtype.
    case condition
    /// Numbers the op reads but never differentiates (batch norm's running statistics,
    /// PyTorch's buffers); converted to the values' dtype.
    case statistic
}

/// How an index input addresses the op's data, so samplers can build valid indices.
public enum IndexLayout: Sendable, Hashable {
    /// Rank 1: positions along `axis` (of the first input, or of the output `shape` for scatters).
    case positions
    /// The rank of the data: positions along `axis` at every other coordinate (`gather`, `scatterAdd`).
    case aligned
    /// Rank 1: one class per row of the first input (`crossEntropy` labels).
    case labels
    /// Any rank: rows of the second input, the table (`embedding` ids).
    case rows
}

/// Which dtypes an op computes in.
public enum DTypePolicy: Sendable, Hashable {
    /// Any dtype; mixed operands promote (`add`, `sum`, `reshape`).
    case numeric
    /// Floating point only; integer operands become ``DType/defaultFloat`` (`exp`, `div`).
    case floating
}

/// Which attribute fields an op reads; samplers and the Lisp layer use it
/// to build valid (and invalid) calls generically.
public enum AttributeSchema: Sendable, Hashable {
    case none
    /// `axes` (empty = all) and `keepDims`.
    case axes
    /// `axis` alone (`softmax`, `concat`, `stack`, `indexSelect`, `gather`).
    case axis
    /// `axis` (`-1` … ) and `keepDims` (`argmax`).
    case axisKeepDims
    /// A target `shape` (`reshape`, `expand`).
    case shape
    case permutation
    /// Slice `ranges`, one per axis.
    case slice
    /// `ranges` and the output `shape` (`sliceScatter`).
    case sliceScatter
    /// `axis` and the output `shape` (`indexAdd`, `scatterAdd`).
    case scatter
    /// A target `dtype`.
    case dtype
    /// A loss `reduction`.
    case reduction
    /// A probability in `scalar` (`dropout`).
    case probability
    /// One named number in `scalar` with its PyTorch name and default
    /// (`negative_slope` of `leakyRelu`, `alpha` of `elu`, `beta` of `softplus`).
    case scalar(String, Double)
    /// A ``Window`` of stride, padding, dilation and groups; the kernel is the weight's (`conv2d`).
    case convolution
    /// A ``Window`` of kernel size, stride and padding (`maxPool2d`, `avgPool2d`).
    case pooling
    /// The output's spatial size in `shape` (`adaptiveAvgPool2d`).
    case outputSize
    /// `axes` = `[start, end]`, both inclusive (`flatten`).
    case axisRange
    /// An optional row `index` whose gradient stays zero (`embedding`'s `padding_idx`).
    case paddingIndex
    /// `epsilon`, and for batch norm `training` (`layerNorm`, `batchNorm`).
    case normalization
    /// No attributes: the inputs of one recurrent step, gates `[N 4H]` and state `[N H]`
    /// (`lstmCell`, `lstmCellBackward`), or of a layer over a sequence (`lstm`, `lstmBackward`);
    /// samplers draw those shapes by arity.
    case recurrentCell
}

/// Where sample values for an op's value inputs should come from, so that
/// finite differences are meaningful (no kinks, no poles).
public enum ValueDomain: Sendable, Hashable {
    /// Any value in about [-2, 2].
    case any
    /// Strictly positive values (`log`, `sqrt`, the base of `pow`).
    case positive
    /// Values kept away from 0 and from each other (`relu`, `abs`, `max`, `maximum`).
    case separated
    /// Values in (0, 1) (probabilities, targets of binary cross-entropy).
    case unitInterval
    /// `pow`'s whole real domain: bases negative, zero and positive; exponents
    /// integers (where a negative base is defined) and fractions (where it gives
    /// NaN), zero among them (the removable singularities of the derivatives).
    case power
}

/// The shape of an op's inputs and attributes, as data.
public struct OpSignature: Sendable, Hashable {
    public var inputs: [InputRole]
    /// The last input role repeats (`concat`, `stack`).
    public var variadic: Bool
    public var attributes: AttributeSchema
    public var dtypes: DTypePolicy
    public var domain: ValueDomain
    /// Value inputs broadcast against each other by NumPy's rule.
    public var broadcasts: Bool

    public init(inputs: [InputRole], variadic: Bool = false, attributes: AttributeSchema = .none,
                dtypes: DTypePolicy = .numeric, domain: ValueDomain = .any, broadcasts: Bool = false) {
        self.inputs = inputs
        self.variadic = variadic
        self.attributes = attributes
        self.dtypes = dtypes
        self.domain = domain
        self.broadcasts = broadcasts
    }
}

/// What a derivative rule receives: the op's inputs and output, the gradient
/// flowing into the output, and which inputs need a gradient back.
public struct DerivativeContext {
    public let inputs: [Tensor]
    public let output: Tensor
    /// ∂loss/∂output.
    public let upstream: Tensor
    public let attributes: OpAttributes
    public let needsGradient: [Bool]
    /// What this application's forward kept for its derivative: nil for
    /// registered ops, whose derivatives are rules over `inputs` and `output`;
    /// the foreign graph of an op computed outside Mino (``Dispatch/applyForeign(_:_:forward:)``).
    public let saved: AnyObject?
    /// Whether this backward pass keeps the graph for another (`retainGraph`): when not,
    /// a foreign derivative may free what its forward saved as it goes, as PyTorch does.
    public var retainsGraph = true
}

/// One op, declared once: its names, signature, shape and dtype rule, the
/// backend hook that computes it, and its derivative written with registered ops.
///
/// The tape, the evaluator, the printer and the conformance suite all read
/// these definitions, so an op added once is differentiable, callable from
/// `.mu` code, printable and tested on every backend.
public final class OpDefinition: @unchecked Sendable, CustomStringConvertible {
    /// The canonical name, as the registry and the conformance suite print it.
    public let name: String
    /// Further names in `.mu` code (`+`, `torch.add`, `F.relu`).
    public let aliases: [String]
    /// One line of documentation.
    public let summary: String
    public let signature: OpSignature
    /// The output's spec from the inputs' specs; may normalize the attributes.
    /// Throws ``MinoError`` naming the op and the shapes.
    public let shapeRule: ([TensorSpec], inout OpAttributes) throws -> TensorSpec
    /// The backend hook of a primitive.
    public let kernel: ((any Backend, [Operand], OpAttributes) throws -> any BackendStorage)?
    /// The default implementation of a composite, from other ops.
    public let implementation: (([Tensor], OpAttributes) throws -> Tensor)?
    /// The fused kernel a backend may provide for this composite.
    public let fusedKernel: FusedKernel?
    /// The backend kernel it runs: a primitive's, or a composite's fused kernel.
    public let backendKernel: BackendKernel?
    /// How PyTorch computes it: the torch backend's kernel and the golden generator's recipe.
    public let torch: TorchCall?
    /// A foreign op (``init(foreign:summary:derivative:)``): computed outside Mino's ops,
    /// by a forward supplied with each call, whose output shape only the call knows.
    public let isForeign: Bool
    /// Gradients of the inputs, one per input (nil: none). Nil for ops that
    /// have no derivative (comparisons, `argmax`).
    public let derivative: ((DerivativeContext) throws -> [Tensor?])?
    /// Every input is a `.value` (no indices, no conditions): dispatch's fast path.
    let takesValuesOnly: Bool

    /// Declares a primitive: computed by a backend kernel.
    ///
    /// - Parameters:
    ///   - runs: the backend kernel `kernel` calls.
    ///   - torch: how PyTorch computes it.
    public init(primitive name: String, aliases: [String] = [], summary: String, signature: OpSignature,
                runs backendKernel: BackendKernel, torch: TorchCall?,
                shapeRule: @escaping ([TensorSpec], inout OpAttributes) throws -> TensorSpec,
                kernel: @escaping (any Backend, [Operand], OpAttributes) throws -> any BackendStorage,
                derivative: ((DerivativeContext) throws -> [Tensor?])?) {
        self.name = name
        self.aliases = aliases
        self.summary = summary
        self.signature = signature
        self.shapeRule = shapeRule
        self.kernel = kernel
        self.implementation = nil
        self.fusedKernel = nil
        self.backendKernel = backendKernel
        self.torch = torch
        self.isForeign = false
        self.derivative = derivative
        self.takesValuesOnly = signature.inputs.allSatisfy { $0 == .value }
    }

    /// Declares a composite: a default implementation from other ops, which a
    /// backend may replace with a fused kernel. It is recorded as one
    /// operation, with its own derivative.
    public init(composite name: String, aliases: [String] = [], summary: String, signature: OpSignature,
                torch: TorchCall?, fusedKernel: FusedKernel? = nil,
                shapeRule: @escaping ([TensorSpec], inout OpAttributes) throws -> TensorSpec,
                implementation: @escaping ([Tensor], OpAttributes) throws -> Tensor,
                derivative: ((DerivativeContext) throws -> [Tensor?])?) {
        self.name = name
        self.aliases = aliases
        self.summary = summary
        self.signature = signature
        self.shapeRule = shapeRule
        self.kernel = nil
        self.implementation = implementation
        self.fusedKernel = fusedKernel
        self.backendKernel = fusedKernel.map(BackendKernel.fused)
        self.torch = torch
        self.isForeign = false
        self.derivative = derivative
        self.takesValuesOnly = signature.inputs.allSatisfy { $0 == .value }
    }

    /// Declares a foreign op: one whose forward runs outside Mino's ops (a
    /// PyTorch module) and is supplied with each call to
    /// ``Dispatch/applyForeign(_:_:forward:)``, together with what its
    /// derivative needs (``DerivativeContext/saved``): PyTorch's
    /// `autograd.Function` with `ctx.save_for_backward`, as data on the tape.
    /// Not registered: each foreign component makes its own definition.
    public init(foreign name: String, summary: String,
                derivative: @escaping (DerivativeContext) throws -> [Tensor?]) {
        self.name = name
        self.aliases = []
        self.summary = summary
        self.signature = OpSignature(inputs: [.value], variadic: true)
        self.shapeRule = { _, _ in
            throw MinoError(.argument, "\(name): a foreign op's output shape is known only to its forward")
        }
        self.kernel = nil
        self.implementation = nil
        self.fusedKernel = nil
        self.backendKernel = nil
        self.torch = nil
        self.isForeign = true
        self.derivative = derivative
        self.takesValuesOnly = true
    }

    public var isComposite: Bool { implementation != nil }
    public var isDifferentiable: Bool { derivative != nil }
    /// Every name the op answers to: the canonical one first.
    public var allNames: [String] { [name] + aliases }
    public var description: String { "op \(name)" }
}

/// One recorded application of an op: the node of the autodiff graph that
/// made a tensor. It holds its inputs (and so keeps them alive for the
/// derivative) but never its output, so no reference cycle forms.
public final class Operation {
    public let definition: OpDefinition
    /// A `var` only for the iterative release in `deinit`, its only writer (on an
    /// operation being destroyed), hence no dynamic exclusivity checks on reads.
    @exclusivity(unchecked) public private(set) var inputs: [Tensor]
    public let attributes: OpAttributes
    /// Set when a backward pass ran through this operation without keeping the
    /// graph (PyTorch frees its saved tensors then): another pass through it is an
    /// error, unless the first one asked to retain the graph.
    public internal(set) var isReleased = false
    /// What a foreign op's forward kept for its derivative (nil otherwise).
    public let saved: AnyObject?

    init(definition: OpDefinition, inputs: [Tensor], attributes: OpAttributes, saved: AnyObject? = nil) {
        self.definition = definition
        self.inputs = inputs
        self.attributes = attributes
        self.saved = saved
    }

    /// Releases a chain of operations iteratively. Left to ARC, freeing the
    /// output of a 20,000-op chain would recurse 20,000 deinits deep and
    /// overflow the stack; here each input that only this graph holds hands
    /// its own inputs over before it goes.
    deinit {
        var pending = inputs
        inputs = []
        while var tensor = pending.popLast() {
            if isKnownUniquelyReferenced(&tensor), isKnownUniquelyReferenced(&tensor.creatorReference),
               let creator = tensor.creatorReference {
                pending.append(contentsOf: creator.inputs)
                creator.inputs = []
            }
        }
    }
}
