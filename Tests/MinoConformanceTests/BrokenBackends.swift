import MinoCore
import MinoReference

/// A backend that is the reference backend except for one deliberately wrong
/// unary kernel: the suite must report that op failing, and nothing else.
final class BrokenUnaryBackend: Backend {
    let base = ReferenceBackend()
    let broken: UnaryKernel
    /// The factor applied to the broken kernel's result.
    let factor: Double
    let name: String

    init(breaking kernel: UnaryKernel, factor: Double = 1 + 1e-3) {
        self.broken = kernel
        self.factor = factor
        self.name = "broken-\(kernel.rawValue)"
    }

    func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage {
        let right = try base.unary(kernel, x)
        guard kernel == broken else { return right }
        // σ(x)·(1 + 1e-3): a small relative error, well inside what a careless kernel might do.
        let scale = try base.full(factor, shape: .scalar, dtype: x.dtype)
        return try base.binary(.mul, Operand(storage: right, shape: x.shape, dtype: x.dtype),
                               Operand(storage: scale, shape: .scalar, dtype: x.dtype), shape: x.shape)
    }

    func upload(_ array: HostArray) throws -> any BackendStorage { try base.upload(array) }
    func download(_ x: Operand) throws -> HostArray { try base.download(x) }
    func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        try base.full(value, shape: shape, dtype: dtype)
    }
    func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.binary(kernel, a, b, shape: shape)
    }
    func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.select(condition, a, b, shape: shape)
    }
    func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage { try base.cast(x, to: dtype) }
    func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.matmul(a, b, shape: shape)
    }
    func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        try base.reduce(kernel, x, axes: axes, keepDims: keepDims)
    }
    func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        try base.argmax(x, axis: axis, keepDims: keepDims)
    }
    func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage { try base.reshape(x, to: shape) }
    func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage { try base.permute(x, permutation) }
    func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage { try base.expand(x, to: shape) }
    func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        try base.concat(xs, axis: axis, shape: shape)
    }
    func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try base.slice(x, ranges, shape: shape)
    }
    func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try base.sliceScatter(source, ranges, shape: shape)
    }
    func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.indexSelect(x, axis: axis, indices: indices, shape: shape)
    }
    func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.indexAdd(source, axis: axis, indices: indices, shape: shape)
    }
    func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        try base.gather(x, axis: axis, indices: indices)
    }
    func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.scatterAdd(source, axis: axis, indices: indices, shape: shape)
    }
}

/// The reference backend, except that `gather` reports out-of-range indices
/// with the wrong error kind (`.backend` instead of `.argument`).
final class WrongErrorKindBackend: Backend {
    let base = ReferenceBackend()
    var name: String { "wrong-error-kind" }

    func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        do {
            return try base.gather(x, axis: axis, indices: indices)
        } catch let error as MinoError where error.kind == .argument {
            throw MinoError(.backend, "gather failed: \(error.message)")
        }
    }

    func upload(_ array: HostArray) throws -> any BackendStorage { try base.upload(array) }
    func download(_ x: Operand) throws -> HostArray { try base.download(x) }
    func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        try base.full(value, shape: shape, dtype: dtype)
    }
    func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage { try base.unary(kernel, x) }
    func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.binary(kernel, a, b, shape: shape)
    }
    func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.select(condition, a, b, shape: shape)
    }
    func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage { try base.cast(x, to: dtype) }
    func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.matmul(a, b, shape: shape)
    }
    func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        try base.reduce(kernel, x, axes: axes, keepDims: keepDims)
    }
    func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        try base.argmax(x, axis: axis, keepDims: keepDims)
    }
    func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage { try base.reshape(x, to: shape) }
    func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage { try base.permute(x, permutation) }
    func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage { try base.expand(x, to: shape) }
    func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        try base.concat(xs, axis: axis, shape: shape)
    }
    func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try base.slice(x, ranges, shape: shape)
    }
    func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try base.sliceScatter(source, ranges, shape: shape)
    }
    func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.indexSelect(x, axis: axis, indices: indices, shape: shape)
    }
    func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.indexAdd(source, axis: axis, indices: indices, shape: shape)
    }
    func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.scatterAdd(source, axis: axis, indices: indices, shape: shape)
    }
}

/// The reference backend with a fused SGD update that claims success and changes nothing.
final class SilentSGDBackend: Backend {
    let base = ReferenceBackend()
    var name: String { "silent-sgd" }

    func optimizerUpdate(_ kernel: OptimizerKernel, parameter: Operand, gradient: Operand,
                         state: [Operand]) throws -> Bool {
        true
    }

    func upload(_ array: HostArray) throws -> any BackendStorage { try base.upload(array) }
    func download(_ x: Operand) throws -> HostArray { try base.download(x) }
    func full(_ value: Double, shape: Shape, dtype: DType) throws -> any BackendStorage {
        try base.full(value, shape: shape, dtype: dtype)
    }
    func unary(_ kernel: UnaryKernel, _ x: Operand) throws -> any BackendStorage { try base.unary(kernel, x) }
    func binary(_ kernel: BinaryKernel, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.binary(kernel, a, b, shape: shape)
    }
    func select(_ condition: Operand, _ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.select(condition, a, b, shape: shape)
    }
    func cast(_ x: Operand, to dtype: DType) throws -> any BackendStorage { try base.cast(x, to: dtype) }
    func matmul(_ a: Operand, _ b: Operand, shape: Shape) throws -> any BackendStorage {
        try base.matmul(a, b, shape: shape)
    }
    func reduce(_ kernel: ReduceKernel, _ x: Operand, axes: [Int], keepDims: Bool) throws -> any BackendStorage {
        try base.reduce(kernel, x, axes: axes, keepDims: keepDims)
    }
    func argmax(_ x: Operand, axis: Int, keepDims: Bool) throws -> any BackendStorage {
        try base.argmax(x, axis: axis, keepDims: keepDims)
    }
    func reshape(_ x: Operand, to shape: Shape) throws -> any BackendStorage { try base.reshape(x, to: shape) }
    func permute(_ x: Operand, _ permutation: [Int]) throws -> any BackendStorage { try base.permute(x, permutation) }
    func expand(_ x: Operand, to shape: Shape) throws -> any BackendStorage { try base.expand(x, to: shape) }
    func concat(_ xs: [Operand], axis: Int, shape: Shape) throws -> any BackendStorage {
        try base.concat(xs, axis: axis, shape: shape)
    }
    func slice(_ x: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try base.slice(x, ranges, shape: shape)
    }
    func sliceScatter(_ source: Operand, _ ranges: [SliceRange], shape: Shape) throws -> any BackendStorage {
        try base.sliceScatter(source, ranges, shape: shape)
    }
    func indexSelect(_ x: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.indexSelect(x, axis: axis, indices: indices, shape: shape)
    }
    func indexAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.indexAdd(source, axis: axis, indices: indices, shape: shape)
    }
    func gather(_ x: Operand, axis: Int, indices: Operand) throws -> any BackendStorage {
        try base.gather(x, axis: axis, indices: indices)
    }
    func scatterAdd(_ source: Operand, axis: Int, indices: Operand, shape: Shape) throws -> any BackendStorage {
        try base.scatterAdd(source, axis: axis, indices: indices, shape: shape)
    }
}
