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
}
