import MinoCore
import MinoCPU

/// `layerNorm` and `batchNorm` as two passes over each normalized group (its
/// statistics, then the normalized, scaled and shifted values), with the
/// statistics accumulated in float64 as the composites' reductions are.
enum BLASNormalization {
    /// `(x − mean) / √(var + ε) · weight + bias` over the trailing axes of weight's shape:
    /// each row of `D = |weight|` elements normalized on its own (biased variance).
    static func layerNorm<T: BLASFloat>(_ inputs: [Operand], epsilon: Double, _: T.Type) throws -> CPUStorage? {
        guard inputs.count == 3 else { return nil }
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let weight = CPUTransfer.contiguous(try inputs[1].cpu())
        let bias = CPUTransfer.contiguous(try inputs[2].cpu())
        let d = weight.shape.elementCount
        let out = CPUStorage(uninitialized: x.shape, dtype: x.dtype)
        let total = x.shape.elementCount
        guard d > 0, total > 0 else { return out }
        let px = x.pointer(T.self), pw = weight.pointer(T.self), pb = bias.pointer(T.self), po = out.pointer(T.self)
        for r in 0..<(total / d) {
            let row = px + r * d, target = po + r * d
            let (mean, variance) = statistics(row, d, T.self)
            let scale = 1 / (variance + epsilon).squareRoot()
            for j in 0..<d { target[j] = T((Double(row[j]) - mean) * scale) * pw[j] + pb[j] }
        }
        return out
    }

    /// Per channel of `[N C …]`: `(x − mean) / √(var + ε) · weight + bias` with the batch's mean and
    /// biased variance when training, else the running ones (`inputs[1]`, `inputs[2]`).
    static func batchNorm<T: BLASFloat>(_ inputs: [Operand], epsilon: Double, training: Bool, _: T.Type) throws
        -> CPUStorage? {
        guard inputs.count == 5 else { return nil }
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let stats = try inputs[1...4].map { CPUTransfer.contiguous(try $0.cpu()) }
        let out = CPUStorage(uninitialized: x.shape, dtype: x.dtype)
        let total = x.shape.elementCount
        guard x.rank >= 2, total > 0 else { return out }
        let (n, c) = (x.shape[0], x.shape[1])
        let spatial = total / (n * c)
        let px = x.pointer(T.self), po = out.pointer(T.self)
        let (runningMean, runningVar) = (stats[0].pointer(T.self), stats[1].pointer(T.self))
        let (pw, pb) = (stats[2].pointer(T.self), stats[3].pointer(T.self))
        for ch in 0..<c {
            var mean = Double(runningMean[ch]), variance = Double(runningVar[ch])
            if training {
                // Σ over samples of each sample's run of `spatial` values, then the centered squares.
                var sum = 0.0
                for s in 0..<n {
                    let run = px + (s * c + ch) * spatial
                    for i in 0..<spatial { sum += Double(run[i]) }
                }
                mean = sum / Double(n * spatial)
                var squares = 0.0
                for s in 0..<n {
                    let run = px + (s * c + ch) * spatial
                    for i in 0..<spatial {
                        let centered = Double(run[i]) - mean
                        squares += centered * centered
                    }
                }
                variance = squares / Double(n * spatial)
            }
            // (x − mean)·scale + bias, in that order (as the composite: no cancellation for a large mean).
            let scale = Double(pw[ch]) / (variance + epsilon).squareRoot(), shift = Double(pb[ch])
            for s in 0..<n {
                let run = px + (s * c + ch) * spatial, target = po + (s * c + ch) * spatial
                for i in 0..<spatial { target[i] = T((Double(run[i]) - mean) * scale + shift) }
            }
        }
        return out
    }

    /// `∂x` of ``layerNorm``: per row, `rstd · (g − mean(g) − x̂ · mean(g·x̂))` with `g = up · weight`.
    static func layerNormBackward<T: BLASFloat>(_ inputs: [Operand], epsilon: Double, _: T.Type) throws
        -> CPUStorage? {
        guard inputs.count == 3 else { return nil }
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let weight = CPUTransfer.contiguous(try inputs[1].cpu())
        let up = CPUTransfer.contiguous(try inputs[2].cpu())
        let d = weight.shape.elementCount
        let out = CPUStorage(uninitialized: x.shape, dtype: x.dtype)
        let total = x.shape.elementCount
        guard d > 0, total > 0 else { return out }
        let px = x.pointer(T.self), pw = weight.pointer(T.self), pu = up.pointer(T.self), po = out.pointer(T.self)
        for r in 0..<(total / d) {
            let (row, gradient, target) = (px + r * d, pu + r * d, po + r * d)
            let (mean, variance) = statistics(row, d, T.self)
            let rstd = 1 / (variance + epsilon).squareRoot()
            var sumG = 0.0, sumGX = 0.0
            for j in 0..<d {
                let g = Double(gradient[j]) * Double(pw[j])
                sumG += g
                sumGX += g * (Double(row[j]) - mean) * rstd
            }
            let (meanG, meanGX) = (sumG / Double(d), sumGX / Double(d))
            for j in 0..<d {
                let g = Double(gradient[j]) * Double(pw[j]), xhat = (Double(row[j]) - mean) * rstd
                target[j] = T(rstd * (g - meanG - xhat * meanGX))
            }
        }
        return out
    }

    /// `∂x` of ``batchNorm`` in training: per channel over `N` and the spatial axes,
    /// `rstd · (g − mean(g) − x̂ · mean(g·x̂))` with `g = up · weight[c]`.
    static func batchNormBackward<T: BLASFloat>(_ inputs: [Operand], epsilon: Double, _: T.Type) throws
        -> CPUStorage? {
        guard inputs.count == 3 else { return nil }
        let x = CPUTransfer.contiguous(try inputs[0].cpu())
        let weight = CPUTransfer.contiguous(try inputs[1].cpu())
        let up = CPUTransfer.contiguous(try inputs[2].cpu())
        let out = CPUStorage(uninitialized: x.shape, dtype: x.dtype)
        let total = x.shape.elementCount
        guard x.rank >= 2, total > 0 else { return out }
        let (n, c) = (x.shape[0], x.shape[1])
        let spatial = total / (n * c), count = Double(n * spatial)
        let px = x.pointer(T.self), pw = weight.pointer(T.self), pu = up.pointer(T.self), po = out.pointer(T.self)
        for ch in 0..<c {
            var sum = 0.0
            for s in 0..<n {
                let run = px + (s * c + ch) * spatial
                for i in 0..<spatial { sum += Double(run[i]) }
            }
            let mean = sum / count
            var squares = 0.0, sumUp = 0.0, sumUpX = 0.0
            for s in 0..<n {
                let run = px + (s * c + ch) * spatial, gradient = pu + (s * c + ch) * spatial
                for i in 0..<spatial {
                    let centered = Double(run[i]) - mean, u = Double(gradient[i])
                    squares += centered * centered
                    sumUp += u
                    sumUpX += u * centered
                }
            }
            let rstd = 1 / (squares / count + epsilon).squareRoot(), w = Double(pw[ch])
            // mean(g) = w·mean(up); mean(g·x̂) = w·rstd·mean(up·(x − mean)).
            let (meanG, meanGX) = (w * sumUp / count, w * rstd * sumUpX / count)
            for s in 0..<n {
                let run = px + (s * c + ch) * spatial, gradient = pu + (s * c + ch) * spatial
                let target = po + (s * c + ch) * spatial
                for i in 0..<spatial {
                    let xhat = (Double(run[i]) - mean) * rstd
                    target[i] = T(rstd * (w * Double(gradient[i]) - meanG - xhat * meanGX))
                }
            }
        }
        return out
    }

    /// The mean and biased variance of `p[0..<n]`, in float64 (two passes: no cancellation).
    @inline(__always)
    static func statistics<T: BLASFloat>(_ p: UnsafeMutablePointer<T>, _ n: Int, _: T.Type) -> (Double, Double) {
        var sum = 0.0
        for i in 0..<n { sum += Double(p[i]) }
        let mean = sum / Double(n)
        var squares = 0.0
        for i in 0..<n {
            let centered = Double(p[i]) - mean
            squares += centered * centered
        }
        return (mean, squares / Double(n))
    }
}
