/// The one error type of the Lisp layer.
///
/// Every failure of the reader, the expander, a macro or the pattern language is a
/// `LispError`: a kind (for callers that branch on it), a message that says what was
/// expected, and, where known, the place in the source. `description` renders
/// `file:line:column: message`, or just the message when there is no location.
public struct LispError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The text does not read: unterminated list or string, bad escape, bad number...
        case read
        /// A macro rejected its arguments (`|->` dimension mismatch, odd `cond->` clauses...).
        case macro
        /// The expander itself: unquote outside quasiquote, expansion that does not terminate.
        case expand
        /// A pattern or replacement that is not well formed.
        case pattern
        /// Nesting deeper than the configured limit (reader, expander, printer guards).
        case depth
    }

    public var kind: Kind
    public var message: String
    public var location: SourceLocation?

    public init(_ kind: Kind, _ message: String, at location: SourceLocation? = nil) {
        self.kind = kind
        self.message = message
        self.location = location
    }

    public var description: String {
        if let location { return "\(location): \(message)" }
        return message
    }

    /// The same error, located at `location` unless it already has a location.
    public func located(at location: SourceLocation?) -> LispError {
        guard self.location == nil, let location else { return self }
        var copy = self
        copy.location = location
        return copy
    }
}
