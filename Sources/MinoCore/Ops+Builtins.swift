extension Ops {
    /// Every built-in op, in the order the registry, the docs and the
    /// conformance suite list them.
    public static let builtins: [OpDefinition] = [
        // Elementwise
        neg, exp, log, sqrt, abs, sign, relu, sigmoid, tanh, erf, sin, cos,
        add, sub, mul, div, pow, maximum, minimum,
        equal, notEqual, less, lessEqual, greater, greaterEqual,
        `where`, cast,
        // Linear algebra and reductions
        matmul, sum, max, argmax,
        // Shapes
        reshape, permute, expand, concat, slice, sliceScatter,
        // Indexing
        indexSelect, indexAdd, gather, scatterAdd,
        // Composites
        mean, transpose, stack, softmax, logSoftmax, linear,
        mse, binaryCrossEntropyWithLogits, crossEntropy, dropout,
        // Layers (Ops+Layers, Ops+Convolution, Ops+Pooling, Ops+Normalization)
        leakyRelu, elu, softplus, silu, gelu, nllLoss,
        conv2d, conv1d, convTranspose2d, maxPool2d, avgPool2d, adaptiveAvgPool2d,
        flatten, embedding, layerNorm, batchNorm, lstmCell, lstmCellBackward, maxPool2dBackward,
        conv2dWeightBackward, layerNormBackward, batchNormBackward,
        // Recurrent layers over a sequence (Ops+Recurrent.swift)
        lstm, lstmBackward, gru, gruBackward,
    ]
}
