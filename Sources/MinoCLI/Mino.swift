import ArgumentParser
import Mino

@main
struct MinoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mino",
        abstract: "Mino: deep learning with models as S-expressions.",
        subcommands: [RunCommand.self, EvalCommand.self, ReplCommand.self, TrainCommand.self, Expand.self,
                      ConformanceCommand.self, BackendsCommand.self, ExportCommand.self, ImportCommand.self]
    )
}
