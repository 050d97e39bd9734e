import Foundation
import MinoCore

/// What `mino run` does, as a function: evaluates a program and its `defmain`, and
/// turns every failure into a located message and exit status 1. The command and the
/// tests share it, so the tests exercise exactly the command's code path.
public enum ProgramRunner {
    public struct Outcome {
        /// 0 on success, main's integer value when it returns one, 1 on an error.
        public var status: Int32
        /// What the program printed.
        public var output: String
        /// The error message (`file:line:column: message` and the call chain), if any.
        public var error: String?
    }

    /// Runs `source` as the program `file` on `backend`. Never throws: errors are in the outcome.
    public static func run(source: String, file: String, arguments: [String] = [], backend: any Backend,
                           loopBudget: Int? = nil, echo: Bool = false) -> Outcome {
        var printed = ""
        let interpreter = Interpreter(backend: backend, output: { text in
            if echo { FileHandle.standardOutput.write(Data(text.utf8)) } else { printed += text }
        })
        interpreter.loopBudget = loopBudget
        do {
            try interpreter.evaluate(source: source, file: file)
            let status = try interpreter.runMain(arguments: [file] + arguments)
            return Outcome(status: status, output: printed, error: nil)
        } catch let error as LangError {
            return Outcome(status: 1, output: printed, error: error.description)
        } catch {
            return Outcome(status: 1, output: printed, error: "\(file): \(error)")
        }
    }
}
