import ArgumentParser
import Foundation
import MinoLisp

/// `mino expand '<form>'`: prints the macroexpansion of a form. The logic is
/// `MinoLisp.expandSource`; this command only parses flags and reports errors.
struct Expand: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the macroexpansion of a form on one line.",
        discussion: """
            Expands every macro (the threading macros ->, ->>, *->, *->>, |->, |->>, =->, =->>, \
            cond->, cond->> and pat-refract) and prints the result on one line. With several \
            forms, prints one line per form. A form that does not read, or a macro error, is \
            reported as <command line>:line:column: message, with a non-zero exit status.

            Example: mino expand '(-> x (f 1) g)'   prints   (g (f x 1))
            """
    )

    @Flag(name: .long, help: "Expand one step only (macroexpand-1) instead of everything.")
    var step = false

    @Flag(name: .long, help: "Print the readable multi-line form instead of one line.")
    var pretty = false

    @Argument(help: "The form to expand, for example '(-> x (f 1) g)'.")
    var form: String

    /// Accepted like on every command, so scripts can pass it uniformly;
    /// expansion itself never touches tensors.
    @OptionGroup var backendOptions: BackendOptions

    func run() throws {
        // Check a backend named here (an unknown one is an error) without
        // starting the environment's default for nothing.
        if backendOptions.backend != nil { try backendOptions.apply() }
        do {
            print(try expandSource(form, file: "<command line>", oneStep: step, pretty: pretty))
        } catch let error as LispError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
