/// Template macros: `defmacro` for macros whose body is a quasiquote template, which can
/// be expanded without an evaluator (the `.mu` evaluator handles computed bodies).
///
/// ```
/// (defmacro twice [x] `(do ~x ~x))
/// (defmacro my-> [x &rest steps] `(-> ~x ~@steps))
/// ```
/// The body is one form: a quasiquote template whose unquoted parts are parameter names,
/// a quoted constant, or a parameter name. A `&rest` parameter is bound to the list of
/// the remaining arguments (splice it with `~@`).
extension MacroTable {
    /// Defines a template macro from a `(defmacro name [params...] body)` form and returns
    /// its name. Throws a `.macro` error (with the form's location) when the form is not
    /// of that shape or the template unquotes something other than a parameter.
    @discardableResult
    public func defineTemplate(_ definition: Expr) throws -> String {
        guard let items = definition.listItems, items.first?.symbolName == "defmacro" else {
            throw LispError(.macro, "expected (defmacro name [params...] `template), found \(definition.brief)", at: definition.location)
        }
        guard items.count == 4 else {
            throw LispError(.macro, "defmacro: expected a name, a parameter vector and one template body, found \(items.count - 1) forms", at: definition.location)
        }
        guard let name = items[1].symbolName else {
            throw LispError(.macro, "defmacro: expected a symbol as the macro name, found \(items[1].kindDescription) \(items[1].brief)", at: items[1].location ?? definition.location)
        }
        guard let parameterForms = items[2].vectorItems else {
            throw LispError(.macro, "defmacro \(name): expected a parameter vector [a b &rest c], found \(items[2].kindDescription) \(items[2].brief)", at: items[2].location ?? definition.location)
        }
        var parameters: [String] = []
        var rest: String? = nil
        var index = 0
        while index < parameterForms.count {
            guard let parameter = parameterForms[index].symbolName else {
                throw LispError(.macro, "defmacro \(name): expected parameter names, found \(parameterForms[index].brief)", at: parameterForms[index].location ?? definition.location)
            }
            if parameter == "&rest" {
                guard index + 2 == parameterForms.count, let restName = parameterForms[index + 1].symbolName else {
                    throw LispError(.macro, "defmacro \(name): expected exactly one name after &rest, at the end of the parameters", at: parameterForms[index].location ?? definition.location)
                }
                rest = restName
                break
            }
            parameters.append(parameter)
            index += 1
        }
        try defineTemplate(name: name, parameters: parameters, rest: rest, body: items[3])
        return name
    }

    /// Defines the template macro `name` directly.
    public func defineTemplate(name: String, parameters: [String], rest: String? = nil, body: Expr) throws {
        let known = Set(parameters + (rest.map { [$0] } ?? []))
        // Check now that every unquote names a parameter, so a bad template fails at
        // definition, not at its first use.
        func lookup(_ bindings: [String: Expr]) -> (Expr) throws -> Expr {
            return { unquoted in
                guard let symbol = unquoted.symbolName, known.contains(symbol) else {
                    throw LispError(.macro, "defmacro \(name): a template can only unquote its parameters (\(known.sorted().joined(separator: " "))), found \(unquoted.brief)", at: unquoted.location)
                }
                return bindings[symbol] ?? .list([])
            }
        }
        let template: Expr?
        if let quasi = body.argumentOfWrapper("quasiquote") {
            template = quasi
            _ = try Quasiquote.instantiate(quasi, evaluate: lookup([:]))
        } else if body.argumentOfWrapper("quote") != nil {
            template = nil
        } else if let symbol = body.symbolName, known.contains(symbol) {
            template = nil
        } else {
            throw LispError(.macro, "defmacro \(name): expected a `template, a 'constant or a parameter as the body; computed bodies need the evaluator", at: body.location)
        }
        define(name) { form, _ in
            let arguments = Array((form.listItems ?? []).dropFirst())
            let arityOK = rest == nil ? arguments.count == parameters.count : arguments.count >= parameters.count
            guard arityOK else {
                let expected = rest == nil ? "\(parameters.count)" : "at least \(parameters.count)"
                throw LispError(.macro, "\(name): expected \(expected) argument\(parameters.count == 1 && rest == nil ? "" : "s"), found \(arguments.count)", at: form.location)
            }
            var bindings: [String: Expr] = [:]
            for (parameter, argument) in zip(parameters, arguments) { bindings[parameter] = argument }
            if let rest { bindings[rest] = .list(Array(arguments.dropFirst(parameters.count)), at: form.location) }
            if let template {
                return try Quasiquote.instantiate(template, evaluate: lookup(bindings))
            }
            if let constant = body.argumentOfWrapper("quote") { return constant }
            return body.symbolName.flatMap { bindings[$0] } ?? body
        }
    }
}
