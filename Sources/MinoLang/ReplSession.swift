import MinoLisp

/// The read-eval-print loop, without the terminal: feed it lines, it answers with the
/// printed value of each complete form (or its error) once the parentheses balance.
public final class ReplSession {
    public struct Output {
        public let text: String
        public let isError: Bool
    }

    public let interpreter: Interpreter
    /// Text read but not yet a complete form.
    public private(set) var pending = ""
    /// True after `(quit)` or `(exit)`.
    public private(set) var quitRequested = false
    /// The session line on which `pending` starts.
    private var pendingLine = 1

    public init(interpreter: Interpreter) {
        self.interpreter = interpreter
    }

    /// Adds a line; evaluates every complete form it finishes.
    public func feed(_ line: String) -> [Output] {
        if pending.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            pendingLine += pending.filter { $0 == "\n" }.count
            pending = ""
        }
        pending += line
        var outputs: [Output] = []
        defer {
            if pending.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                pendingLine += pending.filter { $0 == "\n" }.count
                pending = ""
            }
        }
        while !pending.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            var reader = Reader(pending, file: "<repl>", firstLine: pendingLine)
            let form: Expr?
            do {
                form = try reader.next()
            } catch let error as LispError {
                if ReplSession.isIncomplete(error) { break }
                outputs.append(Output(text: LangError(error).description, isError: true))
                pendingLine += pending.filter { $0 == "\n" }.count
                pending = ""
                break
            } catch {
                outputs.append(Output(text: "\(error)", isError: true))
                pendingLine += pending.filter { $0 == "\n" }.count
                pending = ""
                break
            }
            guard let form else { pending = ""; break }
            pending = ReplSession.remainder(of: pending, after: reader)
            pendingLine = reader.currentLine
            if let head = form.headSymbol, ["quit", "exit"].contains(head), form.listItems?.count == 1 {
                quitRequested = true
                return outputs
            }
            do {
                let value = try interpreter.evaluate(form)
                if case .none = value { continue }
                outputs.append(Output(text: value.repr, isError: false))
            } catch let error as LangError {
                outputs.append(Output(text: error.description, isError: true))
            } catch {
                outputs.append(Output(text: "\(error)", isError: true))
            }
        }
        return outputs
    }

    /// At end of input: an unfinished form is an error.
    public func finish() -> String? {
        let rest = pending.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !rest.isEmpty else { return nil }
        pending = ""
        do {
            _ = try Reader.readAll(rest, file: "<repl>")
            return nil
        } catch {
            return "\(error)"
        }
    }

    static func isIncomplete(_ error: LispError) -> Bool {
        error.kind == .read && error.message.contains("found end of input")
    }

    static func remainder(of text: String, after reader: Reader) -> String {
        String(text.unicodeScalars.dropFirst(reader.consumedScalars))
    }
}
