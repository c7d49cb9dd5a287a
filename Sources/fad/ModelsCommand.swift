import ArgumentParser
import FAD
import Foundation

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, import and fetch models.",
        subcommands: [List.self, Import.self, Fetch.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show every model: embedded, installed or importable.")

        func run() throws {
            var text = ""
            for name in ModelRegistry.names {
                let status: String
                switch ModelCatalog.availability(of: name) {
                case .embedded(let file): status = "embedded   in this fad binary (Models/\(file))"
                case .installed(let url): status = "installed  \(url.path)"
                case .notInstalled(let hint): status = "not installed: \(hint)"
                }
                text += "\(name.padding(toLength: 16, withPad: " ", startingAt: 0)) \(status)\n"
            }
            try emit(text, to: nil)
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert an official PyTorch checkpoint to fad's safetensors in your model folder.",
            discussion: "vggish: torchvggish's vggish-10086976.pth; panns-cnn14: Cnn14_mAP=0.431.pth; panns-cnn14-16k: Cnn14_16k_mAP=0.438.pth; encodec-24k: encodec_24khz-d7cc33bc.th; encodec-48k: encodec_48khz-7e698e3e.th.")

        @Argument(help: ArgumentHelp("Model to import: \(TorchModels.names.joined(separator: ", ")).", valueName: "name"))
        var name: String

        @Argument(help: ArgumentHelp("The checkpoint file (.pth).", valueName: "file"))
        var file: String

        func validate() throws {
            guard TorchModels.names.contains(name) else {
                throw ValidationError("'\(name)' cannot be imported; choose from \(TorchModels.names.joined(separator: ", "))")
            }
        }

        func run() throws {
            do {
                let written = try TorchModels.importCheckpoint(name, from: URL(fileURLWithPath: file))
                FileHandle.standardError.write(Data("fad: imported \(name) to \(written.path)\n".utf8))
            } catch { exitForError(error) }
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model's official checkpoint and import it (needs network access).")

        @Argument(help: ArgumentHelp("Model to fetch: \(TorchModels.names.joined(separator: ", ")).", valueName: "name"))
        var name: String

        @Option(help: ArgumentHelp("Download from this URL instead of the official one.", valueName: "url"))
        var url: String?

        func validate() throws {
            guard TorchModels.names.contains(name) else {
                throw ValidationError("'\(name)' cannot be fetched; choose from \(TorchModels.names.joined(separator: ", "))")
            }
        }

        func run() throws {
            do {
                guard let source = URL(string: url ?? TorchModels.download(for: name)!.url) else {
                    throw CommandError(description: "not a URL: \(url ?? "")", exitCode: FADExitCode.usage)
                }
                let file = try download(source)
                defer { try? FileManager.default.removeItem(at: file) }
                let written = try TorchModels.importCheckpoint(name, from: file)
                FileHandle.standardError.write(Data("fad: fetched \(source.absoluteString) and imported \(name) to \(written.path)\n".utf8))
            } catch { exitForError(error) }
        }
    }
}
