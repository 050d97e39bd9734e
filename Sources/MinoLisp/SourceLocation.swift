/// A position in source text: file name, 1-based line, 1-based column.
///
/// Columns count Unicode scalars, so a tab or a `λ` each advance the column by one.
/// `description` renders `file:line:column`, the form every Mino error uses.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }

    /// `line:column` without the file, for messages that already name the file.
    public var shortDescription: String { "\(line):\(column)" }
}
