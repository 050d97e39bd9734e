import ArgumentParser
import Mino

/// `mino backends`: the registered backends, the default marked.
struct BackendsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backends",
        abstract: "List the available backends; the one in use is marked with *."
    )

    @OptionGroup var backendOptions: BackendOptions

    func run() throws {
        let current = try backendOptions.apply()
        for name in availableBackends {
            print("\(name == current.name ? "*" : " ") \(name)")
        }
    }
}
