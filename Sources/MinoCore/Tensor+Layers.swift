import Foundation

// The layer ops as Tensor methods (conv2d, maxPool2d, layerNorm, …) and the NLL loss.

// MARK: - The Swift API

extension Tensor {
    public func leakyRelu(negativeSlope: Double = 0.01) throws -> Tensor {
        var a = OpAttributes()
        a.scalar = negativeSlope
        return try Dispatch.apply(Ops.leakyRelu, [self], a)
    }

    public func elu(alpha: Double = 1) throws -> Tensor {
        var a = OpAttributes()
        a.scalar = alpha
        return try Dispatch.apply(Ops.elu, [self], a)
    }

    public func softplus(beta: Double = 1) throws -> Tensor {
        var a = OpAttributes()
        a.scalar = beta
        return try Dispatch.apply(Ops.softplus, [self], a)
    }

    public func silu() throws -> Tensor { try Dispatch.apply(Ops.silu, [self]) }
    public func gelu() throws -> Tensor { try Dispatch.apply(Ops.gelu, [self]) }

    /// `F.conv2d(self, weight, bias, stride, padding, dilation, groups)`; no bias is a zero bias.
    public func conv2d(_ weight: Tensor, _ bias: Tensor? = nil, stride: [Int] = [1], padding: [Int] = [0],
                       dilation: [Int] = [1], groups: Int = 1) throws -> Tensor {
        var a = OpAttributes()
        a.window = Window(stride: stride, padding: padding, dilation: dilation, groups: groups)
        let b = try bias ?? Tensor.zeros([weight.shape.dims.first ?? 0], dtype: weight.dtype, on: weight.backend)
        return try Dispatch.apply(Ops.conv2d, [self, weight, b], a)
    }

    /// `F.conv1d(self, weight, bias, stride, padding, dilation, groups)`.
    public func conv1d(_ weight: Tensor, _ bias: Tensor? = nil, stride: Int = 1, padding: Int = 0,
                       dilation: Int = 1, groups: Int = 1) throws -> Tensor {
        var a = OpAttributes()
        a.window = Window(stride: [stride], padding: [padding], dilation: [dilation], groups: groups)
        let b = try bias ?? Tensor.zeros([weight.shape.dims.first ?? 0], dtype: weight.dtype, on: weight.backend)
        return try Dispatch.apply(Ops.conv1d, [self, weight, b], a)
    }

    /// `F.conv_transpose2d(self, weight, bias, stride, padding, output_padding, groups, dilation)`.
    public func convTranspose2d(_ weight: Tensor, _ bias: Tensor? = nil, stride: [Int] = [1], padding: [Int] = [0],
                                outputPadding: [Int] = [0], groups: Int = 1, dilation: [Int] = [1]) throws -> Tensor {
        var a = OpAttributes()
        a.window = Window(stride: stride, padding: padding, dilation: dilation, outputPadding: outputPadding,
                          groups: groups)
        let outChannels = weight.rank == 4 ? weight.shape[1] * Swift.max(groups, 1) : 0
        let b = try bias ?? Tensor.zeros([outChannels], dtype: weight.dtype, on: weight.backend)
        return try Dispatch.apply(Ops.convTranspose2d, [self, weight, b], a)
    }

    /// `F.max_pool2d(self, kernel_size, stride = kernel_size, padding)`.
    public func maxPool2d(kernelSize: [Int], stride: [Int] = [], padding: [Int] = [0]) throws -> Tensor {
        var a = OpAttributes()
        a.window = Window(kernel: kernelSize, stride: stride, padding: padding)
        return try Dispatch.apply(Ops.maxPool2d, [self], a)
    }

    /// `F.avg_pool2d(self, kernel_size, stride = kernel_size, padding)` (padding counted in the mean).
    public func avgPool2d(kernelSize: [Int], stride: [Int] = [], padding: [Int] = [0]) throws -> Tensor {
        var a = OpAttributes()
        a.window = Window(kernel: kernelSize, stride: stride, padding: padding)
        return try Dispatch.apply(Ops.avgPool2d, [self], a)
    }

    public func adaptiveAvgPool2d(_ outputSize: [Int]) throws -> Tensor {
        try Dispatch.apply(Ops.adaptiveAvgPool2d, [self], .shape(Shape(outputSize)))
    }

    /// `torch.flatten(self, start_dim, end_dim)`.
    public func flatten(startDim: Int, endDim: Int = -1) throws -> Tensor {
        try Dispatch.apply(Ops.flatten, [self], .axes([startDim, endDim]))
    }

    /// `F.embedding(self, weight, padding_idx)`: rows of `weight` at these int64 ids.
    public func embedding(_ weight: Tensor, paddingIndex: Int? = nil) throws -> Tensor {
        var a = OpAttributes()
        a.index = paddingIndex
        return try Dispatch.apply(Ops.embedding, [self, weight], a)
    }

    /// `F.batch_norm(self, running_mean, running_var, weight, bias, training, momentum, eps)`. In
    /// training it normalizes with the batch's statistics and, as PyTorch does, updates the running
    /// ones in place: `running ← (1 − momentum)·running + momentum·batch`, the variance unbiased.
    public func batchNorm(runningMean: Tensor, runningVar: Tensor, weight: Tensor, bias: Tensor, training: Bool,
                          momentum: Double = 0.1, epsilon: Double = 1e-5) throws -> Tensor {
        var a = OpAttributes()
        a.epsilon = epsilon
        a.training = training
        let y = try Dispatch.apply(Ops.batchNorm, [self, runningMean, runningVar, weight, bias], a)
        if training {
            try withoutGradients {
                let (mean, variance) = try Ops.batchStatistics(detached())
                let count = Double(elementCount / Swift.max(shape[1], 1))
                let unbiased = try variance * (count / Swift.max(count - 1, 1))
                try runningMean.assign(try runningMean * (1 - momentum) + mean.cast(to: runningMean.dtype) * momentum)
                try runningVar.assign(try runningVar * (1 - momentum) + unbiased.cast(to: runningVar.dtype) * momentum)
            }
        }
        return y
    }

    /// `F.layer_norm(self, weight.shape, weight, bias, eps)`.
    public func layerNorm(_ weight: Tensor, _ bias: Tensor, epsilon: Double = 1e-5) throws -> Tensor {
        var a = OpAttributes()
        a.epsilon = epsilon
        return try Dispatch.apply(Ops.layerNorm, [self, weight, bias], a)
    }
}

extension Loss {
    /// `F.nll_loss(logProbabilities [N C], labels [N])`.
    public static func nll(_ logProbabilities: Tensor, _ labels: Tensor, reduction: Reduction = .mean) throws -> Tensor {
        try Dispatch.apply(Ops.nllLoss, [logProbabilities, labels], .reduction(reduction))
    }
}
