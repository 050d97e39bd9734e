import MinoCore
import MinoCPU
import MinoKernels

/// Float32 elementwise ops on the native AVX-512 kernels (`Kernels/Elementwise.c`), split over
/// the blas threads: the contiguous cases (an array with an array or one value); nil where
/// the kernels are off, the op has no native kernel, or the layout needs the Swift loops.
enum NativeElementwise {
    /// The fewest elements a thread takes: below it, waking a second core costs more than it saves.
    static let parallelChunk = 1 << 14

    /// The native kernel of each op that has one (the table lists both sides once).
    static func op(_ kernel: UnaryKernel) -> MinoUnaryOp? {
        switch kernel {
        case .neg: return MinoUnaryNeg
        case .exp: return MinoUnaryExp
        case .sqrt: return MinoUnarySqrt
        case .abs: return MinoUnaryAbs
        case .relu: return MinoUnaryRelu
        case .sigmoid: return MinoUnarySigmoid
        case .tanh: return MinoUnaryTanh
        case .log, .sign, .erf, .sin, .cos: return nil
        }
    }

    static func op(_ kernel: BinaryKernel) -> MinoBinaryOp? {
        switch kernel {
        case .add: return MinoBinaryAdd
        case .sub: return MinoBinarySub
        case .mul: return MinoBinaryMul
        case .div: return MinoBinaryDiv
        case .maximum: return MinoBinaryMaximum
        case .minimum: return MinoBinaryMinimum
        case .equal: return MinoBinaryEqual
        case .notEqual: return MinoBinaryNotEqual
        case .less: return MinoBinaryLess
        case .lessEqual: return MinoBinaryLessEqual
        case .greater: return MinoBinaryGreater
        case .greaterEqual: return MinoBinaryGreaterEqual
        case .pow: return nil
        }
    }

    static func unary(_ kernel: UnaryKernel, _ x: CPUStorage) -> CPUStorage? {
        guard NativeKernels.isEnabled, x.isContiguous, let op = op(kernel) else { return nil }
        let out = CPUStorage(uninitialized: x.shape, dtype: x.dtype)
        let (src, dst) = (x.pointer(Float.self), out.pointer(Float.self))
        ParallelLoop.forEachChunk(count: x.shape.elementCount, minimumChunk: parallelChunk) { r in
            mino_unary_f32(op, r.count, src + r.lowerBound, dst + r.lowerBound)
        }
        return out
    }

    static func binary(_ kernel: BinaryKernel, _ a: CPUStorage, _ b: CPUStorage, _ shape: Shape) -> CPUStorage? {
        guard NativeKernels.isEnabled, let op = op(kernel) else { return nil }
        let n = shape.elementCount
        guard n > 0, let stepA = step(a, n), let stepB = step(b, n), stepA + stepB > 0 else { return nil }
        let out = CPUStorage(uninitialized: shape, dtype: a.dtype)
        let (pa, pb, po) = (a.pointer(Float.self), b.pointer(Float.self), out.pointer(Float.self))
        ParallelLoop.forEachChunk(count: n, minimumChunk: parallelChunk) { r in
            let o = r.lowerBound
            mino_binary_f32(op, r.count, pa + o * stepA, Int32(stepA), pb + o * stepB, Int32(stepB), po + o)
        }
        return out
    }

    /// 1 for a contiguous operand of all `n` elements, 0 for a single value, else nil (the
    /// repeated rows and columns need the shape, and the Swift loops).
    private static func step(_ x: CPUStorage, _ n: Int) -> Int? {
        switch BLASLoops.pattern(x, [n], n) {
        case .full?: return 1
        case .scalar?: return 0
        default: return nil
        }
    }
}
