import MinoCore
import MinoPython

// Composites as torch's own kernels, and optimizer updates in place.

extension TorchBackend {
    /// `F.linear`, `torch.softmax`, `torch.log_softmax`, `F.cross_entropy`,
    /// `F.mse_loss`, `F.binary_cross_entropy_with_logits`, `torch.mean`.
    ///
    /// Returns nil (Core runs the default from primitives) when an input is
    /// empty, so empty tensors take one path on every backend.
    public func fused(_ kernel: FusedKernel, _ inputs: [Operand], _ attributes: OpAttributes) throws
        -> (any BackendStorage)? {
        if inputs.contains(where: { $0.shape.elementCount == 0 }) { return nil }
        // The LSTM cell runs as its default from torch's elementwise ops (no single torch call).
        if kernel == .lstmCell || kernel == .lstmCellBackward { return nil }
        let f = try function(runtime.fused[kernel], kernel.rawValue)
        let tensors = try inputs.map { try $0.torchTensor() }
        let op = kernel.rawValue
        switch kernel {
        case .linear:
            guard tensors.count == 3 else { return nil }
            return try tensor(op, f, [tensors[0], tensors[1], tensors[2]])
        case .softmax, .logSoftmax:
            return try tensor(op, f, [tensors[0], attributes.axis])
        case .mean:
            return try tensor(op, f, [tensors[0], try tuple(attributes.axes), attributes.keepDims])
        case .conv2d:
            guard tensors.count == 3 else { return nil }
            let w = attributes.window
            return try tensor(op, f, [tensors[0], tensors[1], tensors[2], try tuple(w.stride), try tuple(w.padding),
                                      try tuple(w.dilation), w.groups])
        case .convTranspose2d:
            guard tensors.count == 3 else { return nil }
            let w = attributes.window
            return try tensor(op, f, [tensors[0], tensors[1], tensors[2], try tuple(w.stride), try tuple(w.padding),
                                      try tuple(w.outputPadding), w.groups, try tuple(w.dilation)])
        case .maxPool2d, .avgPool2d:
            let w = attributes.window
            return try tensor(op, f, [tensors[0], try tuple(w.kernel), try tuple(w.stride), try tuple(w.padding)])
        case .adaptiveAvgPool2d:
            return try tensor(op, f, [tensors[0], try tuple(attributes.shape.dims)])
        case .layerNorm:
            guard tensors.count == 3 else { return nil }
            return try tensor(op, f, [tensors[0], try tuple(inputs[1].shape.dims), tensors[1], tensors[2],
                                      attributes.epsilon])
        case .batchNorm:
            guard tensors.count == 5 else { return nil }
            // The op is pure: in training torch gets no running statistics to update (Mino's
            // Swift API updates its own), so it normalizes with the batch's.
            let training = attributes.training
            return try tensor(op, f, [tensors[0], training ? nil : tensors[1], training ? nil : tensors[2], tensors[3],
                                      tensors[4], training, 0.0, attributes.epsilon])
        case .lstmCell, .lstmCellBackward:
            return nil
        case .lstm, .lstmBackward, .gru, .gruBackward:
            // One helper call each (the layer's whole sequence, or its backward pass through time).
            let arity = [FusedKernel.lstm: 7, .gru: 6][kernel] ?? 4
            guard tensors.count == arity else { return nil }
            return try tensor(op, f, tensors)
        case .gelu, .silu:
            return try tensor(op, f, [tensors[0]])
        case .elu, .leakyRelu, .softplus:
            return try tensor(op, f, [tensors[0], attributes.scalar])
        case .crossEntropy, .mse, .binaryCrossEntropyWithLogits:
            guard tensors.count == 2 else { return nil }
            return try tensor(op, f, [tensors[0], tensors[1], attributes.reduction.rawValue])
        }
    }

    /// SGD and Adam (and AdamW) with torch's in-place ops (`mul_`, `add_`,
    /// `addcmul_`, `addcdiv_`): one Python call per parameter, no
    /// temporaries kept. Returns false (Mino runs its op-based update) for
    /// integer parameters, mismatched state, or non-contiguous tensors to write.
    public func optimizerUpdate(_ kernel: OptimizerKernel, parameter: Operand, gradient: Operand,
                                state: [Operand]) throws -> Bool {
        guard parameter.dtype.isFloatingPoint, gradient.dtype == parameter.dtype, gradient.shape == parameter.shape,
              state.allSatisfy({ $0.dtype == parameter.dtype && $0.shape == parameter.shape }) else { return false }
        let p = try parameter.torchTensor(), g = try gradient.torchTensor()
        let done: PythonObject
        switch kernel {
        case let .sgd(lr, momentum, weightDecay, nesterov):
            guard state.count == (momentum != 0 ? 1 : 0) else { return false }
            let v = try state.first?.torchTensor()
            done = try value("sgd", try runtime.helper("sgd"), [p, g, v, lr, momentum, weightDecay, nesterov])
        case let .adam(lr, beta1, beta2, epsilon, weightDecay, decoupled, step):
            guard state.count == 2 else { return false }
            done = try value("adam", try runtime.helper("adam"),
                             [p, g, try state[0].torchTensor(), try state[1].torchTensor(),
                              lr, beta1, beta2, epsilon, weightDecay, decoupled, step])
        }
        return try boolean(done, "optimizerUpdate")
    }

    public func addInPlace(_ target: Operand, _ value: Operand) throws -> Bool {
        guard target.dtype == value.dtype, target.shape == value.shape else { return false }
        let done = try self.value("addInPlace", try runtime.helper("addInPlace"),
                                  [try target.torchTensor(), try value.torchTensor()])
        return try boolean(done, "addInPlace")
    }

    public func fillInPlace(_ target: Operand, _ value: Double) throws -> Bool {
        let fill: PythonConvertible = target.dtype.isFloatingPoint ? value : saturatingInt64(value)
        let done = try self.value("fillInPlace", try runtime.helper("fillInPlace"), [try target.torchTensor(), fill])
        return try boolean(done, "fillInPlace")
    }

    private func boolean(_ object: PythonObject, _ op: String) throws -> Bool {
        do { return try object.toBool() } catch { throw TorchErrors.mino(error, op: op) }
    }
}
