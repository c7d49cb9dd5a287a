import ArgumentParser
import FAD

@main
struct FADCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fad",
        abstract: "Fréchet Audio Distance between a reference set and generated sets of audio.",
        version: "0.1.0"
    )

    func run() throws {}
}
