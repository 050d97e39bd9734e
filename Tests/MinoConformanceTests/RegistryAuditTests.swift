import MinoConformance
import MinoCore
import MinoReference
import XCTest

/// No op can be half added: a kernel case without its registered op, an op
/// without its torch call, or a backend without the kernel fails here.
final class RegistryAuditTests: XCTestCase {
    func testEveryKernelHasOneRegisteredOpWithATorchCall() {
        XCTAssertEqual(RegistryAudit.problems(OpRegistry.shared.all), [])
    }

    /// The registry as it would be with `erf` half added, three ways.
    func testAHalfAddedOpIsCaught() {
        // The kernel case and its CPU loops, but no registry declaration.
        let withoutErf = OpRegistry.shared.all.filter { $0.name != "erf" }
        XCTAssertEqual(RegistryAudit.problems(withoutErf),
                       ["kernel unary.erf has no registered op (declare one in Sources/MinoCore/Ops+*.swift)"])

        // The declaration, without its torch call.
        let noTorch = OpDefinition(
            primitive: "erf", summary: "the error function", signature: Ops.erf.signature,
            runs: .unary(.erf), torch: nil, shapeRule: Ops.erf.shapeRule,
            kernel: { backend, x, _ in try backend.unary(.erf, x[0]) }, derivative: nil)
        XCTAssertEqual(RegistryAudit.problems(withoutErf + [noTorch]), ["op erf declares no torch call"])

        // A declaration of a kernel the backends do not know (the kernel list without the case).
        let kernels = BackendKernel.allCases.filter { $0 != .unary(.erf) }
        XCTAssertEqual(RegistryAudit.problems(OpRegistry.shared.all, kernels: kernels),
                       ["ops [\"erf\"] run kernel unary.erf, which no backend knows"])

        // Two declarations of one kernel.
        XCTAssertEqual(RegistryAudit.problems(OpRegistry.shared.all + [noTorch]),
                       ["op erf declares no torch call", "kernel unary.erf belongs to several ops: [\"erf\", \"erf\"]"])
    }

    func testTheReferenceBackendRunsEveryKernel() {
        XCTAssertEqual(KernelCoverage.missing(on: ReferenceBackend()), [])
    }

    /// A backend whose erf kernel is missing (it throws, as the torch backend does for
    /// a kernel without a torch function) is caught, and named.
    func testABackendLackingAKernelIsCaught() {
        final class WithoutErf: BackendDecorator {
            let base: any Backend = ReferenceBackend()
            func forward(_ call: BackendCall) throws {
                if call == .kernel(.unary(.erf)) { throw MinoError(.backend, "no kernel for erf") }
            }
        }
        XCTAssertEqual(KernelCoverage.missing(on: WithoutErf()), ["unary.erf: no kernel for erf"])
    }
}
