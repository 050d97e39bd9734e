import Foundation

/// Methods of strings, lists, dicts and tuples that programs use.
enum StringMethods {
    static func call(_ s: String, _ name: String, _ args: [Value], _ keywords: [(String, Value)]) throws -> Value {
        func arg(_ i: Int) throws -> String {
            guard i < args.count, case .string(let v) = args[i] else {
                throw LangError.type("str.\(name)() expects a string argument \(i + 1)")
            }
            return v
        }
        switch name {
        case "format": return .string(try PyFormat.format(s, args, keywords))
        case "upper": return .string(s.uppercased())
        case "lower": return .string(s.lowercased())
        case "strip": return .string(s.trimmingCharacters(in: .whitespacesAndNewlines))
        case "lstrip": return .string(String(s.drop { $0.isWhitespace }))
        case "rstrip": return .string(String(s.reversed().drop { $0.isWhitespace }.reversed()))
        case "startswith": return .bool(s.hasPrefix(try arg(0)))
        case "endswith": return .bool(s.hasSuffix(try arg(0)))
        case "replace": return .string(s.replacingOccurrences(of: try arg(0), with: try arg(1)))
        case "split":
            if args.isEmpty { return .list(ListBox(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })) }
            let separator = try arg(0)
            guard !separator.isEmpty else { throw LangError.value("empty separator") }
            return .list(ListBox(s.components(separatedBy: separator).map { .string($0) }))
        case "join":
            guard let first = args.first else { throw LangError.type("str.join() takes exactly one argument") }
            let parts = try Iteration.array(first).map { v -> String in
                guard case .string(let p) = v else { throw LangError.type("sequence item: expected str instance, \(v.typeName) found") }
                return p
            }
            return .string(parts.joined(separator: s))
        case "find":
            let needle = try arg(0)
            guard let r = s.range(of: needle) else { return .int(-1) }
            return .int(s.distance(from: s.startIndex, to: r.lowerBound))
        case "count": return .int(s.components(separatedBy: try arg(0)).count - 1)
        case "isdigit": return .bool(!s.isEmpty && s.allSatisfy(\.isNumber))
        case "__len__": return .int(s.count)
        default:
            throw LangError.attribute("'str' object has no attribute '\(name)'"
                                      + Suggestions.hint(for: name, among: ["format", "upper", "lower", "strip", "split", "join",
                                                                             "replace", "startswith", "endswith", "find", "count"]))
        }
    }
}

enum CollectionMethods {
    static func list(_ l: ListBox, _ name: String, _ args: [Value]) throws -> Value {
        switch name {
        case "append":
            guard args.count == 1 else { throw LangError.type("list.append() takes exactly one argument (\(args.count) given)") }
            l.items.append(args[0])
            return .none
        case "extend":
            guard args.count == 1 else { throw LangError.type("list.extend() takes exactly one argument") }
            l.items.append(contentsOf: try Iteration.array(args[0]))
            return .none
        case "insert":
            guard args.count == 2, let i = args[0].integer else { throw LangError.type("list.insert() takes an index and a value") }
            let p = Swift.min(Swift.max(i < 0 ? i + l.items.count : i, 0), l.items.count)
            l.items.insert(args[1], at: p)
            return .none
        case "pop":
            guard !l.items.isEmpty else { throw LangError.index("pop from empty list") }
            if let i = args.first {
                return l.items.remove(at: try Indexing.position(i, count: l.items.count, in: .list(l)))
            }
            return l.items.removeLast()
        case "reverse": l.items.reverse(); return .none
        case "copy": return .list(ListBox(l.items))
        case "clear": l.items.removeAll(); return .none
        default: return try sequence(l.items, "list", name, args)
        }
    }

    static func sequence(_ items: [Value], _ type: String, _ name: String, _ args: [Value]) throws -> Value {
        switch name {
        case "index":
            guard let x = args.first else { throw LangError.type("\(type).index() takes exactly one argument") }
            guard let i = items.firstIndex(where: { pyEqual($0, x) }) else { throw LangError.value("\(x.pyRepr) is not in \(type)") }
            return .int(i)
        case "count":
            guard let x = args.first else { throw LangError.type("\(type).count() takes exactly one argument") }
            return .int(items.filter { pyEqual($0, x) }.count)
        default:
            throw LangError.attribute("'\(type)' object has no attribute '\(name)'")
        }
    }

    static func dict(_ d: DictBox, _ name: String, _ args: [Value]) throws -> Value {
        switch name {
        case "keys": return .list(ListBox(d.keys))
        case "values": return .list(ListBox(d.values))
        case "items": return .list(ListBox(d.pairs.map { .tuple([$0.0, $0.1]) }))
        case "get":
            guard let k = args.first else { throw LangError.type("dict.get() takes a key") }
            return d.get(k) ?? (args.count > 1 ? args[1] : .none)
        case "update":
            guard let other = args.first, case .dict(let o) = other else { throw LangError.type("dict.update() takes a dict") }
            for (k, v) in o.pairs { d.set(k, v) }
            return .none
        case "pop":
            guard let k = args.first else { throw LangError.type("dict.pop() takes a key") }
            if let v = d.remove(k) { return v }
            if args.count > 1 { return args[1] }
            throw LangError.key(k.pyRepr)
        case "copy": return .dict(DictBox(d.pairs))
        default: throw LangError.attribute("'dict' object has no attribute '\(name)'")
        }
    }
}

/// Python's `str.format`: `{}`, `{0}`, `{name}`, `{name.attr}`, `{x[0]}` and format
/// specs `[[fill]align][sign][width][,][.precision][type]` for numbers and strings.
enum PyFormat {
    static func format(_ template: String, _ args: [Value], _ keywords: [(String, Value)]) throws -> String {
        var out = ""
        var auto = 0
        var chars = Array(template)[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            if c == "{" {
                if chars.first == "{" { out.append("{"); chars = chars.dropFirst(); continue }
                guard let close = chars.firstIndex(of: "}") else {
                    throw LangError.value("Single '{' encountered in format string")
                }
                let field = String(chars[chars.startIndex..<close])
                chars = chars[(close + 1)...]
                let (name, spec) = field.firstIndex(of: ":").map { (String(field[..<$0]), String(field[field.index(after: $0)...])) } ?? (field, "")
                var value: Value
                if name.isEmpty {
                    guard auto < args.count else { throw LangError.index("Replacement index \(auto) out of range for positional args tuple") }
                    value = args[auto]
                    auto += 1
                } else if let i = Int(name) {
                    guard i < args.count else { throw LangError.index("Replacement index \(i) out of range for positional args tuple") }
                    value = args[i]
                } else {
                    let base = String(name.prefix { $0 != "." && $0 != "[" })
                    guard let found = keywords.first(where: { $0.0 == base }) else { throw LangError.key("'\(base)'") }
                    value = found.1
                    var rest = name.dropFirst(base.count)
                    while !rest.isEmpty {
                        if rest.first == "." {
                            let attr = String(rest.dropFirst().prefix { $0 != "." && $0 != "[" })
                            value = try Attributes.get(value, attr)
                            rest = rest.dropFirst(attr.count + 1)
                        } else if rest.first == "[", let end = rest.firstIndex(of: "]") {
                            let key = String(rest[rest.index(after: rest.startIndex)..<end])
                            value = try Indexing.get(value, Int(key).map { .int($0) } ?? .string(key))
                            rest = rest[rest.index(after: end)...]
                        } else {
                            throw LangError.value("bad format field '\(name)'")
                        }
                    }
                }
                out += try apply(spec, to: value)
            } else if c == "}" {
                if chars.first == "}" { chars = chars.dropFirst() }
                out.append("}")
            } else {
                out.append(c)
            }
        }
        return out
    }

    static func apply(_ spec: String, to value: Value) throws -> String {
        guard !spec.isEmpty else { return value.str }
        var s = Array(spec)[...]
        var fill: Character = " "
        var align: Character? = nil
        if s.count >= 2, "<>^=".contains(s[s.startIndex + 1]) {
            fill = s[s.startIndex]; align = s[s.startIndex + 1]; s = s.dropFirst(2)
        } else if let f = s.first, "<>^=".contains(f) {
            align = f; s = s.dropFirst()
        }
        var sign = ""
        if let f = s.first, "+- ".contains(f) { sign = String(f); s = s.dropFirst() }
        if s.first == "0" { fill = "0"; if align == nil { align = "=" }; s = s.dropFirst() }
        let widthText = String(s.prefix { $0.isNumber })
        s = s.dropFirst(widthText.count)
        var grouping = false
        if s.first == "," { grouping = true; s = s.dropFirst() }
        var precision: Int? = nil
        if s.first == "." {
            s = s.dropFirst()
            let p = String(s.prefix { $0.isNumber })
            precision = Int(p).map { Swift.min($0, 100) }
            s = s.dropFirst(p.count)
        }
        let type = s.first
        let typeName = type.map(String.init) ?? ""
        var body: String
        var number = value.number
        if number == nil, let t = value.tensor, t.elementCount == 1 { number = try t.item() }
        switch type {
        case "f", "F", "e", "E", "g", "G", "%":
            guard var x = number else { throw LangError.value("Unknown format code '\(typeName)' for object of type '\(value.typeName)'") }
            if type == "%" { x *= 100 }
            let p = precision ?? 6
            let code = type == "%" ? "f" : typeName
            body = String(format: "%.\(p)\(code)", x)
            if type == "%" { body += "%" }
        case "d":
            guard let x = value.integer else { throw LangError.value("Unknown format code 'd' for object of type '\(value.typeName)'") }
            body = String(x)
        case "s", nil:
            if let precision, type == "s" || value.number == nil {
                body = String(value.str.prefix(precision))
            } else if let precision, let x = number {
                body = String(format: "%.\(precision)g", x)
            } else {
                body = value.str
            }
        default:
            throw LangError.value("Unknown format code '\(typeName)' for object of type '\(value.typeName)'")
        }
        if grouping, let x = value.integer {
            let digits = String(Swift.abs(x))
            var grouped = ""
            for (i, ch) in digits.reversed().enumerated() {
                if i > 0 && i % 3 == 0 { grouped.append(",") }
                grouped.append(ch)
            }
            body = (x < 0 ? "-" : "") + String(grouped.reversed())
        }
        if sign == "+", let x = number, x >= 0 { body = "+" + body }
        if sign == " ", let x = number, x >= 0 { body = " " + body }
        let width = Swift.min(Int(widthText) ?? 0, 10_000)
        guard body.count < width else { return body }
        let pad = width - body.count
        let padding = String(repeating: fill, count: pad)
        switch align ?? (number != nil ? ">" : "<") {
        case "<": return body + padding
        case "^": return String(repeating: fill, count: pad / 2) + body + String(repeating: fill, count: pad - pad / 2)
        case "=":
            if let sign = body.first, sign == "-" || sign == "+" { return String(sign) + padding + body.dropFirst() }
            return padding + body
        default: return padding + body
        }
    }
}
