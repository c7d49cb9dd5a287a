import ArgumentParser
import FAD
import Foundation

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, import and fetch models.",
        subcommands: [List.self, Import.self, Fetch.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every model: its input, windows, layers, labels, and where its weights are.")

        func run() throws {
            var text = ""
            for spec in ModelRegistry.specs.sorted(by: { $0.id < $1.id }) {
                text += "\(spec.id.padding(toLength: max(16, spec.id.count), withPad: " ", startingAt: 0)) \(Self.weights(spec))\n"
                for (field, value) in Self.details(spec) {
                    text += "    \(field.padding(toLength: 8, withPad: " ", startingAt: 0)) \(value)\n"
                }
            }
            try emit(text, to: nil)
        }

        /// Where the weights are, or how to install them.
        static func weights(_ spec: ModelSpec) -> String {
            let official = spec.officialImport
            switch ModelCatalog.availability(of: spec.id) {
            case .embedded(let file): return "embedded   in this fad binary (shipped: Models/\(file))"
            case .installed(let url):
                guard let official else { return "installed  \(url.path) (in place of the shipped weights)" }
                return "installed  \(url.path) (imported from \(official.checkpoint.file) \(official.checkpoint.url))"
            case .notInstalled(let hint): return "not installed: \(hint)"
            }
        }

        /// A window's length in input steps, as `fad models list` shows it.
        static func length(_ spec: ModelSpec, unit: String) -> String {
            let steps: Int
            switch spec.windows {
            case .sliding(let length, _): steps = length
            case .wholeClip(let length, _): steps = length
            }
            return String(format: "%d %@ (%.2f s)", steps, unit, Double(steps * spec.inputHop) / Double(spec.sampleRate))
        }

        /// Input, windows, layers and labels, one line each.
        static func details(_ spec: ModelSpec) -> [(String, String)] {
            let rate = "\(spec.sampleRate) Hz" + (spec.channels == 1 ? " mono" : ", \(spec.channels) channels")
            let input: String
            let unit: String
            switch spec.input {
            case .logMel(let frontEnd):
                input = "log-mel, \(frontEnd.mel.bands) bands every \(frontEnd.hopLength) samples, at \(rate)"
                unit = "frames"
            case .waveform:
                input = "waveform at \(rate)"
                unit = "samples"
            }
            func seconds(_ steps: Int) -> String { String(format: "%.2f s", Double(steps * spec.inputHop) / Double(spec.sampleRate)) }
            var windows: String
            switch spec.windows {
            case .sliding(let length, let hop):
                windows = "\(length) \(unit) (\(seconds(length))) every \(hop) (--hop replaces it)"
            case .wholeClip(let length, let minimum):
                windows = "the whole clip in one pass (at least \(minimum) \(unit)); with --hop, \(length) \(unit) (\(seconds(length)))"
            }
            if let framing = spec.framing { windows = "\(Self.length(spec, unit: unit)); \(framing)" }
            var layers = spec.layers.map { "\($0.name) (\($0.dimension))" }
            let labelCount: Int
            switch spec.labels {
            case .none: labelCount = 0
            case .file(_, let count): labelCount = count
            }
            if labelCount > 0 { layers += ["logits (\(labelCount))", "probabilities (\(labelCount))"] }
            let labels = labelCount == 0 ? "none" : "\(labelCount), \(spec.activation.rawValue)"
            return [("input", input), ("windows", windows),
                    ("layers", layers.joined(separator: ", ") + "; default \(spec.defaultLayer)"), ("labels", labels)]
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convert an official PyTorch checkpoint to fad's safetensors in your model folder.",
            discussion: ModelRegistry.imports.map { "\($0.name): \($0.checkpoint.file)" }.joined(separator: "; ")
                + ". The file's digest is compared with the publisher's; a difference is reported but does not stop the import.")

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
                let url = URL(fileURLWithPath: file)
                let official = try TorchModels.official(name)
                let digest = try checkpointDigest(of: url)
                if let published = official.checkpoint.digest, !published.matches(digest) {
                    // A re-saved or converted checkpoint may still hold the right tensors (the
                    // import checks every name and shape), so this warns rather than refuses.
                    FileHandle.standardError.write(Data(("fad: warning: \(url.path) is not the published \(official.checkpoint.file): "
                        + "\(published.describing(digest)), published \(published)\n").utf8))
                }
                let written = try TorchModels.importCheckpoint(name, from: url, sourceDigest: digest)
                FileHandle.standardError.write(Data("fad: imported \(name) to \(written.path)\n".utf8))
            } catch { exitForError(error) }
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a model's official checkpoint and import it (needs network access).",
            discussion: "The download must match the digest its publisher published, where one is published.")

        @Argument(help: ArgumentHelp("Model to fetch: \(TorchModels.names.joined(separator: ", ")).", valueName: "name"))
        var name: String

        @Option(help: ArgumentHelp("Download from this URL (a mirror) instead of the official one.", valueName: "url"))
        var url: String?

        func validate() throws {
            guard TorchModels.names.contains(name) else {
                throw ValidationError("'\(name)' cannot be fetched; choose from \(TorchModels.names.joined(separator: ", "))")
            }
        }

        func run() throws {
            do {
                let official = try TorchModels.official(name)
                guard let source = URL(string: url ?? official.checkpoint.url) else {
                    throw CommandError(description: "not a URL: \(url ?? "")", exitCode: FADExitCode.usage)
                }
                let file = try download(source)
                defer { try? FileManager.default.removeItem(at: file) }
                let digest = try checkpointDigest(of: file)
                if let published = official.checkpoint.digest, !published.matches(digest) {
                    throw CommandError(description: "\(source.absoluteString): the download is not the published \(official.checkpoint.file) "
                                           + "(\(published.describing(digest)), published \(published)); nothing was imported",
                                       exitCode: FADExitCode.data)
                }
                let written = try TorchModels.importCheckpoint(name, from: file, sourceDigest: digest)
                FileHandle.standardError.write(Data("fad: fetched \(source.absoluteString) and imported \(name) to \(written.path)\n".utf8))
            } catch { exitForError(error) }
        }
    }
}
