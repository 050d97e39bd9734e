import Foundation
import MinoCore
import MinoModel
import MinoPython
import MinoReference
import MinoTorch
import XCTest

/// Any Swift thread may use the backend; several at once give correct results.
final class TorchConcurrencyTests: XCTestCase {
    /// One thread's work: a small MLP's forward and backward on its own data,
    /// returning the loss and the first layer's weight gradient.
    static func work(seed: UInt64, on backend: any Backend) throws -> [Double] {
        let g = RandomGenerator(seed: seed)
        let model = try MLP(sizes: [8, 16, 4], activation: .tanh, dtype: .float64, generator: g, on: backend)
        let x = try Tensor.randn([32, 8], dtype: .float64, generator: g, on: backend)
        let y = try Tensor((0..<32).map { _ in Int64(g.nextInt(below: 4)) }, shape: [32], on: backend)
        let loss = try Loss.crossEntropy(try model(x), y)
        try loss.backward()
        guard let weight = model.parameters.first?.grad else { throw MinoError(.autodiff, "no gradient") }
        return [try loss.item()] + (try weight.doubles())
    }

    func testEightThreadsRunOpsAtOnceWithCorrectResults() throws {
        let torch = try requireTorchBackend()
        let threads = 8, rounds = 25
        let expected = try (0..<threads).map { try Self.work(seed: UInt64($0), on: ReferenceBackend()) }

        final class Outcomes: @unchecked Sendable {
            let lock = NSLock()
            var failures: [String] = []
            var runs = 0
            func record(_ failure: String?) {
                lock.lock(); defer { lock.unlock() }
                runs += 1
                if let failure { failures.append(failure) }
            }
        }
        let outcomes = Outcomes()
        let start = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for t in 0..<threads {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                start.wait()
                for round in 0..<rounds {
                    do {
                        let got = try Self.work(seed: UInt64(t), on: torch)
                        let worst = zip(got, expected[t]).map { Swift.abs($0 - $1) }.max() ?? .infinity
                        outcomes.record(worst <= 1e-9 && got.count == expected[t].count
                                        ? nil : "thread \(t) round \(round): off by \(worst)")
                    } catch {
                        outcomes.record("thread \(t) round \(round): \(error)")
                    }
                }
            }
            thread.stackSize = 4 << 20
            thread.start()
        }
        for _ in 0..<threads { start.signal() }
        // Waiting without the GIL: the threads must be able to take it.
        XCTAssertEqual(done.wait(timeout: .now() + 300), .success, "the threads did not finish (a deadlock?)")
        XCTAssertEqual(outcomes.failures, [])
        XCTAssertEqual(outcomes.runs, threads * rounds)
    }

    /// Tensors made on one thread and released on another: every reference is dropped under the GIL.
    func testTensorsCrossThreadsAndAreReleasedAnywhere() throws {
        let torch = try requireTorchBackend()
        let tensors = try (0..<64).map { try Tensor.full(Double($0), shape: [4], dtype: .float32, on: torch) }
        final class Box: @unchecked Sendable {
            let lock = NSLock()
            var tensors: [Tensor]
            var sums: [Double] = []
            init(_ t: [Tensor]) { tensors = t }
            func add(_ sum: Double) { lock.lock(); sums.append(sum); lock.unlock() }
        }
        let box = Box(tensors)
        let group = DispatchGroup()
        for part in 0..<4 {
            group.enter()
            Thread {
                defer { group.leave() }
                let mine = Array(box.tensors[(part * 16)..<((part + 1) * 16)])
                box.add((try? mine.reduce(0) { $0 + (try $1.sum().item()) }) ?? .nan)
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 120), .success)
        box.tensors = []
        XCTAssertEqual(box.sums.reduce(0, +), 4 * Double((0..<64).reduce(0, +)))
    }
}
