import Foundation
import MinoPython
import XCTest

/// The search for a Python, driven through an injected environment so that
/// no test touches the process's own.
final class PythonLocatorTests: XCTestCase {
    /// A real python executable to point fake layouts at (skips if none).
    private func realPython() throws -> String {
        do {
            // The interpreter's own binary: the located executable may be a
            // wrapper script (a pyenv shim) that needs a PATH these tests replace.
            let found = try PythonLocator().locate()
            return URL(fileURLWithPath: found.sysExecutable).resolvingSymlinksInPath().path
        } catch {
            throw XCTSkip("no Python on this machine to build fake environments from:\n\(error)")
        }
    }

    /// `<directory>/bin/python` -> a real interpreter.
    private func makeFakeEnvironment(at directory: String, python: String) throws -> String {
        let bin = (directory as NSString).appendingPathComponent("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let link = (bin as NSString).appendingPathComponent("python")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: python)
        return link
    }

    private func setupError(_ locator: PythonLocator, file: StaticString = #filePath,
                            line: UInt = #line) -> PythonSetupError? {
        do {
            let found = try locator.locate()
            XCTFail("expected no Python, found \(found)", file: file, line: line)
        } catch let error as PythonSetupError {
            return error
        } catch {
            XCTFail("expected PythonSetupError, got \(error)", file: file, line: line)
        }
        return nil
    }

    func testMinoPythonPointingNowhereIsAClearError() throws {
        let directory = try makeTemporaryDirectory(self)
        let locator = PythonLocator(environment: ["MINO_PYTHON": "/nonexistent/mino/bin/python",
                                                  "PATH": "/usr/bin:/bin"],
                                    currentDirectory: directory, sourceCheckout: nil)
        let error = try XCTUnwrap(setupError(locator))
        XCTAssertEqual(error.stage, .locate)
        let text = error.description
        XCTAssertTrue(text.contains("MINO_PYTHON=/nonexistent/mino/bin/python"), text)
        XCTAssertTrue(text.contains("/nonexistent/mino/bin/python (MINO_PYTHON): not found"), text)
        XCTAssertTrue(text.contains("no other place was tried"), text)
        XCTAssertTrue(text.contains("scripts/setup.sh --python"), text)
        XCTAssertTrue(text.contains("make setup"), text)
    }

    func testNothingFoundListsEveryPlaceItLooked() throws {
        let root = try makeTemporaryDirectory(self)
        let nested = (root as NSString).appendingPathComponent("a/b")
        try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
        let locator = PythonLocator(environment: [:], currentDirectory: nested, sourceCheckout: nil)
        let error = try XCTUnwrap(setupError(locator))
        XCTAssertEqual(error.stage, .locate)
        let searched = error.searched.joined(separator: "\n")
        XCTAssertTrue(searched.contains("MINO_PYTHON: not set"), searched)
        XCTAssertTrue(searched.contains("\(nested)/.venv/bin/python (.venv in the current directory): not found"), searched)
        XCTAssertTrue(searched.contains("\(root)/a/.venv/bin/python (.venv in a parent directory): not found"), searched)
        XCTAssertTrue(searched.contains("\(root)/.venv/bin/python (.venv in a parent directory)"), searched)
        XCTAssertTrue(searched.contains("Mino source checkout: unknown"), searched)
        XCTAssertTrue(searched.contains("VIRTUAL_ENV: not set"), searched)
        XCTAssertTrue(searched.contains("python3 on PATH (PATH is empty or not set): not found"), searched)
        XCTAssertTrue(error.description.contains("MINO_PYTHON=/path/to/bin/python"), error.description)
    }

    func testBrokenVenvIsReportedAndSkipped() throws {
        let root = try makeTemporaryDirectory(self)
        _ = try makeFakeEnvironment(at: (root as NSString).appendingPathComponent(".venv"),
                                    python: "/nonexistent/python3")
        let locator = PythonLocator(environment: [:], currentDirectory: root, sourceCheckout: nil)
        let error = try XCTUnwrap(setupError(locator))
        XCTAssertTrue(error.searched.contains("\(root)/.venv/bin/python (.venv in the current directory): is a broken symbolic link"),
                      error.searched.joined(separator: "\n"))
    }

    func testFindsTheProjectVenvInAParentDirectory() throws {
        let python = try realPython()
        let root = try makeTemporaryDirectory(self)
        let link = try makeFakeEnvironment(at: (root as NSString).appendingPathComponent(".venv"), python: python)
        let nested = (root as NSString).appendingPathComponent("x/y")
        try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
        let found = try PythonLocator(environment: [:], currentDirectory: nested, sourceCheckout: nil).locate()
        XCTAssertEqual(found.executable, link)
        XCTAssertEqual(found.origin, ".venv in a parent directory")
        XCTAssertTrue(FileManager.default.fileExists(atPath: found.library), found.library)
        XCTAssertGreaterThanOrEqual(found.version.count, 3)
        XCTAssertEqual(found.version.first, 3)
        XCTAssertFalse(found.sysPath.contains(""))
        XCTAssertTrue(found.searchLog.contains { $0.contains("\(nested)/.venv/bin/python") })
    }

    func testTheSourceCheckoutIsTheLastProjectLocalPlace() throws {
        let python = try realPython()
        let checkout = try makeTemporaryDirectory(self)
        let link = try makeFakeEnvironment(at: (checkout as NSString).appendingPathComponent(".venv"), python: python)
        let elsewhere = try makeTemporaryDirectory(self)
        let virtualEnv = try makeTemporaryDirectory(self)
        _ = try makeFakeEnvironment(at: virtualEnv, python: python)
        let found = try PythonLocator(environment: ["VIRTUAL_ENV": virtualEnv],
                                      currentDirectory: elsewhere, sourceCheckout: checkout).locate()
        XCTAssertEqual(found.executable, link)
        XCTAssertEqual(found.origin, ".venv in the Mino source checkout")
    }

    func testTheDefaultSourceCheckoutIsThisPackage() throws {
        let checkout = try XCTUnwrap(PythonLocator.defaultSourceCheckout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: (checkout as NSString).appendingPathComponent("Package.swift")))
        XCTAssertTrue(FileManager.default.fileExists(
            atPath: (checkout as NSString).appendingPathComponent("Backends/Torch/Python/PythonLocator.swift")))
    }

    func testVirtualEnvThenPath() throws {
        let python = try realPython()
        let elsewhere = try makeTemporaryDirectory(self)
        let virtualEnv = try makeTemporaryDirectory(self)
        let link = try makeFakeEnvironment(at: virtualEnv, python: python)
        let viaVirtualEnv = try PythonLocator(environment: ["VIRTUAL_ENV": virtualEnv, "PATH": "/usr/bin:/bin"],
                                              currentDirectory: elsewhere, sourceCheckout: nil).locate()
        XCTAssertEqual(viaVirtualEnv.executable, link)
        XCTAssertEqual(viaVirtualEnv.origin, "VIRTUAL_ENV")

        let bin = try makeTemporaryDirectory(self)
        let python3 = (bin as NSString).appendingPathComponent("python3")
        try FileManager.default.createSymbolicLink(atPath: python3, withDestinationPath: python)
        let viaPath = try PythonLocator(environment: ["PATH": "/nonexistent:\(bin)"],
                                        currentDirectory: elsewhere, sourceCheckout: nil).locate()
        XCTAssertEqual(viaPath.executable, python3)
        XCTAssertEqual(viaPath.origin, "python3 on PATH")
        XCTAssertTrue(viaPath.searchLog.contains("VIRTUAL_ENV: not set"))
    }

    func testMinoPythonWinsAndMayNameAnEnvironmentDirectory() throws {
        let python = try realPython()
        let elsewhere = try makeTemporaryDirectory(self)
        let environmentDirectory = try makeTemporaryDirectory(self)
        let link = try makeFakeEnvironment(at: environmentDirectory, python: python)
        let direct = try PythonLocator(environment: ["MINO_PYTHON": link], currentDirectory: elsewhere,
                                       sourceCheckout: nil).locate()
        XCTAssertEqual(direct.executable, link)
        XCTAssertEqual(direct.origin, "MINO_PYTHON")
        let viaDirectory = try PythonLocator(environment: ["MINO_PYTHON": environmentDirectory],
                                             currentDirectory: elsewhere, sourceCheckout: nil).locate()
        XCTAssertEqual(viaDirectory.executable, link)
    }

    func testMinoPythonThatIsNotPython() throws {
        let elsewhere = try makeTemporaryDirectory(self)
        for (program, expected) in [("/bin/true", "not a Python 3 interpreter"),
                                    ("/bin/false", "exit status 1")] {
            guard FileManager.default.isExecutableFile(atPath: program) else { continue }
            let locator = PythonLocator(environment: ["MINO_PYTHON": program], currentDirectory: elsewhere,
                                        sourceCheckout: nil)
            let error = try XCTUnwrap(setupError(locator))
            XCTAssertEqual(error.stage, .probe)
            XCTAssertTrue(error.description.contains(expected), error.description)
        }
        let script = (elsewhere as NSString).appendingPathComponent("not-python")
        try "just text\n".write(toFile: script, atomically: true, encoding: .utf8)
        let error = try XCTUnwrap(setupError(PythonLocator(environment: ["MINO_PYTHON": script],
                                                           currentDirectory: elsewhere, sourceCheckout: nil)))
        XCTAssertTrue(error.description.contains("is not executable"), error.description)
    }

    func testMinoPythonLibraryOverride() throws {
        let python = try realPython()
        let elsewhere = try makeTemporaryDirectory(self)
        let locator = PythonLocator(environment: ["MINO_PYTHON": python,
                                                  "MINO_PYTHON_LIBRARY": "/nonexistent/libpython3.99.so"],
                                    currentDirectory: elsewhere, sourceCheckout: nil)
        let error = try XCTUnwrap(setupError(locator))
        XCTAssertEqual(error.stage, .library)
        XCTAssertTrue(error.description.contains("MINO_PYTHON_LIBRARY=/nonexistent/libpython3.99.so"), error.description)
    }

    func testTheProjectEnvironmentHasTorch() throws {
        let found: PythonEnvironment
        do { found = try PythonLocator().locate() } catch {
            throw XCTSkip("no Python here:\n\(error)")
        }
        // scripts/setup.sh --python installs torch and numpy; report what this machine has.
        print("located: \(found)")
        XCTAssertFalse(found.sysPath.isEmpty)
        XCTAssertFalse(found.prefix.isEmpty)
    }
}
