import MinoCore
import MinoLisp

/// The one error type of the `.mu` language: what went wrong, where, and through which
/// user calls.
///
/// `pythonType` is the exception class a program's `except` clauses match
/// (`ValueError`, `RuntimeError`, …); `location` is the innermost form being evaluated;
/// `trace` lists the user functions and mus the error passed through, innermost first.
/// `description` renders `file:line:column: message` and then the trace, one
/// `  in NAME (file:line:column)` line per call.
public struct LangError: Error, CustomStringConvertible {
    public var pythonType: String
    public var message: String
    public var location: SourceLocation?
    public var trace: [(name: String, location: SourceLocation?)] = []
    /// The value a program raised (`raise`), kept so that `except [e …]` binds it.
    public var payload: Value?
    /// Where in a model the error happened (`FeedForward.linear-to-hidden`), once a mu named it.
    public var modelPath: String?

    public init(_ pythonType: String, _ message: String, at location: SourceLocation? = nil) {
        self.pythonType = pythonType
        self.message = message
        self.location = location
    }

    /// A Lisp-layer error (read, macro, expand) with its location.
    public init(_ error: LispError) {
        self.init(error.kind == .read ? "SyntaxError" : "MacroError", error.message, at: error.location)
    }

    /// Any error from below (Core, Model, a backend), as the exception Python would raise.
    public init(wrapping error: Error, at location: SourceLocation?) {
        if let lang = error as? LangError {
            self = lang
            if self.location == nil { self.location = location }
            return
        }
        if let lisp = error as? LispError {
            self.init(lisp)
            if self.location == nil { self.location = location }
            return
        }
        if let mino = error as? MinoError {
            let type: String
            switch mino.kind {
            case .shape, .backend, .autodiff: type = "RuntimeError"
            case .dtype: type = "TypeError"
            case .argument: type = "ValueError"
            case .unknownName: type = "NameError"
            case .io: type = "OSError"
            }
            self.init(type, mino.message, at: location)
            return
        }
        self.init("RuntimeError", "\(error)", at: location)
    }

    public var description: String {
        var text = location.map { "\($0): " } ?? ""
        text += message
        for entry in trace {
            text += "\n  in \(entry.name)"
            if let location = entry.location { text += " (\(location))" }
        }
        return text
    }

    /// The first line only: `file:line:column: message`.
    public var headline: String { (location.map { "\($0): " } ?? "") + message }
}

extension LangError {
    static func type(_ message: String, at location: SourceLocation? = nil) -> LangError {
        LangError("TypeError", message, at: location)
    }
    static func value(_ message: String, at location: SourceLocation? = nil) -> LangError {
        LangError("ValueError", message, at: location)
    }
    static func name(_ message: String, at location: SourceLocation? = nil) -> LangError {
        LangError("NameError", message, at: location)
    }
    static func attribute(_ message: String, at location: SourceLocation? = nil) -> LangError {
        LangError("AttributeError", message, at: location)
    }
    static func syntax(_ message: String, at location: SourceLocation? = nil) -> LangError {
        LangError("SyntaxError", message, at: location)
    }
    static func index(_ message: String, at location: SourceLocation? = nil) -> LangError {
        LangError("IndexError", message, at: location)
    }
    static func key(_ message: String, at location: SourceLocation? = nil) -> LangError {
        LangError("KeyError", message, at: location)
    }
}

/// `break`, `continue` and the like travel as errors through the closures.
enum ControlFlow: Error {
    case breakLoop
    case continueLoop
}
