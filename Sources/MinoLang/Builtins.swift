import Foundation
import MinoCore
import MinoLisp

/// Python's everyday builtins and Hy's core functions, bound as globals of every
/// interpreter.
enum Builtins {
    static func install(into interpreter: Interpreter) {
        let g = interpreter.globals
        func def(_ name: String, _ body: @escaping ([Value], [(String, Value)]) throws -> Value) {
            g.define(name, .function(Function(name, sourceName: name, body)))
        }
        func def1(_ name: String, _ body: @escaping (Value) throws -> Value) {
            def(name) { args, kw in
                guard args.count == 1, kw.isEmpty else {
                    throw LangError.type("\(name)() takes exactly one argument (\(args.count) given)")
                }
                return try body(args[0])
            }
        }
        for name in Array(Operators.arithmetic.keys) + Array(Operators.comparisons.keys) {
            if let f = Operators.function(name) {
                g.define(name, .function(f))
                interpreter.operatorFunctions[name] = f
            }
        }
        if let equal = interpreter.operatorFunctions["="] { g.define("==", .function(equal)) }

        // Output and conversion.
        def("print") { args, kw in
            var sep = " ", end = "\n"
            for (k, v) in kw {
                switch k {
                case "sep": sep = v.str
                case "end": end = v.str
                case "flush", "file": break
                default: throw LangError.type("print() got an unexpected keyword argument '\(k)'")
                }
            }
            interpreter.output(args.map(\.str).joined(separator: sep) + end)
            return .none
        }
        def1("repr") { .string($0.pyRepr) }
        def1("hy-repr") { v in .string(try Reversion.source(of: v)) }
        def("torch-module") { args, kw in try TorchModuleObject.make(args, kw, interpreter) }
        for type in ["str", "int", "float", "bool", "list", "tuple", "dict"] {
            g.define(type, .object(conversionType(type)))
        }
        def1("len") { v in
            switch v {
            case .string(let s): return .int(s.count)
            case .dict(let d): return .int(d.count)
            case .tensor(let t), .parameter(let t):
                guard t.rank > 0 else { throw LangError.type("len() of a 0-d tensor") }
                return .int(t.shape[0])
            case .object(let r as RangeObject): return .int(r.count)
            case .object(let o):
                if let n = try? Calls.call(try o.attribute("__len__"), [], [], name: "__len__") { return n }
            default:
                if let items = v.sequenceItems() { return .int(items.count) }
            }
            throw LangError.type("object of type '\(v.typeName)' has no len()")
        }
        def1("abs") { v in
            switch v.normalizedNumber {
            case .int(let i):
                guard i != .min else { throw LangError("OverflowError", "abs(\(i)) does not fit in 64 bits") }
                return .int(Swift.abs(i))
            case .float(let d): return .float(Swift.abs(d))
            default:
                if let t = v.tensor { return .tensor(try t.abs()) }
                throw LangError.type("bad operand type for abs(): '\(v.typeName)'")
            }
        }
        def("min") { args, kw in try extreme(args, kw, "min", wantLess: true) }
        def("max") { args, kw in try extreme(args, kw, "max", wantLess: false) }
        def("pow") { args, _ in
            guard args.count == 2 else { throw LangError.type("pow() takes exactly 2 arguments (\(args.count) given)") }
            return try Arith.binary(.pow, args[0], args[1])
        }
        def("sum") { args, _ in
            guard let first = args.first else { throw LangError.type("sum() takes at least 1 argument") }
            if let t = first.tensor { return .tensor(try t.sum()) }
            var acc = args.count > 1 ? args[1] : .int(0)
            try Iteration.forEach(first) { acc = try Arith.binary(.add, acc, $0); return true }
            return acc
        }
        def("round") { args, _ in
            guard let x = args.first?.number, args.first?.isNumeric == true else {
                if let t = args.first?.tensor { return .tensor(try roundTensor(t)) }
                throw LangError.type("type \(args.first?.typeName ?? "None") doesn't define __round__")
            }
            if args.count > 1, let digits = args[1].integer {
                let scale = Foundation.pow(10, Double(digits))
                return .float((x * scale).rounded(.toNearestOrEven) / scale)
            }
            let r = x.rounded(.toNearestOrEven)
            guard r.isFinite, Swift.abs(r) < 9.2e18 else { throw LangError("OverflowError", "cannot convert \(x) to integer") }
            return .int(Int(r))
        }
        def("range") { args, _ in
            let ints = try args.map { v -> Int in
                guard let i = v.integer else { throw LangError.type("'\(v.typeName)' object cannot be interpreted as an integer") }
                return i
            }
            switch ints.count {
            case 1: return .object(RangeObject(0, ints[0], 1))
            case 2: return .object(RangeObject(ints[0], ints[1], 1))
            case 3:
                guard ints[2] != 0 else { throw LangError.value("range() arg 3 must not be zero") }
                return .object(RangeObject(ints[0], ints[1], ints[2]))
            default: throw LangError.type("range expected 1 to 3 arguments, got \(ints.count)")
            }
        }
        def("slice") { args, _ in
            let parts = try args.map { v -> Int? in
                if case .none = v { return nil }
                guard let i = v.integer else { throw LangError.type("slice indices must be integers or None") }
                return i
            }
            switch parts.count {
            case 1: return .object(SliceObject(nil, parts[0], nil))
            case 2: return .object(SliceObject(parts[0], parts[1], nil))
            case 3: return .object(SliceObject(parts[0], parts[1], parts[2]))
            default: throw LangError.type("slice expected 1 to 3 arguments, got \(parts.count)")
            }
        }
        def("cut") { args, _ in
            guard let seq = args.first else { throw LangError.type("cut() takes a sequence") }
            let parts = args.dropFirst().map { v -> Int? in v.integer }
            let s = SliceObject(parts.count > 0 ? parts[0] : nil, parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil)
            return try Indexing.get(seq, .object(s))
        }
        def("get") { args, _ in
            guard args.count >= 2 else { throw LangError.type("get() takes a collection and at least one key") }
            var v = args[0]
            for k in args.dropFirst() { v = try Indexing.get(v, k) }
            return v
        }
        def("map") { args, _ in
            guard args.count >= 2 else { throw LangError.type("map() must have at least two arguments") }
            let lists = try args.dropFirst().map(Iteration.array)
            let n = lists.map(\.count).min() ?? 0
            return .list(ListBox(try (0..<n).map { i in try Calls.call(args[0], lists.map { $0[i] }, [], name: "map") }))
        }
        def("filter") { args, _ in
            guard args.count == 2 else { throw LangError.type("filter expected 2 arguments") }
            return .list(ListBox(try Iteration.array(args[1]).filter { x in
                if case .none = args[0] { return try x.isTruthy() }
                return try Calls.call(args[0], [x], [], name: "filter").isTruthy()
            }))
        }
        def("reduce") { args, _ in
            guard args.count == 2 || args.count == 3 else { throw LangError.type("reduce expected 2 or 3 arguments") }
            var items = try Iteration.array(args[1])
            var acc: Value
            if args.count == 3 { acc = args[2] } else {
                guard !items.isEmpty else { throw LangError.type("reduce() of empty iterable with no initial value") }
                acc = items.removeFirst()
            }
            for x in items { acc = try Calls.call(args[0], [acc, x], [], name: "reduce") }
            return acc
        }
        def("zip") { args, _ in
            let lists = try args.map(Iteration.array)
            let n = lists.map(\.count).min() ?? 0
            return .list(ListBox((0..<n).map { i in .tuple(lists.map { $0[i] }) }))
        }
        def("enumerate") { args, kw in
            guard let seq = args.first else { throw LangError.type("enumerate() takes a sequence") }
            let start = (args.count > 1 ? args[1] : kw.first { $0.0 == "start" }?.1)?.integer ?? 0
            return .list(ListBox(try Iteration.array(seq).enumerated().map { .tuple([.int(start + $0.offset), $0.element]) }))
        }
        def("sorted") { args, kw in
            guard let seq = args.first else { throw LangError.type("sorted() takes a sequence") }
            let key = kw.first { $0.0 == "key" }?.1
            let reverse = try kw.first { $0.0 == "reverse" }?.1.isTruthy() ?? false
            var items = try Iteration.array(seq).map { v in (v, try key.map { try Calls.call($0, [v], [], name: "key") } ?? v) }
            var failure: Error? = nil
            items.sort { a, b in
                do { return try Arith.ordering(a.1, b.1) < 0 } catch { failure = error; return false }
            }
            if let failure { throw failure }
            if reverse { items.reverse() }
            return .list(ListBox(items.map(\.0)))
        }
        def1("reversed") { v in .list(ListBox(try Iteration.array(v).reversed())) }
        def1("any") { v in
            var found = false
            try Iteration.forEach(v) { x in found = try x.isTruthy(); return !found }
            return .bool(found)
        }
        def1("all") { v in
            var ok = true
            try Iteration.forEach(v) { x in ok = try x.isTruthy(); return ok }
            return .bool(ok)
        }
        def1("type") { v in .object(typeObject(for: v)) }
        def("instance?") { args, _ in
            guard args.count == 2 else { throw LangError.type("instance? takes a class and a value") }
            return .bool(try isInstance(args[1], args[0]))
        }
        def("isinstance") { args, _ in
            guard args.count == 2 else { throw LangError.type("isinstance expected 2 arguments") }
            return .bool(try isInstance(args[0], args[1]))
        }
        def1("callable") { v in
            switch v {
            case .function: return .bool(true)
            case .object(let o): return .bool(o.callable != nil)
            default: return .bool(false)
            }
        }
        def("getattr") { args, _ in
            guard args.count >= 2, case .string(let name) = args[1] else { throw LangError.type("getattr() takes an object and a name") }
            do { return try Attributes.get(args[0], Mangling.mangle(name)) } catch {
                if args.count > 2 { return args[2] }
                throw error
            }
        }
        def("hasattr") { args, _ in
            guard args.count == 2, case .string(let name) = args[1] else { throw LangError.type("hasattr() takes an object and a name") }
            return .bool((try? Attributes.get(args[0], Mangling.mangle(name))) != nil)
        }
        def("setattr") { args, _ in
            guard args.count == 3, case .string(let name) = args[1] else { throw LangError.type("setattr() takes an object, a name and a value") }
            try Attributes.set(args[0], Mangling.mangle(name), args[2])
            return .none
        }

        // Hy's predicates and small helpers.
        def1("not") { v in .bool(!(try v.isTruthy())) }
        def1("none?") { v in if case .none = v { return .bool(true) }; return .bool(false) }
        def1("even?") { v in .bool(try integer(v, "even?") % 2 == 0) }
        def1("odd?") { v in .bool(try integer(v, "odd?") % 2 != 0) }
        def1("zero?") { v in .bool(try number(v, "zero?") == 0) }
        def1("pos?") { v in .bool(try number(v, "pos?") > 0) }
        def1("neg?") { v in .bool(try number(v, "neg?") < 0) }
        def1("inc") { v in try Arith.binary(.add, v, .int(1)) }
        def1("dec") { v in try Arith.binary(.sub, v, .int(1)) }
        def1("identity") { $0 }
        def1("string?") { v in if case .string = v { return .bool(true) }; return .bool(false) }
        def1("integer?") { v in if case .int = v { return .bool(true) }; return .bool(false) }
        def1("float?") { v in if case .float = v { return .bool(true) }; return .bool(false) }
        def1("numeric?") { v in .bool(v.isNumeric) }
        def1("symbol?") { v in if case .form(let e) = v, e.symbolName != nil { return .bool(true) }; return .bool(false) }
        def1("expression?") { v in if case .form(let e) = v, e.isList { return .bool(true) }; return .bool(false) }
        def1("keyword?") { v in if case .keyword = v { return .bool(true) }; return .bool(false) }
        def1("list?") { v in if case .list = v { return .bool(true) }; return .bool(false) }
        def1("tuple?") { v in if case .tuple = v { return .bool(true) }; return .bool(false) }
        def1("dict?") { v in if case .dict = v { return .bool(true) }; return .bool(false) }
        def1("coll?") { v in .bool(v.sequenceItems() != nil || { if case .dict = v { return true }; return false }()) }
        def1("empty?") { v in .bool(try Iteration.array(v).isEmpty) }
        def1("first") { v in try Iteration.array(v).first ?? .none }
        def1("second") { v in let a = try Iteration.array(v); return a.count > 1 ? a[1] : .none }
        def1("last") { v in try Iteration.array(v).last ?? .none }
        def1("rest") { v in .list(ListBox(Array(try Iteration.array(v).dropFirst()))) }
        def("nth") { args, _ in
            guard args.count == 2, let i = args[1].integer else { throw LangError.type("nth takes a collection and an index") }
            let a = try Iteration.array(args[0])
            return i >= 0 && i < a.count ? a[i] : .none
        }
        def1("name") { v in
            switch v {
            case .keyword(let k): return .string(Mangling.unmangle(Mangling.mangle(k)))
            case .form(let e): if let s = e.symbolName { return .string(s) }
            case .string(let s): return .string(s)
            default: break
            }
            throw LangError.type("name() takes a keyword, symbol or string")
        }
        def1("keyword") { v in .keyword(v.str) }
        def1("symbol") { v in .form(.symbol(v.str)) }
        def("gensym") { args, _ in
            .form(interpreter.gensyms.next(args.first.map { $0.str } ?? "G"))
        }
        def1("mangle") { v in .string(Mangling.mangle(v.str)) }
        def1("unmangle") { v in .string(Mangling.unmangle(v.str)) }

        // Code as data.
        def("eval") { args, _ in
            guard let form = args.first else { throw LangError.type("eval() takes a form") }
            return try interpreter.evaluateOnCurrentThread(try ExprConversion.expr(from: form))
        }
        def1("macroexpand") { v in
            var context = interpreter.expansionContext()
            do { return .form(try context.macroexpand(try ExprConversion.expr(from: v))) } catch let e as LispError { throw LangError(e) }
        }
        def1("macroexpand-1") { v in
            var context = interpreter.expansionContext()
            do { return .form(try context.macroexpand1(try ExprConversion.expr(from: v))) } catch let e as LispError { throw LangError(e) }
        }
        def1("macroexpand-all") { v in .form(try interpreter.expandAll(try ExprConversion.expr(from: v))) }
        def("read-str") { args, _ in
            guard case .string(let s)? = args.first else { throw LangError.type("read-str takes a string") }
            do { return .form(try Reader.readOne(s, file: "<read-str>")) } catch let e as LispError { throw LangError(e) }
        }

        for name in ExceptionObject.classNames { g.define(name, .object(ExceptionObject.classObject(name))) }
    }

    // MARK: Helpers

    static func integer(_ v: Value, _ fn: String) throws -> Int {
        guard let i = v.integer else { throw LangError.type("\(fn) expects an integer, got \(v.typeName)") }
        return i
    }

    static func number(_ v: Value, _ fn: String) throws -> Double {
        if let t = v.tensor, t.elementCount == 1 { return try t.item() }
        guard let x = v.number, v.isNumeric else { throw LangError.type("\(fn) expects a number, got \(v.typeName)") }
        return x
    }

    static func roundTensor(_ t: Tensor) throws -> Tensor {
        let host = try t.toHost()
        return try Tensor(HostArray(doubles: host.doubles.map { $0.rounded(.toNearestOrEven) }, shape: t.shape, dtype: t.dtype), on: t.backend)
    }

    static func extreme(_ args: [Value], _ kw: [(String, Value)], _ fn: String, wantLess: Bool) throws -> Value {
        var items = args
        if args.count == 1 {
            if let t = args[0].tensor {
                return .tensor(wantLess ? try t.neg().max().neg() : try t.max())
            }
            items = try Iteration.array(args[0])
        }
        guard var best = items.first else { throw LangError.value("\(fn)() arg is an empty sequence") }
        let key = kw.first { $0.0 == "key" }?.1
        var bestKey = try key.map { try Calls.call($0, [best], [], name: "key") } ?? best
        for x in items.dropFirst() {
            let k = try key.map { try Calls.call($0, [x], [], name: "key") } ?? x
            let o = try Arith.ordering(k, bestKey)
            if wantLess ? o < 0 : o > 0 { best = x; bestKey = k }
        }
        return best
    }

    static func isInstance(_ value: Value, _ cls: Value) throws -> Bool {
        if case .tuple(let classes) = cls { return try classes.contains { try isInstance(value, $0) } }
        guard case .object(let o as TypeObject) = cls else {
            throw LangError.type("isinstance() arg 2 must be a type or tuple of types, not \(cls.typeName)")
        }
        return o.test(value)
    }

    static func typeObject(for v: Value) -> TypeObject {
        let name = v.typeName
        if ["str", "int", "float", "bool", "list", "tuple", "dict"].contains(name) { return conversionType(name) }
        return TypeObject(name, test: { $0.typeName == name })
    }

    /// `int`, `float`, `str`… as classes: `instance?` tests, calling converts.
    static func conversionType(_ name: String) -> TypeObject {
        TypeObject(name, test: { v in
            if name == "int", case .bool = v { return true }
            return v.typeName == name
        }, construct: { args, _ in
            guard let v = args.first else {
                switch name {
                case "str": return .string("")
                case "int": return .int(0)
                case "float": return .float(0)
                case "bool": return .bool(false)
                case "list": return .list(ListBox([]))
                case "tuple": return .tuple([])
                default: return .dict(DictBox())
                }
            }
            return try convert(v, to: name)
        })
    }

    static func convert(_ v: Value, to name: String) throws -> Value {
        switch name {
        case "str": return .string(v.str)
        case "bool": return .bool(try v.isTruthy())
        case "list": return .list(ListBox(try Iteration.array(v)))
        case "tuple": return .tuple(try Iteration.array(v))
        case "dict":
            if case .dict(let d) = v { return .dict(DictBox(d.pairs)) }
            let pairs = try Iteration.array(v).map { p -> (Value, Value) in
                let kv = try Iteration.array(p)
                guard kv.count == 2 else { throw LangError.value("dictionary update sequence element has length \(kv.count); 2 is required") }
                return (kv[0], kv[1])
            }
            return .dict(DictBox(pairs))
        case "int":
            switch v.normalizedNumber {
            case .int(let i): return .int(i)
            case .float(let d):
                guard d.isFinite, Swift.abs(d) < 9.2e18 else { throw LangError("OverflowError", "cannot convert float \(Value.floatText(d)) to integer") }
                return .int(Int(d))
            case .string(let s):
                guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else {
                    throw LangError.value("invalid literal for int() with base 10: \(Value.string(s).pyRepr)")
                }
                return .int(i)
            default:
                if let t = v.tensor, t.elementCount == 1 { return try convert(.float(try t.item()), to: "int") }
            }
        case "float":
            switch v.normalizedNumber {
            case .int(let i): return .float(Double(i))
            case .float(let d): return .float(d)
            case .string(let s):
                let trimmed = s.trimmingCharacters(in: .whitespaces).lowercased()
                if let d = Double(trimmed) { return .float(d) }
                if ["inf", "+inf", "infinity"].contains(trimmed) { return .float(.infinity) }
                if ["-inf", "-infinity"].contains(trimmed) { return .float(-.infinity) }
                if trimmed == "nan" { return .float(.nan) }
                throw LangError.value("could not convert string to float: \(Value.string(s).pyRepr)")
            default:
                if let t = v.tensor {
                    guard t.elementCount == 1 else { throw LangError.value("only one element tensors can be converted to Python scalars") }
                    return .float(try t.item())
                }
            }
        default: break
        }
        throw LangError.type("\(name)() argument must be a string or a number, not '\(v.typeName)'")
    }
}
