import ArgumentParser
import Foundation
import Mino
import MinoLang
import MinoModel

/// `mino export net.mu --weights net.safetensors --out net.py`: a Mino model as a plain PyTorch file.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a .mu model as a plain PyTorch module file.",
        discussion: """
            Runs the program, takes its model (the global `model`, else the last value), loads \
            --weights into it (every name, shape and dtype checked), and writes OUT: one nn.Module \
            class per mu, torch.nn layers for built-in layers, and load_weights(module, path), which \
            loads a safetensors file with strict=True. Without --weights the model's own weights are \
            written beside OUT (net.py -> net.safetensors). Forms with no PyTorch spelling are an error \
            naming the form.
            """)

    @Argument(help: "The .mu program that makes the model.") var file: String
    @Option(help: "A safetensors file of the model's weights (as mino.save writes).") var weights: String?
    @Option(help: "The Python file to write.") var out: String
    @Option(name: .customLong("class"), help: "The top-level class name.") var className: String = "Net"
    @OptionGroup var backendOptions: BackendOptions

    func run() throws {
        let backend = try LanguageCommands.backend(backendOptions)
        do {
            let (python, model) = try TorchExport.exportProgram(file: file, weights: weights, className: className, backend: backend)
            try Data(python.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            var weightsFile = weights
            if weights == nil {
                let url = URL(fileURLWithPath: out).deletingPathExtension().appendingPathExtension("safetensors")
                try Checkpoint.save(ModuleAdapter(model), to: url)
                weightsFile = url.path
            }
            print("wrote \(out) (class \(className)); weights: \(weightsFile ?? "")")
        } catch {
            LanguageCommands.report("\(error)")
            throw ExitCode.failure
        }
    }
}

/// `mino import model.py:Net --out net.mu`: a PyTorch module as mu expressions and weights.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Turn a PyTorch module into a .mu model and a safetensors file.",
        discussion: """
            Loads FILE.py, makes CLASS(ARGS) and traces it with torch.fx (needs Python with torch). \
            Writes OUT (.mu: one defmu per module class with a forward, torch.nn layers for Linear, \
            activations, Dropout and Sequential) and the weights beside it (net.mu -> net.safetensors). \
            The .mu file runs without Python. Nodes Mino cannot write are listed together; conv, \
            pooling, LSTM and batch norm wait for Mino's layers.
            """)

    @Argument(help: "FILE.py:CLASS, the module to import.") var module: String
    @Option(help: "The class's constructor arguments, as Python: '784, 10, hidden=128'.") var args: String?
    @Option(help: "The .mu file to write.") var out: String

    func run() throws {
        guard let colon = module.lastIndex(of: ":"), colon != module.startIndex else {
            LanguageCommands.report("import: expected FILE.py:CLASS, got \(module)")
            throw ExitCode.failure
        }
        let file = String(module[..<colon]), className = String(module[module.index(after: colon)...])
        do {
            let weights = try TorchImport.write(file: file, className: className, arguments: args, out: out)
            print("wrote \(out); weights: \(weights.path)")
        } catch {
            LanguageCommands.report("\(error)")
            throw ExitCode.failure
        }
    }
}
