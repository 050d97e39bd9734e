import Foundation
import MinoCore
import MinoLisp

/// Runs `.mu` programs: read → expand → compile (names resolved once) → run.
///
/// One interpreter is one program's world: its globals, its macro table (the standard
/// macros plus what `require` and `defmacro` add), the backend its tensors live on and
/// where `print` writes. Top-level forms run one after the other, each expanded and
/// compiled just before it runs, so a macro or import defined by one form is seen by
/// the next.
///
/// ```swift
/// let mu = Interpreter(backend: try Mino.backend(named: "reference"))
/// print(try mu.evaluate(source: "(+ 1 2)").repr)   // 3
/// ```
public final class Interpreter {
    public let globals = Globals()
    public let macros: MacroTable
    public let gensyms = Gensym()
    /// The program's specs (`spec/def`), generators and function specs.
    public let specs = SpecRegistry()
    /// Where tensors made by the program live.
    public let backend: any Backend
    /// Where `print` writes (standard output by default).
    public var output: (String) -> Void
    /// Nested calls of user functions and mus allowed before a `RecursionError` (Python's default).
    public var maxCallDepth = 1_000
    /// Loop iterations allowed in one evaluation before it stops with a `TimeoutError`;
    /// nil for no limit (the default). The randomized tests set it.
    public var loopBudget: Int? = nil
    /// Seeds `torch.manual_seed` and every random draw of the program.
    public var generator: RandomGenerator
    /// The file whose forms are running (`evaluate(source:file:)` with a real path), so
    /// `torch-module` finds a `.py` file beside the `.mu` file that names it.
    public internal(set) var currentFile: String?

    /// The function `defmain` defined, if any.
    public internal(set) var mainFunction: Function?
    var callDepth = 0
    var loopCount = 0
    var currentException: LangError?
    /// The mus being called, outermost first, with their components' values (for error paths).
    var muStack: [(MuObject, [Value])] = []
    /// The builtin operator functions, to tell them from user redefinitions.
    var operatorFunctions: [String: Function] = [:]
    /// The modules `import` and `require` find (made with the interpreter, never nil after init).
    var library: ModuleLibrary!

    public init(backend: any Backend, output: @escaping (String) -> Void = { text in
        FileHandle.standardOutput.write(Data(text.utf8))
    }, seed: UInt64 = 0) {
        self.backend = backend
        self.output = output
        self.macros = MacroTable.standard()
        for (name, macro) in Preludes.core { macros.define(name, macro) }
        self.generator = RandomGenerator(seed: seed)
        self.library = ModuleLibrary(interpreter: self)
        Builtins.install(into: self)
    }

    // MARK: Running source

    /// Reads, expands, compiles and runs every top-level form of `source`; returns the
    /// last one's value. Runs on a thread with a large stack, so deep recursion ends
    /// in a `RecursionError`, not a crash.
    @discardableResult
    public func evaluate(source: String, file: String = "<input>") throws -> Value {
        let previousFile = currentFile
        if !file.hasPrefix("<") { currentFile = file }
        defer { currentFile = previousFile }
        return try Interpreter.onLargeStack {
            var reader = Reader(source, file: file)
            var last = Value.none
            do {
                while let form = try reader.next() {
                    last = try self.evaluateOnCurrentThread(form)
                }
            } catch let error as LispError {
                throw LangError(error)
            }
            return last
        }
    }

    /// Evaluates one form (already read) at top level.
    @discardableResult
    public func evaluate(_ form: Expr) throws -> Value {
        try Interpreter.onLargeStack { try self.evaluateOnCurrentThread(form) }
    }

    /// Runs the program's `defmain` function, if it defined one, with `arguments`
    /// (Hy passes `sys.argv`: the program's name first). Returns the exit status:
    /// main's value when it is an integer, else 0.
    public func runMain(arguments: [String]) throws -> Int32 {
        guard let main = mainFunction else { return 0 }
        return try Interpreter.onLargeStack {
            let previous = Interpreter.current
            Interpreter.current = self
            defer { Interpreter.current = previous }
            self.loopCount = 0
            let value = try main.call(arguments.map { .string($0) })
            if case .int(let code) = value { return Int32(truncatingIfNeeded: code) }
            return 0
        }
    }

    /// Compiles forms once for repeated runs (benchmarks, embedding): `run()` executes
    /// the compiled closures on the calling thread.
    public func compile(source: String, file: String = "<input>") throws -> CompiledForms {
        var forms: [(Code, Int)] = []
        do {
            for form in try Reader.readAll(source, file: file) {
                forms.append(try compileTopLevel(form))
            }
        } catch let error as LispError {
            throw LangError(error)
        }
        return CompiledForms(forms: forms, interpreter: self)
    }

    func evaluateOnCurrentThread(_ form: Expr) throws -> Value {
        let previous = Interpreter.current
        Interpreter.current = self
        defer { Interpreter.current = previous }
        loopCount = 0
        let (code, size) = try compileTopLevel(form)
        do {
            return try code(Frame(size: size, parent: nil))
        } catch var error as LangError {
            if error.location == nil { error.location = form.location }
            throw error
        } catch let control as ControlFlow {
            let word = control == .breakLoop ? "break" : "continue"
            throw LangError.syntax("'\(word)' outside a loop", at: form.location)
        }
    }

    func compileTopLevel(_ form: Expr) throws -> (Code, Int) {
        let expanded = try expandAll(form)
        let scope = FunctionScope(parent: nil, isTopLevel: true)
        let compiler = Compiler(interpreter: self, scope: scope)
        let code = try compiler.compile(expanded)
        return (code, scope.slotCount)
    }

    // MARK: Macros

    func expansionContext() -> ExpansionContext {
        ExpansionContext(macros: macros, gensyms: gensyms)
    }

    func expandAll(_ form: Expr) throws -> Expr {
        var context = expansionContext()
        do { return try context.macroexpandAll(form) } catch let error as LispError {
            throw LangError(error)
        }
    }

    /// Adds a macro written in `.mu` (its function receives the call's forms).
    func defineMacro(_ name: String, _ function: Function) {
        macros.define(name) { form, _ in
            let args = (form.listItems ?? []).dropFirst().map { Value.form($0) }
            do {
                return try ExprConversion.expr(from: try function.call(Array(args)), at: form.location)
            } catch let error as LangError {
                let origin = error.location.map { " (raised at \($0))" } ?? ""
                throw LispError(.macro, "\(name): \(error.message)\(origin)", at: form.location ?? error.location)
            }
        }
    }

    // MARK: Calls and limits

    @inline(__always)
    func enterCall() throws {
        callDepth += 1
        if callDepth > maxCallDepth {
            callDepth -= 1
            throw LangError("RecursionError", "maximum recursion depth exceeded (\(maxCallDepth) nested calls)")
        }
    }

    @inline(__always)
    func leaveCall() { callDepth -= 1 }

    /// Counts one loop iteration against `loopBudget`.
    @inline(__always)
    func checkInterrupt() throws {
        guard let budget = loopBudget else { return }
        loopCount += 1
        if loopCount > budget {
            throw LangError("TimeoutError", "stopped after \(budget) loop iterations")
        }
    }

    func withCurrentException<T>(_ error: LangError, _ body: () throws -> T) rethrows -> T {
        let saved = currentException
        currentException = error
        defer { currentException = saved }
        return try body()
    }

    /// True while `name` is still bound to its builtin operator function.
    func isBuiltinOperator(_ name: String) -> Bool {
        guard let original = operatorFunctions[name], case .function(let f)? = globals.value(name) else { return false }
        return f === original
    }

    /// `; did you mean 'x'?` for an unknown global.
    func suggestion(for name: String) -> String {
        Suggestions.hint(for: name, among: globals.boundNames + Array(SpecialForms.table.keys) + macros.names)
    }

    // MARK: Stack

    /// Stack size of the evaluation thread: deep enough for `maxCallDepth` nested calls
    /// of debug-built closures with room to spare.
    static let stackSize = 512 << 20

    /// Runs `body` on a thread with a large stack, unless already on one.
    static func onLargeStack<T>(_ body: @escaping () throws -> T) throws -> T {
        if Thread.current.threadDictionary["mino.largeStack"] != nil { return try body() }
        let outcome = Outcome<T>()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            Thread.current.threadDictionary["mino.largeStack"] = true
            outcome.result = Result { try body() }
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return try outcome.result.get()
    }
}

/// The result handed back from the evaluation thread.
private final class Outcome<T>: @unchecked Sendable {
    var result: Result<T, Error> = .failure(LangError("RuntimeError", "the evaluation thread did not run"))
}

/// Forms compiled once, to run many times (see ``Interpreter/compile(source:file:)``).
public struct CompiledForms {
    let forms: [(Code, Int)]
    let interpreter: Interpreter
    /// Forms without locals share one empty frame: nothing to allocate per run.
    private let emptyFrame = Frame(size: 0, parent: nil)

    init(forms: [(Code, Int)], interpreter: Interpreter) {
        self.forms = forms
        self.interpreter = interpreter
    }

    /// Runs every form on the calling thread; returns the last value.
    @discardableResult
    public func run() throws -> Value {
        let previous = Interpreter.current
        if previous !== interpreter { Interpreter.current = interpreter }
        defer { if previous !== interpreter { Interpreter.current = previous } }
        var last = Value.none
        for (code, size) in forms { last = try code(size == 0 ? emptyFrame : Frame(size: size, parent: nil)) }
        return last
    }
}
