import XCTest
import Mino

/// Comparisons of host values with tolerances per dtype: float32 results of
/// different summation orders differ in the last bits, float64 ones far less.
enum Closeness {
    static func tolerance(_ dtype: DType) -> (absolute: Double, relative: Double) {
        switch dtype {
        case .float32: return (2e-5, 2e-4)
        case .float64: return (1e-11, 1e-9)
        case .int64: return (0, 0)
        }
    }

    /// Nil when `actual` matches `expected` element by element (NaN matching NaN,
    /// infinities matching exactly); else the first mismatch, described.
    static func mismatch(_ actual: HostArray, _ expected: HostArray) -> String? {
        guard actual.shape == expected.shape, actual.dtype == expected.dtype else {
            return "got \(actual.dtype) \(actual.shape), expected \(expected.dtype) \(expected.shape)"
        }
        let (abs, rel) = tolerance(actual.dtype)
        let (a, e) = (actual.doubles, expected.doubles)
        for i in a.indices {
            if a[i].isNaN && e[i].isNaN { continue }
            if a[i].isInfinite || e[i].isInfinite {
                if a[i] == e[i] { continue }
                return "element \(i): got \(a[i]), expected \(e[i])"
            }
            if Swift.abs(a[i] - e[i]) > abs + rel * Swift.abs(e[i]) {
                return "element \(i): got \(a[i]), expected \(e[i])"
            }
        }
        return nil
    }

    static func assertClose(_ actual: Tensor, _ expected: Tensor, _ message: @autoclosure () -> String = "",
                            file: StaticString = #filePath, line: UInt = #line) throws {
        if let problem = mismatch(try actual.toHost(), try expected.toHost()) {
            XCTFail("\(message()): \(problem)", file: file, line: line)
        }
    }
}
