/// The error every Mino layer throws: a kind (what went wrong, comparable
/// across backends) and a message (where and why, for people).
///
/// Bad input never stops the process: a wrong shape, an unknown dtype or
/// name, a backend failure or a corrupt file each becomes a `MinoError`.
public struct MinoError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong. The conformance suite requires every backend to throw
    /// the same kind for the same bad input.
    public enum Kind: String, Sendable, CaseIterable {
        /// Shapes that do not fit an op (the message names the op and the shapes).
        case shape
        /// A dtype an op does not accept, or an unknown dtype name.
        case dtype
        /// A bad argument: an axis out of range, a negative size, an index out of bounds.
        case argument
        /// An unknown name: backend, op, optimizer, file entry.
        case unknownName
        /// Gradients asked of something that has none.
        case autodiff
        /// A backend failed, or is not available on this machine.
        case backend
        /// Reading or writing a file failed, or a file is corrupt.
        case io
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    /// An error naming the op and the shapes it was given.
    public static func shape(_ op: String, _ shapes: [Shape], _ detail: String) -> MinoError {
        let list = shapes.map(\.description).joined(separator: " and ")
        return MinoError(.shape, "\(op): shapes \(list): \(detail)")
    }

    /// An error naming the op and the argument that is wrong.
    public static func argument(_ op: String, _ detail: String) -> MinoError {
        MinoError(.argument, "\(op): \(detail)")
    }

    /// An error naming the op and the dtype it cannot take.
    public static func dtype(_ op: String, _ detail: String) -> MinoError {
        MinoError(.dtype, "\(op): \(detail)")
    }
}
