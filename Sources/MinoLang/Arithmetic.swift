import Foundation
import MinoCore

/// Python's arithmetic and comparison on values: numbers as Python does them (int
/// overflow is an error, not a wrap), tensors through the op registry (a number
/// meets a tensor as a scalar), strings and sequences where Python allows.
enum Arith {
    enum Op: String {
        case add = "+", sub = "-", mul = "*", div = "/", floorDiv = "//", mod = "%", pow = "**", matmul = "@"
    }

    /// `a op b` for two tensors, or nil for the ops tensors do not take (`//`, `%`).
    @inline(__always)
    static func tensors(_ op: Op, _ a: Tensor, _ b: Tensor) throws -> Tensor? {
        switch op {
        case .add: return try a + b
        case .sub: return try a - b
        case .mul: return try a * b
        case .div: return try a / b
        case .pow: return try a.pow(b)
        case .matmul: return try a.matmul(b)
        case .floorDiv, .mod: return nil
        }
    }

    static func binary(_ op: Op, _ a: Value, _ b: Value) throws -> Value {
        if let x = a.tensor { return .tensor(try tensorOp(op, x, b, tensorFirst: true)) }
        if let y = b.tensor { return .tensor(try tensorOp(op, y, a, tensorFirst: false)) }
        if case .int(let x) = a.normalizedNumber, case .int(let y) = b.normalizedNumber { return try intOp(op, x, y) }
        if let x = a.number, let y = b.number, a.isNumeric, b.isNumeric { return try floatOp(op, x, y) }
        switch (op, a, b) {
        case (.add, .string(let x), .string(let y)): return .string(x + y)
        case (.add, .list(let x), .list(let y)): return .list(ListBox(x.items + y.items))
        case (.add, .tuple(let x), .tuple(let y)): return .tuple(x + y)
        case (.mul, .string(let s), _), (.mul, _, .string(let s)):
            guard let n = (a.isNumeric ? a : b).integer else { break }
            try checkRepeat(s.count, n)
            return .string(String(repeating: s, count: Swift.max(n, 0)))
        case (.mul, .list(let l), _), (.mul, _, .list(let l)):
            guard let n = (a.isNumeric ? a : b).integer else { break }
            try checkRepeat(l.items.count, n)
            return .list(ListBox(Array((0..<Swift.max(n, 0)).map { _ in l.items }.joined())))
        case (.mod, .string(let s), _):
            return .string(try PyFormat.percent(s, b))
        default: break
        }
        throw LangError.type("unsupported operand type(s) for \(op.rawValue): '\(a.typeName)' and '\(b.typeName)'")
    }

    private static func checkRepeat(_ count: Int, _ n: Int) throws {
        let (total, overflow) = count.multipliedReportingOverflow(by: Swift.max(n, 0))
        guard !overflow, total <= 1 << 26 else {
            throw LangError("MemoryError", "repeating \(count) elements \(n) times is too large")
        }
    }

    private static func intOp(_ op: Op, _ x: Int, _ y: Int) throws -> Value {
        func checked(_ r: (partialValue: Int, overflow: Bool)) throws -> Value {
            guard !r.overflow else { throw LangError("OverflowError", "integer result of \(x) \(op.rawValue) \(y) does not fit in 64 bits") }
            return .int(r.partialValue)
        }
        switch op {
        case .add: return try checked(x.addingReportingOverflow(y))
        case .sub: return try checked(x.subtractingReportingOverflow(y))
        case .mul: return try checked(x.multipliedReportingOverflow(by: y))
        case .div:
            guard y != 0 else { throw LangError("ZeroDivisionError", "division by zero") }
            return .float(Double(x) / Double(y))
        case .floorDiv:
            guard y != 0 else { throw LangError("ZeroDivisionError", "integer division or modulo by zero") }
            if x == .min && y == -1 { throw LangError("OverflowError", "integer result of \(x) // \(y) does not fit in 64 bits") }
            let q = x / y
            return .int((x % y != 0 && ((x < 0) != (y < 0))) ? q - 1 : q)
        case .mod:
            guard y != 0 else { throw LangError("ZeroDivisionError", "integer division or modulo by zero") }
            if y == -1 { return .int(0) }
            let r = x % y
            return .int(r != 0 && ((r < 0) != (y < 0)) ? r + y : r)
        case .pow:
            if y < 0 {
                guard x != 0 else { throw LangError("ZeroDivisionError", "0 cannot be raised to a negative power") }
                return .float(Foundation.pow(Double(x), Double(y)))
            }
            var result = 1, base = x, e = y
            while e > 0 {
                if e & 1 == 1 {
                    let r = result.multipliedReportingOverflow(by: base)
                    guard !r.overflow else { throw LangError("OverflowError", "integer result of \(x) ** \(y) does not fit in 64 bits") }
                    result = r.partialValue
                }
                e >>= 1
                if e > 0 {
                    let r = base.multipliedReportingOverflow(by: base)
                    guard !r.overflow else { throw LangError("OverflowError", "integer result of \(x) ** \(y) does not fit in 64 bits") }
                    base = r.partialValue
                }
            }
            return .int(result)
        case .matmul:
            throw LangError.type("unsupported operand type(s) for @: 'int' and 'int'")
        }
    }

    private static func floatOp(_ op: Op, _ x: Double, _ y: Double) throws -> Value {
        switch op {
        case .add: return .float(x + y)
        case .sub: return .float(x - y)
        case .mul: return .float(x * y)
        case .div:
            guard y != 0 else { throw LangError("ZeroDivisionError", "float division by zero") }
            return .float(x / y)
        case .floorDiv:
            guard y != 0 else { throw LangError("ZeroDivisionError", "float floor division by zero") }
            return .float((x / y).rounded(.down))
        case .mod:
            guard y != 0 else { throw LangError("ZeroDivisionError", "float modulo") }
            let r = x.truncatingRemainder(dividingBy: y)
            return .float(r != 0 && ((r < 0) != (y < 0)) ? r + y : r)
        case .pow:
            if x == 0 && y < 0 { throw LangError("ZeroDivisionError", "0.0 cannot be raised to a negative power") }
            if x < 0 && y != y.rounded() { throw LangError.value("math domain error: a negative number to a fractional power is complex") }
            return .float(Foundation.pow(x, y))
        case .matmul:
            throw LangError.type("unsupported operand type(s) for @: 'float' and 'float'")
        }
    }

    /// `t op other` (or `other op t` when `tensorFirst` is false).
    private static func tensorOp(_ op: Op, _ t: Tensor, _ other: Value, tensorFirst: Bool) throws -> Tensor {
        if let u = other.tensor {
            let (a, b) = tensorFirst ? (t, u) : (u, t)
            guard let result = try tensors(op, a, b) else {
                throw LangError.type("\(op.rawValue) is not supported on tensors in Mino yet")
            }
            return result
        }
        guard other.isNumeric else {
            throw LangError.type("unsupported operand type(s) for \(op.rawValue): '\(tensorFirst ? "Tensor" : other.typeName)' and '\(tensorFirst ? other.typeName : "Tensor")'")
        }
        // A Python number beside a tensor promotes as PyTorch's does (Core's `Tensor.number`).
        return try tensorOp(op, t, .tensor(try scalar(other, beside: t)), tensorFirst: tensorFirst)
    }

    /// A number as a scalar tensor beside `t`: an int keeps an integer tensor's dtype, a
    /// float makes an integer tensor float, neither widens a float tensor.
    static func scalar(_ number: Value, beside t: Tensor) throws -> Tensor {
        switch number.normalizedNumber {
        case .int(let i): return try t.number(i)
        case .float(let d): return try t.number(d)
        default: throw LangError.type("expected a number beside the tensor, found \(number.typeName)")
        }
    }

    static func negate(_ a: Value) throws -> Value {
        switch a.normalizedNumber {
        case .int(let i):
            guard i != .min else { throw LangError("OverflowError", "integer result of -(\(i)) does not fit in 64 bits") }
            return .int(-i)
        case .float(let d): return .float(-d)
        default:
            if let t = a.tensor { return .tensor(try t.neg()) }
            throw LangError.type("bad operand type for unary -: '\(a.typeName)'")
        }
    }

    enum Comparison: String { case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "=", notEqual = "!=" }

    static func compare(_ op: Comparison, _ a: Value, _ b: Value) throws -> Value {
        if a.tensor != nil || b.tensor != nil {
            guard let (x, y) = try tensorPair(a, b) else {
                if op == .equal { return .bool(false) }
                if op == .notEqual { return .bool(true) }
                throw LangError.type("'\(op.rawValue)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
            }
            switch op {
            case .less: return .tensor(try x < y)
            case .lessEqual: return .tensor(try x <= y)
            case .greater: return .tensor(try x > y)
            case .greaterEqual: return .tensor(try x >= y)
            case .equal: return .tensor(try x.equal(y))
            case .notEqual: return .tensor(try x.notEqual(y))
            }
        }
        switch op {
        case .equal: return .bool(pyEqual(a, b))
        case .notEqual: return .bool(!pyEqual(a, b))
        default: break
        }
        let order = try ordering(a, b, op)
        switch op {
        case .less: return .bool(order < 0)
        case .lessEqual: return .bool(order <= 0)
        case .greater: return .bool(order > 0)
        default: return .bool(order >= 0)
        }
    }

    private static func tensorPair(_ a: Value, _ b: Value) throws -> (Tensor, Tensor)? {
        switch (a.tensor, b.tensor) {
        case (let x?, let y?): return (x, y)
        case (let x?, nil): guard b.isNumeric else { return nil }; return (x, try scalar(b, beside: x))
        case (nil, let y?): guard a.isNumeric else { return nil }; return (try scalar(a, beside: y), y)
        default: return nil
        }
    }

    /// −1, 0, 1 for Python's ordering of numbers, strings and sequences.
    static func ordering(_ a: Value, _ b: Value, _ op: Comparison = .less) throws -> Int {
        if let x = a.number, let y = b.number, a.isNumeric, b.isNumeric { return x < y ? -1 : (x > y ? 1 : 0) }
        if case .string(let x) = a, case .string(let y) = b { return x < y ? -1 : (x > y ? 1 : 0) }
        if let xs = a.sequenceItems(), let ys = b.sequenceItems(), a.typeName == b.typeName {
            for (x, y) in zip(xs, ys) {
                let o = try ordering(x, y, op)
                if o != 0 { return o }
            }
            return xs.count < ys.count ? -1 : (xs.count > ys.count ? 1 : 0)
        }
        throw LangError.type("'\(op.rawValue)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
    }
}

extension Value {
    /// Bools become ints (Python's `True + 1 == 2`); other values unchanged.
    var normalizedNumber: Value {
        if case .bool(let b) = self { return .int(b ? 1 : 0) }
        return self
    }

    var isNumeric: Bool {
        switch self {
        case .bool, .int, .float: return true
        default: return false
        }
    }
}

extension PyFormat {
    /// `"%d items" % n`, `"%.3f" % x`, `"%s %s" % (, a b)`.
    static func percent(_ template: String, _ argument: Value) throws -> String {
        let args: [Value]
        if case .tuple(let t) = argument { args = t } else { args = [argument] }
        var out = ""
        var next = 0
        var chars = Array(template)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            guard c == "%" else { out.append(c); continue }
            if chars.first == "%" { out.append("%"); chars = chars.dropFirst(); continue }
            let spec = String(chars.prefix { !"dfsrieEgx".contains($0) })
            chars = chars.dropFirst(spec.count)
            guard let type = chars.first else { throw LangError.value("incomplete format") }
            chars = chars.dropFirst()
            guard next < args.count else { throw LangError.type("not enough arguments for format string") }
            let value = args[next]
            next += 1
            out += try apply(spec.replacingOccurrences(of: "-", with: "<") + (type == "r" ? "s" : String(type)),
                             to: type == "r" ? .string(value.pyRepr) : value)
        }
        guard next == args.count else { throw LangError.type("not all arguments converted during string formatting") }
        return out
    }
}
