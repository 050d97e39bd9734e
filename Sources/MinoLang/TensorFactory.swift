import MinoCore

/// Tensors from program values: `torch.tensor [[1 2] [3 4]]`, `torch.zeros (, 2 3)`.
enum TensorFactory {
    /// The most elements a tensor made from `.mu` code may have (8 GiB of float32): larger
    /// requests are errors before any memory is asked for.
    static let maxElements = 1 << 31

    /// A shape from `(, 2 3)`, `[2 3]`, a `torch.Size`, or separate integers.
    static func shape(_ args: [Value], _ name: String) throws -> Shape {
        var dims: [Int]
        if args.count == 1, let items = args[0].sequenceItems() {
            dims = try items.map { v in
                guard let i = v.integer else { throw LangError.type("\(name)(): size must be a tuple of ints, but found element of type \(v.typeName)") }
                return i
            }
        } else {
            dims = try args.map { v in
                guard let i = v.integer else { throw LangError.type("\(name)(): size must be a tuple of ints, but found element of type \(v.typeName)") }
                return i
            }
        }
        for d in dims where d < 0 {
            throw LangError("RuntimeError", "\(name)(): negative dimension \(d) in size \(Shape(dims))")
        }
        var count = 1
        for d in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= maxElements else {
                throw LangError("RuntimeError", "\(name)(): size \(Shape(dims)) is too large to allocate (more than \(maxElements) elements)")
            }
            count = product
        }
        return Shape(dims)
    }

    /// The dtype named by a `:dtype` argument.
    static func dtype(_ v: Value?) throws -> DType? {
        guard let v else { return nil }
        switch v {
        case .none: return nil
        case .object(let d as DTypeObject): return d.dtype
        case .object(let t as TypeObject) where t.name == "float": return .float64
        case .object(let t as TypeObject) where t.name == "int": return .int64
        case .string(let s): return try DType(parsing: s)
        default: throw LangError.type("dtype must be a torch dtype such as torch.float32, not \(v.typeName)")
        }
    }

    /// `torch.tensor(data)`: nested lists or tuples of numbers (rectangular), a number, or a tensor.
    static func tensor(from value: Value, dtype: DType?, on backend: any Backend) throws -> Tensor {
        if let t = value.tensor {
            let d = dtype ?? t.dtype
            let moved = t.backend === backend ? t.detached() : try t.detached().to(backend)
            return d == moved.dtype ? moved : try moved.cast(to: d)
        }
        var dims: [Int] = []
        var flat: [Double] = []
        var sawFloat = false
        func walk(_ v: Value, _ depth: Int) throws {
            if let items = v.sequenceItems() {
                if depth == dims.count { dims.append(items.count) } else if dims[depth] != items.count {
                    throw LangError.value("expected sequence of length \(dims[depth]) at dim \(depth) (got \(items.count))")
                }
                guard depth < 64 else { throw LangError.value("tensor data nested too deeply") }
                for item in items { try walk(item, depth + 1) }
                return
            }
            guard depth == dims.count else { throw LangError.value("tensor data is not rectangular") }
            switch v.normalizedNumber {
            case .int(let i): flat.append(Double(i))
            case .float(let d): flat.append(d); sawFloat = true
            default:
                if let t = v.tensor, t.elementCount == 1 { flat.append(try t.item()); sawFloat = sawFloat || t.dtype.isFloatingPoint; return }
                throw LangError.type("tensor data must be numbers, found \(v.typeName)")
            }
        }
        try walk(value, 0)
        let d = dtype ?? (sawFloat ? .defaultFloat : .int64)
        return try Tensor(doubles: flat, shape: Shape(dims), dtype: d, on: backend)
    }
}
