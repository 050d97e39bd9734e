#if canImport(Glibc)
import Glibc
#endif
import XCTest
import Mino

/// Choosing a backend by configuration: the built-ins are registered with
/// `blas` as the default, `MINO_BACKEND` overrides it, the Swift API overrides
/// both, and an unknown name is an error that lists the available backends.
final class BackendSelectionTests: XCTestCase {
    override func setUp() {
        unsetenv(BackendRegistry.environmentVariable)
    }

    override func tearDown() {
        unsetenv(BackendRegistry.environmentVariable)
    }

    func testBuiltinsAreRegisteredWithBlasAsTheDefault() throws {
        registerBuiltins()
        registerBuiltins()  // idempotent
        XCTAssertEqual(availableBackends, ["reference", "blas", "torch"])
        XCTAssertEqual(BackendRegistry.shared.fallbackName, "blas")
        let registry = freshRegistry()
        XCTAssertEqual(try registry.current().name, "blas")
        XCTAssertTrue(try backend(named: "blas") is BLASBackend)
        XCTAssertTrue(try backend(named: "reference") is ReferenceBackend)
    }

    func testTheEnvironmentVariableSelects() throws {
        let registry = freshRegistry()
        setenv(BackendRegistry.environmentVariable, "reference", 1)
        XCTAssertEqual(registry.currentName, "reference")
        XCTAssertEqual(try registry.current().name, "reference")
        // The Swift API wins over the environment.
        try registry.select("blas")
        XCTAssertEqual(try registry.current().name, "blas")
    }

    func testAnUnknownNameListsTheAvailableBackends() throws {
        let registry = freshRegistry()
        XCTAssertThrowsError(try registry.select("cuda")) { error in
            let e = error as? MinoError
            XCTAssertEqual(e?.kind, .unknownName)
            XCTAssertEqual(e?.message, "unknown backend 'cuda'; available backends: reference, blas")
        }
        setenv(BackendRegistry.environmentVariable, "blass", 1)
        XCTAssertThrowsError(try registry.current()) { error in
            XCTAssertEqual((error as? MinoError)?.kind, .unknownName)
            XCTAssertTrue("\(error)".contains("available backends: reference, blas"), "\(error)")
        }
    }

    /// The same model code on every backend: only the backend argument changes.
    func testTheSameCodeRunsOnEveryBackend() throws {
        var losses: [Double] = []
        for name in availableBackends {
            let b: any Backend
            do {
                b = try backend(named: name)
            } catch where name == "torch" {
                continue  // torch needs Python with torch (scripts/setup.sh --python); MinoTorchTests cover it
            }
            let g = RandomGenerator(seed: 5)
            let x = try Tensor.randn([8, 4], generator: g, on: b)
            let w = try Tensor.randn([3, 4], generator: g, on: b)
            let bias = try Tensor.zeros([3], on: b)
            let labels = try Tensor([0, 1, 2, 0, 1, 2, 0, 1] as [Int64], shape: [8], on: b)
            losses.append(try Loss.crossEntropy(try x.linear(w, bias).relu(), labels).item())
        }
        XCTAssertGreaterThanOrEqual(losses.count, 2)
        for loss in losses.dropFirst() { XCTAssertEqual(loss, losses[0], accuracy: 1e-5) }
    }

    /// A registry with the built-ins, as `registerBuiltins()` sets up the shared one.
    func freshRegistry() -> BackendRegistry {
        let registry = BackendRegistry()
        registry.register("reference") { ReferenceBackend() }
        registry.register("blas") { BLASBackend() }
        registry.fallbackName = defaultBackendName
        return registry
    }
}
