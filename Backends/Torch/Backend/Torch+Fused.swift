import MinoCore
import MinoPython

// Composites as torch's own kernels, and optimizer updates in place.

extension TorchBackend {
    /// Every composite with a fused kernel runs as the torch call its op declares
    /// (`F.linear`, `torch.softmax`, `mino.cross_entropy`...).
    ///
    /// Returns nil (Core runs the default from primitives) when an input is
    /// empty, so empty tensors take one path on every backend.
    public func fused(_ kernel: FusedKernel, _ inputs: [Operand], _ attributes: OpAttributes) throws
        -> (any BackendStorage)? {
        if inputs.contains(where: { $0.shape.elementCount == 0 }) { return nil }
        return try run(.fused(kernel), inputs, attributes)
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

    private func boolean(_ object: PythonObject, _ op: String) throws -> Bool {
        do { return try object.toBool() } catch { throw TorchErrors.mino(error, op: op) }
    }
}
