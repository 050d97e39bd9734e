import ArgumentParser
import Foundation
import Mino
import MinoLang
import MinoLisp

/// `mino run FILE.mu [ARGS…]`: runs a program: its top-level forms, then its
/// `defmain` with the arguments (the file's name first, as Hy's `sys.argv`).
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a .mu program.",
        discussion: """
            Evaluates the program's top-level forms in order, then calls its defmain (if it has \
            one) with the file name and ARGS. An error prints file:line:column: message and the \
            chain of calls, and exits with status 1.
            """)

    @Argument(help: "The program, a .mu file.") var file: String
    @Argument(parsing: .captureForPassthrough, help: "Arguments passed to the program's defmain.") var arguments: [String] = []
    @OptionGroup var backendOptions: BackendOptions

    func run() throws {
        let backend = try LanguageCommands.backend(backendOptions)
        guard let data = FileManager.default.contents(atPath: file), let source = String(data: data, encoding: .utf8) else {
            LanguageCommands.report("\(file): cannot read the file")
            throw ExitCode.failure
        }
        let outcome = ProgramRunner.run(source: source, file: file, arguments: arguments, backend: backend, echo: true)
        if let error = outcome.error { LanguageCommands.report(error) }
        if outcome.status != 0 { throw ExitCode(outcome.status) }
    }
}

/// `mino eval 'FORMS'`: prints the last form's value as the language prints it.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate forms and print the value of the last one.",
        discussion: "Example: mino eval '(cond-> 5 False (+ 100) True (* 2) True (- 3))'   prints   7")

    @Argument(help: "One or more forms, for example '(+ 1 2)'.") var forms: String
    @OptionGroup var backendOptions: BackendOptions

    func run() throws {
        let backend = try LanguageCommands.backend(backendOptions)
        let interpreter = Interpreter(backend: backend)
        do {
            let value = try interpreter.evaluate(source: forms, file: "<command line>")
            print(value.repr)
        } catch let error as LangError {
            LanguageCommands.report(error.description)
            throw ExitCode.failure
        }
    }
}

/// `mino repl`: reads forms (several lines until balanced), prints each value.
struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Read forms, evaluate them and print their values, until end of input.",
        discussion: "Definitions persist between inputs; an error is printed and the session goes on.")

    @OptionGroup var backendOptions: BackendOptions

    func run() throws {
        let backend = try LanguageCommands.backend(backendOptions)
        let interpreter = Interpreter(backend: backend)
        let session = ReplSession(interpreter: interpreter)
        let interactive = isatty(STDIN_FILENO) != 0
        if interactive { print("Mino \(backend.name) — (quit) or Ctrl-D to leave") }
        var prompt = "=> "
        while true {
            if interactive {
                FileHandle.standardOutput.write(Data(prompt.utf8))
            }
            guard let line = readLine(strippingNewline: false) else { break }
            let outputs = session.feed(line)
            for out in outputs {
                if out.isError { LanguageCommands.report(out.text) } else { print(out.text) }
            }
            if session.quitRequested { break }
            prompt = session.pending.isEmpty ? "=> " : "... "
        }
        if let rest = session.finish() { LanguageCommands.report(rest) }
    }
}

enum LanguageCommands {
    static func backend(_ options: BackendOptions) throws -> any Backend {
        do { return try options.apply() } catch {
            report("\(error)")
            throw ExitCode.failure
        }
    }

    static func report(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
