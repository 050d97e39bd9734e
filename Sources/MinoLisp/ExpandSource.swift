/// The logic of `mino expand`: read forms from text, expand them, print the result.
///
/// Every form in `source` is expanded with one shared context (so gensyms stay unique
/// across them) and printed on its own line: fully (`macroexpand-all`) by default, one
/// step (`macroexpand-1`) with `oneStep`. `pretty` prints the multi-line form instead of
/// the one-line form. A form that does not read, or a macro error, is thrown as a
/// `LispError` located in `file`.
public func expandSource(_ source: String, file: String = "<command line>", oneStep: Bool = false,
                         pretty: Bool = false, width: Int = 80,
                         macros: MacroTable = .standard()) throws -> String {
    let forms = try Reader.readAll(source, file: file)
    guard !forms.isEmpty else {
        throw LispError(.read, "expected a form to expand, found \(source.isEmpty ? "nothing" : "only whitespace and comments")",
                        at: SourceLocation(file: file, line: 1, column: 1))
    }
    var context = ExpansionContext(macros: macros)
    var lines: [String] = []
    for form in forms {
        let expanded = oneStep ? try context.macroexpand1(form) : try context.macroexpandAll(form)
        lines.append(pretty ? Printer.pretty(expanded, width: width) : Printer.oneLine(expanded))
    }
    return lines.joined(separator: "\n")
}
