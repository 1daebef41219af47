import ArgumentParser

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "Inspect and run ONNX models.", subcommands: [])
}
