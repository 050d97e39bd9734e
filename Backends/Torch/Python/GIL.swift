import CPython

// The GIL policy, in one place.
//
// - After start-up the interpreter does not hold the GIL (PythonInterpreter
//   releases it with PyEval_SaveThread), so any Swift thread may take it.
// - Every entry into Python in this module, and every Py_DecRef (in
//   PythonObject's deinit, on whatever thread drops the last reference),
//   runs inside `holdingGIL`: PyGILState_Ensure before, PyGILState_Release after.
// - A thread keeps its Python thread state from its first call until it
//   exits (mino_py_gil_ensure in the C shim), so calls from any thread cost
//   about what they cost on the thread that started Python. An exiting
//   thread takes the GIL once more to delete that state, so do not join a
//   Swift thread from code that holds the GIL.
// - PyGILState_Ensure is re-entrant on one thread (it counts), so nesting —
//   a user's `interpreter.withGIL { }` around many calls, each of which
//   takes it again — is correct, and saves re-taking it per call.
// - The GIL is never held while Swift code outside these calls runs, except
//   inside a user's own `withGIL { }` block (and so in a `withBuffer` body
//   nested in one).
// - Do not block on a Swift lock or queue inside `withGIL` that another
//   thread may hold while it waits for the GIL (the classic lock-order
//   deadlock); drop references outside such locks for the same reason.

/// Runs `body` holding the GIL. The interpreter must be running (callers
/// either hold a PythonObject, which proves it, or go through `withRunningGIL`).
@inline(__always)
func holdingGIL<Result>(_ body: () throws -> Result) rethrows -> Result {
    let state = mino_py_gil_ensure()
    defer { mino_py_gil_release(state) }
    return try body()
}

/// Like `holdingGIL`, but first checks that Python is running, for entry points
/// that do not start from an existing PythonObject (conversions of Swift values).
@inline(__always)
func withRunningGIL<Result>(_ context: @autoclosure () -> String,
                            _ body: () throws -> Result) throws -> Result {
    guard mino_py_is_ready() != 0 else {
        throw PythonError(kind: .notStarted, typeName: "NotStarted",
                          message: "call PythonInterpreter.start() (or use PythonInterpreter.shared) first",
                          context: context())
    }
    return try holdingGIL(body)
}
