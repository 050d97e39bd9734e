import Mino
import MinoCore
import MinoTorch
import XCTest

final class TorchConfigurationTests: XCTestCase {
    func testThreadCountIsApplied() throws {
        _ = try requireTorchBackend()
        // The count is process-wide in torch: set it again here, whatever ran before.
        let torch = try TorchBackend(try TorchConfiguration(device: .cpu, threads: 1))
        XCTAssertEqual(try torch.threadCount(), 1)
        XCTAssertEqual(torch.configuration, try TorchConfiguration(device: .cpu, threads: 1))
        XCTAssertEqual(torch.name, "torch")
        XCTAssertTrue(torch.torchVersion.hasPrefix("2."), torch.torchVersion)
        XCTAssertTrue(torch.pythonEnvironment.hasTorch)
    }

    func testDevicesParseAndPrintAsTorchSpellsThem() throws {
        XCTAssertEqual(try TorchConfiguration.Device(parsing: "cpu"), .cpu)
        XCTAssertEqual(try TorchConfiguration.Device(parsing: "cuda"), .cuda(nil))
        XCTAssertEqual(try TorchConfiguration.Device(parsing: "cuda:3"), .cuda(3))
        XCTAssertEqual(TorchConfiguration.Device.cuda(3).description, "cuda:3")
        XCTAssertEqual(try TorchConfiguration.fromEnvironment([:]), try TorchConfiguration())
    }

    /// The registry's factory reads the environment; the backend it makes works.
    func testTheRegistryFactoryMakesAWorkingBackend() throws {
        _ = try requireTorchBackend()
        let registry = BackendRegistry()
        registry.register("torch", factory: TorchBackend.make)
        let backend = try registry.backend(named: "torch")
        XCTAssertEqual(backend.name, "torch")
        XCTAssertEqual(try (Tensor([1, 2] as [Double], shape: [2], on: backend) * 2).doubles(), [2, 4])
    }

    /// `mino --threads N`: applied to the running torch now, and over MINO_THREADS for backends made later.
    func testSetThreadsAppliesNowAndToLaterBackends() throws {
        let torch = try requireTorchBackend()
        defer { try? TorchBackend.setThreads(nil); _ = try? TorchBackend(try TorchConfiguration(threads: 1)) }
        try TorchBackend.setThreads(2)
        XCTAssertEqual(try torch.threadCount(), 2)
        XCTAssertEqual(try TorchConfiguration.fromEnvironment(["MINO_THREADS": "5"]).threads, 2)
        try TorchBackend.setThreads(nil)
        XCTAssertEqual(try TorchConfiguration.fromEnvironment(["MINO_THREADS": "5"]).threads, 5)
        assertMinoError(.argument) { try TorchBackend.setThreads(0) }
    }

    /// `import Mino` registers the backend as "torch"; selecting it by name gives this backend type.
    func testTheUmbrellaRegistersTorch() throws {
        _ = try requireTorchBackend()
        registerBuiltins()
        XCTAssertTrue(availableBackends.contains("torch"))
        XCTAssertTrue(try backend(named: "torch") is TorchBackend)
    }
}
