#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The dimensions of a tensor, outermost first. A scalar has the empty shape.
public struct Shape: Hashable, Sendable, ExpressibleByArrayLiteral, CustomStringConvertible,
    RandomAccessCollection
{
    public var dims: [Int]

    public init(_ dims: [Int]) { self.dims = dims }
    public init(arrayLiteral elements: Int...) { self.dims = elements }

    public static let scalar = Shape([])

    public var rank: Int { dims.count }

    /// The number of elements: the product of the dimensions (1 for a scalar).
    public var elementCount: Int {
        var n = 1
        for d in dims { n *= d }
        return n
    }

    /// Row-major strides, in elements, of a contiguous tensor of this shape.
    public var contiguousStrides: [Int] {
        var strides = [Int](repeating: 1, count: dims.count)
        var running = 1
        for axis in stride(from: dims.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running *= dims[axis]
        }
        return strides
    }

    /// `[2 3]`, the way Mino prints sizes (and MinoTauro's `:size [2 3]`).
    public var description: String { "[" + dims.map(String.init).joined(separator: " ") + "]" }

    // RandomAccessCollection over the dimensions.
    public var startIndex: Int { 0 }
    public var endIndex: Int { dims.count }
    public subscript(axis: Int) -> Int {
        get { dims[axis] }
        set { dims[axis] = newValue }
    }

    /// The most elements a tensor may have: its bytes in the widest dtype (8
    /// bytes) must still count in an `Int`.
    public static let maximumElementCount = Int.max / 8

    /// Checks that every dimension is non-negative and that the product of the
    /// non-zero dimensions is at most ``maximumElementCount``. A shape that
    /// passes can be counted, strided and sized in bytes without overflow,
    /// whatever its zero dimensions (`[0 2³² 2³²]` has partial products too).
    public func validated(for op: String) throws -> Shape {
        if let bad = dims.first(where: { $0 < 0 }) {
            throw MinoError.argument(op, "shape \(self) has a negative dimension \(bad)")
        }
        var product = 1
        for d in dims where d > 1 {
            let (p, overflow) = product.multipliedReportingOverflow(by: d)
            guard !overflow, p <= Shape.maximumElementCount else {
                throw MinoError.shape(op, [self], "too many elements: the dimensions multiply past "
                                      + "\(Shape.maximumElementCount)")
            }
            product = p
        }
        return self
    }

    /// The bytes a contiguous tensor of this (validated) shape and `dtype` takes.
    public func byteCount(_ dtype: DType) -> Int { elementCount * dtype.byteSize }

    /// The shape two operands broadcast to, by NumPy's rule: align from the
    /// right; each pair of dimensions must be equal or one of them 1.
    public static func broadcast(_ a: Shape, _ b: Shape, op: String) throws -> Shape {
        if a == b { return a }
        let rank = Swift.max(a.rank, b.rank)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let da = i < rank - a.rank ? 1 : a.dims[i - (rank - a.rank)]
            let db = i < rank - b.rank ? 1 : b.dims[i - (rank - b.rank)]
            if da == db || db == 1 {
                out[i] = da
            } else if da == 1 {
                out[i] = db
            } else {
                throw MinoError.shape(op, [a, b],
                    "cannot broadcast: dimension \(da) and \(db) differ at axis \(i - rank)")
            }
        }
        return Shape(out)
    }

    /// Whether this shape broadcasts to `target` (NumPy's rule, one way).
    public func broadcasts(to target: Shape) -> Bool {
        if rank > target.rank { return false }
        let offset = target.rank - rank
        for i in 0..<rank where dims[i] != 1 && dims[i] != target.dims[i + offset] {
            return false
        }
        return true
    }

    /// The axes of `target` that a tensor of this shape was broadcast along:
    /// the leading axes it lacks and the axes where it has size 1. Summing a
    /// gradient of shape `target` over them (then reshaping) undoes the broadcast.
    public func broadcastAxes(to target: Shape) -> [Int] {
        let offset = target.rank - rank
        var axes = Array(0..<Swift.max(offset, 0))
        for i in 0..<rank where dims[i] == 1 && target.dims[i + offset] != 1 {
            axes.append(i + offset)
        }
        return axes
    }

    /// Turns a possibly negative axis into an index in `0..<rank`.
    public func normalizedAxis(_ axis: Int, op: String) throws -> Int {
        let r = Swift.max(rank, 1)  // a scalar accepts axis 0 and -1, as in PyTorch
        guard axis >= -r && axis < r else {
            throw MinoError.argument(op, "axis \(axis) is out of range for shape \(self) (rank \(rank))")
        }
        return axis < 0 ? axis + r : axis
    }

    /// Normalizes a list of axes; an empty list means every axis. Duplicates are an error.
    public func normalizedAxes(_ axes: [Int], op: String) throws -> [Int] {
        if axes.isEmpty { return Array(0..<rank) }
        var out: [Int] = []
        out.reserveCapacity(axes.count)
        for axis in axes {
            let a = try normalizedAxis(axis, op: op)
            // A linear scan: axis lists are a handful long, and a Set allocates.
            guard !out.contains(a) else {
                throw MinoError.argument(op, "axis \(axis) appears twice in \(axes)")
            }
            out.append(a)
        }
        // A scalar accepts axis 0 / -1 (as PyTorch) but has no axis to reduce.
        return rank == 0 ? [] : out.sorted()
    }

    /// The shape left after reducing `axes` (already normalized).
    public func reduced(over axes: [Int], keepDims: Bool) -> Shape {
        var out: [Int] = []
        out.reserveCapacity(keepDims ? dims.count : Swift.max(dims.count - axes.count, 0))
        for (i, d) in dims.enumerated() {
            if axes.contains(i) {
                if keepDims { out.append(1) }
            } else {
                out.append(d)
            }
        }
        return Shape(out)
    }

    /// Resolves a requested shape with at most one `-1` against this element count.
    public func resolvingReshape(_ requested: [Int], op: String) throws -> Shape {
        var known = 1
        var inferred: Int? = nil
        for (i, d) in requested.enumerated() {
            if d == -1 {
                guard inferred == nil else {
                    throw MinoError.argument(op, "only one dimension can be -1, got \(Shape(requested))")
                }
                inferred = i
            } else if d < 0 {
                throw MinoError.argument(op, "invalid dimension \(d) in \(Shape(requested))")
            }
        }
        // Checked before any product: `[2³² 2³² 0]` must not overflow on the way to 0.
        _ = try Shape(requested.map { $0 == -1 ? 1 : $0 }).validated(for: op)
        for d in requested where d != -1 { known *= d }
        var dims = requested
        if let i = inferred {
            guard known != 0, elementCount % known == 0 else {
                throw MinoError.shape(op, [self, Shape(requested)],
                    "cannot infer -1: \(elementCount) elements do not divide into \(known)")
            }
            dims[i] = elementCount / known
        }
        let result = Shape(dims)
        guard result.elementCount == elementCount else {
            throw MinoError.shape(op, [self, result],
                "cannot reshape \(elementCount) elements into \(result.elementCount)")
        }
        return result
    }
}

extension Shape {
    /// The most bytes one tensor may take: the machine's physical memory. A
    /// larger allocation cannot succeed, and a failed allocation stops the
    /// process, so Core refuses such a tensor with a thrown error first.
    public static let allocationLimitBytes: Int = {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return Int.max }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: size)
        return overflow ? Int.max : bytes
    }()

    /// This shape, validated (``validated(for:)``) and small enough that a
    /// tensor of it in `dtype` fits in memory (``allocationLimitBytes``).
    ///
    /// - Throws: ``MinoError`` `.shape` when the sizes overflow, `.backend`
    ///   (out of memory) naming the bytes when it is too large.
    public func allocatable(_ dtype: DType, for op: String) throws -> Shape {
        _ = try validated(for: op)
        let bytes = byteCount(dtype)
        guard bytes <= Shape.allocationLimitBytes else {
            throw MinoError(.backend, "\(op): out of memory: a \(dtype) tensor of shape \(self) needs "
                            + "\(bytes) bytes, more than this machine's \(Shape.allocationLimitBytes) bytes of memory")
        }
        return self
    }
}
