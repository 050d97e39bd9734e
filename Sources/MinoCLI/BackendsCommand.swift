import ArgumentParser
import Mino

/// `mino backends`: the registered backends, the default marked; `--verbose`
/// says what runs behind each (BLAS library and kernels, Python and torch).
struct BackendsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends",
        abstract: "List the available backends; the one in use is marked with *.",
        discussion: "--verbose starts each backend and prints what runs behind it: for blas the library "
            + "(MINO_BLAS: openblas, mkl or a path), its version, kernel, threads and the CPU features seen; "
            + "for torch the Python, torch's version, the device and threads."
    )

    @OptionGroup var backendOptions: BackendOptions

    @Flag(name: [.short, .long], help: "Start each backend and say what runs behind it.")
    var verbose = false

    func run() throws {
        let current: String
        do {
            current = try backendOptions.apply().name
        } catch let error as MinoError where error.kind == .backend && verbose {
            // The selected backend cannot start here: still list them all; its details say why.
            current = BackendRegistry.shared.currentName
        }
        for name in availableBackends {
            print("\(name == current ? "*" : " ") \(name)")
            guard verbose else { continue }
            let details = backendDetails(name)
            let width = details.map(\.key.count).max() ?? 0
            for (key, value) in details {
                let indent = String(repeating: " ", count: width + 7)
                let text = value.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n" + indent)
                print("    " + key + ":" + String(repeating: " ", count: width - key.count + 1) + " " + text)
            }
        }
    }
}
