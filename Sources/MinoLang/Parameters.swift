import MinoLisp

/// A parameter list in Hy's spelling: `[a b &optional c [d 1] &rest args &kwonly e [f 2] &kwargs kw]`.
struct ParameterList {
    var required: [String] = []
    var optional: [(name: String, defaultForm: Expr?)] = []
    var rest: String?
    var keywordOnly: [(name: String, defaultForm: Expr?)] = []
    var keywords: String?

    /// Every name in frame order: required, optional, rest, keyword-only, keywords.
    var names: [String] {
        required + optional.map(\.name) + (rest.map { [$0] } ?? []) + keywordOnly.map(\.name) + (keywords.map { [$0] } ?? [])
    }

    init(parsing form: Expr, in what: String) throws {
        guard let items = form.vectorItems else {
            throw LangError.syntax("\(what): the parameter list must be a vector [a b …], found \(form.kindDescription) \(form.brief)", at: form.location)
        }
        enum Section { case required, optional, rest, keywordOnly, keywords }
        var section = Section.required
        var seen = Set<String>()
        func add(_ name: String, _ location: SourceLocation?) throws {
            guard seen.insert(name).inserted else {
                throw LangError.syntax("\(what): parameter \(name) appears twice", at: location)
            }
        }
        for item in items {
            if let marker = item.symbolName, marker.hasPrefix("&") {
                switch marker {
                case "&optional": section = .optional
                case "&rest": section = .rest
                case "&kwonly": section = .keywordOnly
                case "&kwargs": section = .keywords
                default:
                    throw LangError.syntax("\(what): unknown parameter marker \(marker); expected &optional, &rest, &kwonly or &kwargs", at: item.location)
                }
                continue
            }
            var name: String
            var defaultForm: Expr? = nil
            if let s = item.symbolName {
                name = s
            } else if let pair = item.vectorItems, pair.count == 2, let s = pair[0].symbolName,
                      section == .optional || section == .keywordOnly {
                name = s
                defaultForm = pair[1]
            } else {
                throw LangError.syntax("\(what): a parameter must be a symbol (or [name default] after &optional), found \(item.brief)", at: item.location)
            }
            try add(name, item.location)
            switch section {
            case .required: required.append(name)
            case .optional: optional.append((name, defaultForm))
            case .rest:
                guard rest == nil else { throw LangError.syntax("\(what): only one &rest parameter", at: item.location) }
                rest = name
            case .keywordOnly: keywordOnly.append((name, defaultForm))
            case .keywords:
                guard keywords == nil else { throw LangError.syntax("\(what): only one &kwargs parameter", at: item.location) }
                keywords = name
            }
        }
    }
}

/// Binds a call's arguments to a parameter list, as Python does, into frame slots
/// 0..<names.count.
struct ArgumentBinder {
    let function: String
    let parameters: ParameterList
    /// Mangled names of the parameters that take keywords, with their slots.
    let keywordSlots: [String: Int]
    let optionalStart: Int
    let restSlot: Int?
    let keywordOnlyStart: Int
    let keywordsSlot: Int?

    init(function: String, parameters: ParameterList) {
        self.function = function
        self.parameters = parameters
        var slots: [String: Int] = [:]
        var slot = 0
        for name in parameters.required { slots[Mangling.mangle(name)] = slot; slot += 1 }
        optionalStart = slot
        for p in parameters.optional { slots[Mangling.mangle(p.name)] = slot; slot += 1 }
        if parameters.rest != nil { restSlot = slot; slot += 1 } else { restSlot = nil }
        keywordOnlyStart = slot
        for p in parameters.keywordOnly { slots[Mangling.mangle(p.name)] = slot; slot += 1 }
        keywordsSlot = parameters.keywords != nil ? slot : nil
        keywordSlots = slots
    }

    /// Fills `frame`; `defaults` are the evaluated defaults of the optional and
    /// keyword-only parameters, in order.
    func bind(_ args: [Value], _ keywords: [(String, Value)], into frame: Frame, defaults: [Value]) throws {
        let positionalCapacity = parameters.required.count + parameters.optional.count
        var filled = [Bool](repeating: false, count: keywordOnlyStart + parameters.keywordOnly.count)
        for (i, value) in args.prefix(positionalCapacity).enumerated() {
            frame.slots[i] = value
            filled[i] = true
        }
        if args.count > positionalCapacity {
            guard let restSlot else {
                let takes = parameters.optional.isEmpty ? "\(positionalCapacity)" : "from \(parameters.required.count) to \(positionalCapacity)"
                throw LangError.type("\(function)() takes \(takes) positional argument\(positionalCapacity == 1 ? "" : "s") but \(args.count) were given")
            }
            frame.slots[restSlot] = .tuple(Array(args[positionalCapacity...]))
        } else if let restSlot {
            frame.slots[restSlot] = .tuple([])
        }
        var extra: DictBox? = nil
        for (name, value) in keywords {
            if let slot = keywordSlots[name] {
                if filled[slot] {
                    throw LangError.type("\(function)() got multiple values for argument '\(name)'")
                }
                frame.slots[slot] = value
                filled[slot] = true
            } else if keywordsSlot != nil {
                if extra == nil { extra = DictBox() }
                extra?.set(.string(name), value)
            } else {
                throw LangError.type("\(function)() got an unexpected keyword argument '\(name)'"
                                     + Suggestions.hint(for: name, among: Array(keywordSlots.keys)))
            }
        }
        if let keywordsSlot { frame.slots[keywordsSlot] = .dict(extra ?? DictBox()) }
        let missing = parameters.required.enumerated().filter { !filled[$0.offset] }.map { "'\($0.element)'" }
        if !missing.isEmpty {
            throw LangError.type("\(function)() missing \(missing.count) required argument\(missing.count == 1 ? "" : "s"): "
                                 + missing.joined(separator: ", "))
        }
        var d = 0
        for i in 0..<parameters.optional.count {
            if !filled[optionalStart + i] { frame.slots[optionalStart + i] = defaults[d] }
            d += 1
        }
        for i in 0..<parameters.keywordOnly.count {
            if !filled[keywordOnlyStart + i] {
                if parameters.keywordOnly[i].defaultForm == nil {
                    throw LangError.type("\(function)() missing required keyword-only argument: '\(parameters.keywordOnly[i].name)'")
                }
                frame.slots[keywordOnlyStart + i] = defaults[d]
            }
            d += 1
        }
    }
}
