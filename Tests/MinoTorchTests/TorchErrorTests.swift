import Foundation
import MinoCore
import MinoPython
import MinoTorch
import XCTest

/// Every failure through the torch backend is a thrown MinoError of the
/// right kind, and the process goes on.
final class TorchErrorTests: XCTestCase {
    /// A Python exception inside a kernel (operands Core would have refused,
    /// handed to the kernel directly) → `.backend` with type, message and traceback.
    func testAPythonExceptionInsideAnOpIsABackendErrorWithItsTraceback() throws {
        let torch = try requireTorchBackend()
        let a = try Tensor([1, 2, 3] as [Float], shape: [3], on: torch)
        let b = try Tensor([1, 2] as [Float], shape: [2], on: torch)
        let error = assertMinoError(.backend) { try torch.binary(.add, a.operand, b.operand, shape: [3]) }
        let message = error?.message ?? ""
        XCTAssertTrue(message.hasPrefix("torch backend: add: Python RuntimeError: "), message)
        XCTAssertTrue(message.contains("must match the size of tensor"), message)

        // Raised inside Python code: the traceback comes along, with the helper module's own lines.
        let m = try Tensor([1, 2, 3, 4] as [Double], shape: [2, 2], on: torch)
        let slice = assertMinoError(.backend) {
            try torch.slice(m.operand, [.all(2), .all(2), .all(2)], shape: [2, 2])
        }
        print("SLICE:", slice?.message ?? ""); XCTAssertTrue(slice?.message.contains("Python IndexError") ?? false, slice?.message ?? "")
        XCTAssertTrue(slice?.message.contains("Traceback (most recent call last)") ?? false, slice?.message ?? "")
        XCTAssertTrue(slice?.message.contains("<mino_torch>") ?? false, slice?.message ?? "")
        XCTAssertTrue(slice?.message.contains("return x[_box(r)]") ?? false, slice?.message ?? "")

        // And the backend keeps working.
        XCTAssertEqual(try (a + a).floats(), [2, 4, 6])
    }

    /// An index out of range is `.argument`, as on the reference backend, naming the op and the index.
    func testIndicesOutOfRangeAreArgumentErrors() throws {
        let torch = try requireTorchBackend()
        let x = try Tensor((0..<6).map(Float.init), shape: [2, 3], on: torch)
        for bad: Int64 in [3, -1, 99] {
            let rows = try Tensor([0, bad], shape: [2], on: torch)
            let select = assertMinoError(.argument) { try x.indexSelect(axis: 1, indices: rows) }
            XCTAssertEqual(select?.message, "indexSelect: index \(bad) is out of range for an axis of size 3")
            let add = assertMinoError(.argument) {
                try Tensor.ones([2, 2], on: torch).indexAdd(axis: 1, indices: rows, shape: [2, 3])
            }
            XCTAssertEqual(add?.message, "indexAdd: index \(bad) is out of range for an axis of size 3")
            let aligned = try Tensor([0, 1, 2, bad, 0, 0], shape: [2, 3], on: torch)
            let gather = assertMinoError(.argument) { try x.gather(axis: 1, indices: aligned) }
            XCTAssertEqual(gather?.message, "gather: index \(bad) is out of range for an axis of size 3")
            let scatter = assertMinoError(.argument) { try x.scatterAdd(axis: 1, indices: aligned, shape: [2, 3]) }
            XCTAssertEqual(scatter?.message, "scatterAdd: index \(bad) is out of range for an axis of size 3")
            // Labels of cross-entropy: the error of its default implementation (a gather).
            let labels = try Tensor([1, bad], shape: [2], on: torch)
            let loss = assertMinoError(.argument) { try Loss.crossEntropy(x, labels) }
            XCTAssertEqual(loss?.message, "gather: index \(bad) is out of range for an axis of size 3")
        }
        // -100 is torch's ignore_index: still an error here, never silently skipped.
        let ignored = try Tensor([1, -100], shape: [2], on: torch)
        assertMinoError(.argument) { try Loss.crossEntropy(x, ignored) }
        XCTAssertEqual(try x.indexSelect(axis: 1, indices: try Tensor([2, 0], shape: [2], on: torch)).floats(),
                       [2, 0, 5, 3])
    }

    func testBadDeviceNamesAreClearErrors() throws {
        let torch = try requireTorchBackend()
        for name in ["tpu", "cuda:", "cuda:-1", "gpu0", ""] {
            let error = assertMinoError(.argument) { try TorchConfiguration.Device(parsing: name) }
            XCTAssertTrue(error?.message.contains("use cpu, cuda or cuda:N") ?? false, error?.message ?? "")
        }
        assertMinoError(.argument) { try TorchConfiguration.fromEnvironment(["MINO_TORCH_DEVICE": "tpu"]) }
        assertMinoError(.argument) { try TorchConfiguration.fromEnvironment(["MINO_THREADS": "zero"]) }
        assertMinoError(.argument) { try TorchConfiguration(threads: 0) }
        XCTAssertEqual(try TorchConfiguration.fromEnvironment(["MINO_TORCH_DEVICE": " CUDA:1 ", "MINO_THREADS": "3"]),
                       try TorchConfiguration(device: .cuda(1), threads: 3))

        // cuda where torch has none (this CPU build), or cuda:99 where there are fewer devices.
        for device: TorchConfiguration.Device in [.cuda(nil), .cuda(0), .cuda(99)] {
            let error = assertMinoError(.backend) { try TorchBackend(try TorchConfiguration(device: device)) }
            let message = error?.message ?? ""
            XCTAssertTrue(message.contains("device '\(device)' asked for"), message)
            XCTAssertTrue(message.contains("Available devices: cpu"), message)
        }
        // The process and the backend go on.
        XCTAssertEqual(try Tensor([4] as [Double], shape: [1], on: torch).sqrt().doubles(), [2])
    }

    /// A Python without torch (a fresh venv): asking for the backend says where it looked and how to install.
    func testMissingTorchSaysWhereItLookedAndHowToInstall() throws {
        let torch = try requireTorchBackend()   // the process's own Python stays as it is
        let base = "/usr/bin/python3"
        guard FileManager.default.isExecutableFile(atPath: base) else { throw XCTSkip("no \(base) to make a venv with") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mino-no-torch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let venv = folder.appendingPathComponent("venv").path
        let make = Process()
        make.executableURL = URL(fileURLWithPath: base)
        make.arguments = ["-m", "venv", "--without-pip", venv]
        try make.run()
        make.waitUntilExit()
        guard make.terminationStatus == 0 else { throw XCTSkip("python3 -m venv failed here") }

        var environment = ProcessInfo.processInfo.environment
        environment["MINO_PYTHON"] = venv + "/bin/python"
        let locator = PythonLocator(environment: environment, currentDirectory: folder.path, sourceCheckout: nil)
        let error = assertMinoError(.backend) { try TorchBackend(try TorchConfiguration(), locator: locator) }
        let message = error?.message ?? ""
        print("MISSING:", message); XCTAssertTrue(message.contains("needs torch"), message)
        XCTAssertTrue(message.contains(venv + "/bin/python"), message)
        XCTAssertTrue(message.contains("Looked at:"), message)
        XCTAssertTrue(message.contains("MINO_PYTHON"), message)
        XCTAssertTrue(message.contains("scripts/setup.sh --python"), message)
        XCTAssertTrue(message.contains("pip install torch"), message)

        // A Python that is not there at all.
        let nowhere = PythonLocator(environment: ["MINO_PYTHON": folder.path + "/missing/bin/python"],
                                    currentDirectory: folder.path, sourceCheckout: nil)
        let missing = assertMinoError(.backend) { try TorchBackend(try TorchConfiguration(), locator: nowhere) }
        print("NOPY:", missing?.message ?? ""); XCTAssertTrue(missing?.message.contains("needs Python with torch") ?? false, missing?.message ?? "")
        XCTAssertTrue(missing?.message.contains("not found") ?? false, missing?.message ?? "")

        // Through the registry, as `--backend torch` asks for it; the others keep working.
        let registry = BackendRegistry()
        registry.register("torch") { try TorchBackend(try TorchConfiguration(), locator: locator) }
        assertMinoError(.backend) { try registry.backend(named: "torch") }
        XCTAssertEqual(try (Tensor([1] as [Float], shape: [1], on: torch) * 3).floats(), [3])
    }

    /// Storages of another backend are refused, not misread.
    func testForeignStoragesAreRefused() throws {
        let torch = try requireTorchBackend()
        final class Foreign: BackendStorage {}
        let operand = Operand(storage: Foreign(), shape: [1], dtype: .float32)
        assertMinoError(.backend) { try torch.unary(.exp, operand) }
        assertMinoError(.backend) { try torch.download(operand) }
    }
}
