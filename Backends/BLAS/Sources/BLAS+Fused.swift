import MinoCore
import MinoCPU

extension BLASBackend {
    /// Fused kernels for the composites where one pass pays: `linear` (one gemm
    /// with the bias preloaded), row-wise `softmax`/`logSoftmax`, `crossEntropy`
    /// (log-softmax, pick and reduce in one pass), `mean`, `mse` and
    /// `binaryCrossEntropyWithLogits`; the layers' convolutions (`BLAS+Convolution`),
    /// pooling (`BLAS+Pooling`, `BLAS+AveragePooling`), normalisations
    /// (`BLAS+Normalization`) and recurrent layers (`BLAS+Recurrent`), with their
    /// backward ops. Returns nil (the default implementation runs) for layouts
    /// these kernels do not cover.
    public func fused(_ kernel: FusedKernel, _ inputs: [Operand], _ attributes: OpAttributes) throws
        -> (any BackendStorage)? {
        switch inputs[0].dtype {
        case .float32: return try BLASFused.run(kernel, inputs, attributes, Float.self)
        case .float64: return try BLASFused.run(kernel, inputs, attributes, Double.self)
        case .int64: return nil
        }
    }
}

enum BLASFused {
    static func run<T: BLASFloat>(_ kernel: FusedKernel, _ inputs: [Operand], _ a: OpAttributes,
                                  _: T.Type) throws -> CPUStorage? {
        switch kernel {
        case .linear:
            return try linear(try inputs[0].cpu(), try inputs[1].cpu(), try inputs[2].cpu(), T.self)
        case .softmax:
            return softmax(try inputs[0].cpu(), axis: a.axis, log: false, T.self)
        case .logSoftmax:
            return softmax(try inputs[0].cpu(), axis: a.axis, log: true, T.self)
        case .crossEntropy:
            return try crossEntropy(try inputs[0].cpu(), try inputs[1].cpu(), a.reduction, T.self)
        case .conv2d:
            return try BLASConvolution.conv2d(inputs, a.window, T.self)
        case .lstmCell:
            return try BLASRecurrent.cell(inputs, T.self)
        case .lstmCellBackward:
            return try BLASRecurrent.cellBackward(inputs, T.self)
        case .conv2dWeightBackward:
            return try BLASConvolution.conv2dWeightBackward(inputs, a.window, T.self)
        case .convTranspose2d:
            return try BLASConvolution.convTranspose2d(inputs, a.window, T.self)
        case .maxPool2d:
            return try BLASPooling.maxPool2d(inputs, a.window, T.self)
        case .maxPool2dBackward:
            return try BLASPooling.maxPool2dBackward(inputs, a.window, T.self)
        case .avgPool2d:
            return try BLASAveragePooling.avgPool2d(inputs, a.window, T.self)
        case .adaptiveAvgPool2d:
            return try BLASAveragePooling.adaptiveAvgPool2d(inputs, a.shape, T.self)
        case .layerNorm:
            return try BLASNormalization.layerNorm(inputs, epsilon: a.epsilon, T.self)
        case .batchNorm:
            return try BLASNormalization.batchNorm(inputs, epsilon: a.epsilon, training: a.training, T.self)
        case .layerNormBackward:
            return try BLASNormalization.layerNormBackward(inputs, epsilon: a.epsilon, T.self)
        case .batchNormBackward:
            return try BLASNormalization.batchNormBackward(inputs, epsilon: a.epsilon, T.self)
        case .lstm, .lstmBackward, .gru, .gruBackward:
            return try BLASRecurrent.sequence(kernel, inputs, T.self)
        case .gelu, .silu, .elu, .leakyRelu, .softplus:
            return nil  // the defaults from primitives
        case .mean:
            return mean(try inputs[0].cpu(), axes: a.axes, keepDims: a.keepDims, T.self)
        case .mse:
            return pointwiseLoss(try inputs[0].cpu(), try inputs[1].cpu(), a.reduction, T.self) { p, t in
                let d = p - t
                return d * d
            }
        case .binaryCrossEntropyWithLogits:
            // max(x, 0) − x·y + log(1 + e^−|x|), step by step in T as the default does.
            return pointwiseLoss(try inputs[0].cpu(), try inputs[1].cpu(), a.reduction, T.self) { x, y in
                let positive = x > 0 || x.isNaN ? x : 0
                return (positive - x * y) + T.log(T.exp(-Swift.abs(x)) + 1)
            }
        }
    }

    // MARK: linear

    /// `x @ wᵀ + b` as one gemm: the bias is copied into every output row and
    /// gemm adds the product to it (beta = 1). A weight stored transposed is
    /// read as it is.
    static func linear<T: BLASFloat>(_ x: CPUStorage, _ w: CPUStorage, _ b: CPUStorage, _: T.Type) throws -> CPUStorage? {
        let (outputs, features) = (w.shape[0], w.shape[1])
        var dims = x.shape.dims
        dims[dims.count - 1] = outputs
        let out = CPUStorage(uninitialized: Shape(dims), dtype: x.dtype)
        let rows = outputs == 0 ? 0 : out.shape.elementCount / outputs
        if rows == 0 || outputs == 0 { return out }

        // The bias, once per row.
        let po = out.pointer(T.self)
        let pb = b.pointer(T.self), sb = b.strides[0]
        for j in 0..<outputs { po[j] = pb[j * sb] }
        for r in 1..<rows { (po + r * outputs).update(from: po, count: outputs) }
        if features == 0 { return out }

        // x as a [rows, features] matrix.
        var xs = x
        var xl = inputLayout(xs, rows: rows)
        if xl == nil {
            xs = CPUTransfer.contiguous(x)
            xl = inputLayout(xs, rows: rows)
        }
        var ws = w
        var wl = MatrixLayout.of(ws)
        if wl == nil {
            ws = CPUTransfer.contiguous(w)
            wl = MatrixLayout.of(ws)
        }
        guard let xl, let wl else { return nil }
        try BLASLibrary.ensureActive()
        T.gemm(transA: xl.transposed, transB: !wl.transposed,
               m: try BLASMatMul.int32(rows, "dimension"), n: try BLASMatMul.int32(outputs, "dimension"),
               k: try BLASMatMul.int32(features, "dimension"), alpha: 1,
               a: xs.pointer(T.self), lda: try BLASMatMul.int32(xl.ld, "leading dimension"),
               b: ws.pointer(T.self), ldb: try BLASMatMul.int32(wl.ld, "leading dimension"),
               beta: 1, c: po, ldc: try BLASMatMul.int32(outputs, "dimension"))
        return out
    }

    /// The layout of `x` (`[…, features]`) seen as a `[rows, features]` matrix, or nil.
    static func inputLayout(_ x: CPUStorage, rows: Int) -> MatrixLayout? {
        let features = x.shape[x.rank - 1], colStride = x.strides[x.rank - 1]
        if x.rank == 1 { return MatrixLayout.of(rows: 1, cols: features, rowStride: features, colStride: colStride) }
        if x.rank == 2 { return MatrixLayout.of(x) }
        guard let layout = MatrixLayout.of(rows: x.shape[x.rank - 2], cols: features, rowStride: x.strides[x.rank - 2],
                                           colStride: colStride), !layout.transposed else { return nil }
        // Leading axes must continue the row spacing.
        return BLASMatMul.foldedRows(x, layout, batch: rows / Swift.max(x.shape[x.rank - 2], 1),
                                     m: x.shape[x.rank - 2], k: features) != nil ? layout : nil
    }

    // MARK: softmax, logSoftmax

    /// Softmax (or log-softmax) of each row of a contiguous tensor, along its last axis.
    static func softmax<T: BLASFloat>(_ x: CPUStorage, axis: Int, log: Bool, _: T.Type) -> CPUStorage? {
        guard x.rank >= 1, axis == x.rank - 1, x.isContiguous else { return nil }
        let out = CPUStorage(uninitialized: x.shape, dtype: x.dtype)
        let width = x.shape[axis]
        let n = x.shape.elementCount
        guard width > 0, n > 0 else { return out }
        let rows = n / width
        let src = x.pointer(T.self), dst = out.pointer(T.self)
        // Rows shifted by their max, then every exponential in one long loop (rows of
        // ten classes are too short for the vectoriser), then each row's sum in order.
        shiftRows(src, rows, width, into: dst)
        if log {
            let exps = UnsafeMutablePointer<T>.allocate(capacity: n)
            defer { exps.deallocate() }
            exponentials(dst, into: exps, n)
            for r in 0..<rows {
                let lse = T.log(T(sequentialSum(exps + r * width, width)))
                let target = dst + r * width
                for j in 0..<width { target[j] = target[j] - lse }
            }
        } else {
            exponentials(dst, into: dst, n)
            for r in 0..<rows {
                let target = dst + r * width
                let total = T(sequentialSum(target, width))
                for j in 0..<width { target[j] = target[j] / total }
            }
        }
        return out
    }

    /// `target[r][j] = row[r][j] − max(row r)`.
    @inline(__always)
    static func shiftRows<T: BLASFloat>(_ src: UnsafeMutablePointer<T>, _ rows: Int, _ width: Int,
                                        into target: UnsafeMutablePointer<T>) {
        for r in 0..<rows {
            let row = src + r * width, out = target + r * width
            let peak = rowMax(row, width)
            for j in 0..<width { out[j] = row[j] - peak }
        }
    }

    /// `target[i] = eˣ⁽ⁱ⁾` over a flat run (in place when `target == x`).
    @inline(__always)
    static func exponentials<T: BLASFloat>(_ x: UnsafeMutablePointer<T>, into target: UnsafeMutablePointer<T>, _ n: Int) {
        for i in 0..<n { target[i] = T.vectorExp(x[i]) }
    }

    /// Σ p[0..<n] in float64, in order (the order the default implementation sums).
    @inline(__always)
    static func sequentialSum<T: BLASFloat>(_ p: UnsafeMutablePointer<T>, _ n: Int) -> Double {
        var total = 0.0
        for j in 0..<n { total += Double(p[j]) }
        return total
    }

    /// The largest element of a row (NaN when any is NaN, as `max`).
    @inline(__always)
    static func rowMax<T: BLASFloat>(_ row: UnsafeMutablePointer<T>, _ width: Int) -> T {
        var peak = row[0]
        var sawNaN = false
        for j in 0..<width {
            let v = row[j]
            if v > peak { peak = v }
            if v.isNaN { sawNaN = true }
        }
        return sawNaN ? .nan : peak
    }

    // MARK: crossEntropy

    /// −log softmax(logits)[label] per row, reduced, without materialising the log-softmax.
    ///
    /// - Throws: ``MinoError`` `.argument` for a label outside `0..<classes`, as the default does.
    static func crossEntropy<T: BLASFloat>(_ logits: CPUStorage, _ labels: CPUStorage, _ reduction: Reduction,
                                           _: T.Type) throws -> CPUStorage? {
        guard labels.dtype == .int64 else { return nil }
        let (rows, classes) = (logits.shape[0], logits.shape[1])
        let x = CPUTransfer.contiguous(logits)
        let src = x.pointer(T.self)
        let pl = labels.pointer(Int64.self), sl = rows > 0 ? labels.strides[0] : 0
        for r in 0..<rows {
            let label = pl[r * sl]
            guard label >= 0, label < Int64(classes) else {
                // The error the default implementation (log-softmax, then gather) throws, word for word.
                throw MinoError.argument("gather", "index \(label) is out of range for an axis of size \(classes)")
            }
        }
        let losses = reduction == .none ? CPUStorage(uninitialized: [rows], dtype: logits.dtype) : nil
        let pLoss = losses?.pointer(T.self)
        // Shifted logits, their exponentials in one flat pass, then per row −(shifted[label] − log Σ).
        let n = rows * classes
        let shifted = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(n, 1))
        let exps = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(n, 1))
        defer {
            shifted.deallocate()
            exps.deallocate()
        }
        shiftRows(src, rows, classes, into: shifted)
        exponentials(shifted, into: exps, n)
        var total = 0.0
        for r in 0..<rows {
            let label = Int(pl[r * sl])
            let loss = -(shifted[r * classes + label] - T.log(T(sequentialSum(exps + r * classes, classes))))
            if let pLoss { pLoss[r] = loss } else { total += Double(loss) }
        }
        if let losses { return losses }
        let out = CPUStorage(uninitialized: .scalar, dtype: logits.dtype)
        let sum = T(total)
        // The mean of no rows is 0/0 = NaN, as the default and PyTorch.
        out.pointer(T.self)[0] = reduction == .mean ? sum / T(rows) : sum
        return out
    }

    // MARK: mean and pointwise losses

    /// The sum over `axes` scaled by 1/count in place (one pass fewer than sum, then multiply).
    static func mean<T: BLASFloat>(_ x: CPUStorage, axes: [Int], keepDims: Bool, _: T.Type) -> CPUStorage? {
        let outShape = x.shape.reduced(over: axes, keepDims: keepDims)
        if axes.isEmpty { return x.isContiguous ? copy(x, T.self) : CPUTransfer.contiguous(x) }
        guard let out = BLASReduce.sum(x, axes: axes, outShape: outShape, T.self) else { return nil }
        let count = axes.reduce(1) { $0 * x.shape[$1] }
        let scale = T(1 / Double(count))  // an empty axis: 0 · ∞ = NaN, the mean of nothing
        let p = out.pointer(T.self)
        for i in 0..<outShape.elementCount { p[i] = p[i] * scale }
        return out
    }

    static func copy<T>(_ x: CPUStorage, _: T.Type) -> CPUStorage {
        let out = CPUStorage(uninitialized: x.shape, dtype: x.dtype)
        out.pointer(T.self).update(from: x.pointer(T.self), count: x.shape.elementCount)
        return out
    }

    /// A loss `f(p, t)` per element of two contiguous tensors of one shape, reduced.
    @inline(__always)
    static func pointwiseLoss<T: BLASFloat>(_ p: CPUStorage, _ t: CPUStorage, _ reduction: Reduction, _: T.Type,
                                            _ f: (T, T) -> T) -> CPUStorage? {
        guard p.isContiguous, t.isContiguous else { return nil }
        let n = p.shape.elementCount
        let pp = p.pointer(T.self), pt = t.pointer(T.self)
        if reduction == .none {
            let out = CPUStorage(uninitialized: p.shape, dtype: p.dtype)
            let po = out.pointer(T.self)
            for i in 0..<n { po[i] = f(pp[i], pt[i]) }
            return out
        }
        var total = 0.0
        for i in 0..<n { total += Double(f(pp[i], pt[i])) }
        let out = CPUStorage(uninitialized: .scalar, dtype: p.dtype)
        let sum = T(total)
        out.pointer(T.self)[0] = reduction == .mean ? sum / T(n) : sum  // of nothing: NaN
        return out
    }
}
