import MinoLisp

/// Hy's operators, variadic where Hy's are: `(+ a b c)`, `(- x)`, `(< a b c)`.
///
/// Each is a builtin function value (so it can be passed: `(reduce + xs)`), and a call
/// whose head is the builtin operator compiles to a direct call of its implementation:
/// `(+ x y)` costs two slot reads and one `Arith.binary`, no argument array.
enum Operators {
    static let arithmetic: [String: Arith.Op] = [
        "+": .add, "-": .sub, "*": .mul, "/": .div, "//": .floorDiv, "%": .mod, "**": .pow, "@": .matmul,
    ]
    static let comparisons: [String: Arith.Comparison] = [
        "<": .less, "<=": .lessEqual, ">": .greater, ">=": .greaterEqual, "=": .equal, "!=": .notEqual,
    ]

    /// The function value of an operator (what `+` is bound to in the builtins).
    static func function(_ name: String) -> Function? {
        if let op = arithmetic[name] {
            return Function(name, sourceName: name) { args, keywords in
                guard keywords.isEmpty else { throw LangError.type("\(name) takes no keyword arguments") }
                return try fold(op, args)
            }
        }
        if let op = comparisons[name] {
            return Function(name, sourceName: name) { args, keywords in
                guard keywords.isEmpty else { throw LangError.type("\(name) takes no keyword arguments") }
                return try chain(op, args)
            }
        }
        return nil
    }

    static func fold(_ op: Arith.Op, _ args: [Value]) throws -> Value {
        switch args.count {
        case 0:
            switch op {
            case .add: return .int(0)
            case .mul: return .int(1)
            default: throw LangError.type("\(op.rawValue) needs at least one argument")
            }
        case 1:
            switch op {
            case .add:
                guard args[0].isNumeric || args[0].tensor != nil else {
                    throw LangError.type("bad operand type for unary +: '\(args[0].typeName)'")
                }
                return args[0]
            case .sub: return try Arith.negate(args[0])
            case .div: return try Arith.binary(.div, .int(1), args[0])
            case .mul: return args[0]
            default: throw LangError.type("\(op.rawValue) needs at least two arguments")
            }
        default:
            var acc = args[0]
            for x in args.dropFirst() { acc = try Arith.binary(op, acc, x) }
            return acc
        }
    }

    static func chain(_ op: Arith.Comparison, _ args: [Value]) throws -> Value {
        guard args.count >= 1 else { throw LangError.type("\(op.rawValue) needs at least one argument") }
        if args.count == 1 { return .bool(true) }
        if args.count == 2 { return try Arith.compare(op, args[0], args[1]) }
        for i in 0..<(args.count - 1) {
            let r = try Arith.compare(op, args[i], args[i + 1])
            if try !r.isTruthy() { return r }
        }
        return .bool(true)
    }

    /// A direct closure for an operator call, or nil when `name` is not an operator
    /// bound to its builtin here (a local or a redefined global of that name).
    static func compile(_ name: String, _ args: [Expr], _ c: Compiler, at location: SourceLocation?) throws -> Code? {
        guard arithmetic[name] != nil || comparisons[name] != nil, !c.isLocal(name),
              c.interpreter.isBuiltinOperator(name) else { return nil }
        guard !args.contains(where: { $0.keywordName != nil }) else { return nil }
        let codes = try args.map(c.compile)
        if let op = arithmetic[name] {
            if codes.count == 2 {
                let (a, b) = (codes[0], codes[1])
                return { f in
                    let x = try a(f), y = try b(f)
                    do {
                        // Two tensors: straight to the op, the common case in a model's body.
                        if case .tensor(let t) = x, case .tensor(let u) = y, let result = try Arith.tensors(op, t, u) {
                            return .tensor(result)
                        }
                        return try Arith.binary(op, x, y)
                    } catch { throw LangError(wrapping: error, at: location) }
                }
            }
            return { f in
                let values = try codes.map { try $0(f) }
                do { return try fold(op, values) } catch { throw LangError(wrapping: error, at: location) }
            }
        }
        guard let op = comparisons[name] else { return nil }
        if codes.count == 2 {
            let (a, b) = (codes[0], codes[1])
            return { f in
                let x = try a(f), y = try b(f)
                do { return try Arith.compare(op, x, y) } catch { throw LangError(wrapping: error, at: location) }
            }
        }
        return { f in
            let values = try codes.map { try $0(f) }
            do { return try chain(op, values) } catch { throw LangError(wrapping: error, at: location) }
        }
    }
}
