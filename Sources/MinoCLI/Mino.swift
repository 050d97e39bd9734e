import ArgumentParser
import MinoCore

@main
struct Mino: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mino",
        abstract: "Mino: deep learning with models as S-expressions.",
        subcommands: [TrainCommand.self, Expand.self, ConformanceCommand.self]
    )
}
