import ArgumentParser
import FAD
import Foundation

@main
struct FADCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fad",
        abstract: "Fréchet Audio Distance between a reference set and generated sets of audio.",
        discussion: """
        `fad REFERENCE GENERATED...` embeds every set with the model (musicnn by default, shipped \
        with fad: no download) and scores each generated set against the reference. Inputs are \
        folders of audio (searched recursively), text files listing audio paths, folders of .npy \
        embeddings [frames, dim], or statistics saved by `fad stats save`.
        """,
        version: "0.1.0",
        subcommands: [Score.self, PerSong.self, Embed.self, Stats.self, Classify.self, Models.self],
        defaultSubcommand: Score.self
    )

    /// Keeps freed activation memory mapped between batches (`ActivationMemory`), then parses
    /// and runs the command.
    static func main() {
        ActivationMemory.retainFreedBlocks()
        main(nil)
    }
}
