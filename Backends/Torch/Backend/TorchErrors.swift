import Foundation
import MinoCore
import MinoPython

/// How Python's failures become Mino's errors.
///
/// - `mino_torch.MinoArgumentError` (raised by the helpers for an index out
///   of range) → `.argument`, with the message the reference backend gives.
/// - Any other Python exception → `.backend`, naming the op and carrying the
///   exception's type, message and full traceback text.
/// - A ``MinoError`` passes through unchanged.
enum TorchErrors {
    static func mino(_ error: Error, op: String) -> MinoError {
        switch error {
        case let error as MinoError:
            return error
        case let error as PythonError:
            if error.kind == .exception, error.typeName == "\(TorchHelperSource.moduleName).MinoArgumentError" {
                return MinoError(.argument, error.message)
            }
            return MinoError(.backend, describe(error, op: op))
        default:
            return MinoError(.backend, "torch backend: \(op): \(error)")
        }
    }

    /// `torch backend: add: Python RuntimeError: <message>`, and below it
    /// the traceback when Python code ran (a torch function called straight
    /// from Swift raises without any Python frame: its traceback would only
    /// repeat the first line).
    static func describe(_ error: PythonError, op: String) -> String {
        var text = "torch backend: \(op): Python \(error.typeName): \(error.message)"
        let traceback = error.traceback.trimmingCharacters(in: .newlines)
        if traceback.contains("Traceback (most recent call last)") { text += "\n" + traceback }
        return text
    }
}
