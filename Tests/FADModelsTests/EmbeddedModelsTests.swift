import XCTest
import Foundation
import FADArrays
@testable import FADModels
import _FADTestSupport

/// The model files compiled into fad (CEmbeddedModels) and the folders fad uses between runs.
final class EmbeddedModelsTests: XCTestCase {
    let models = Fixtures.repositoryRoot.appendingPathComponent("Models")

    /// Every embedded file is byte for byte its Models/ original: a weights file changed without
    /// the C object being rebuilt would fail here. Every shipped musicnn file is embedded.
    func testEmbeddedFilesAreTheRepositoryFiles() throws {
        let shipped = try FileManager.default.contentsOfDirectory(atPath: models.appendingPathComponent("musicnn").path)
            .filter { $0.hasSuffix(".safetensors") || $0.hasSuffix(".labels.txt") || $0 == "LICENSE" }
            .map { "musicnn/\($0)" }
        XCTAssertEqual(shipped.count, 9)
        XCTAssertEqual(Set(EmbeddedModelFiles.names), Set(shipped + ["audioset/labels.txt"]))
        for name in EmbeddedModelFiles.names {
            let embedded = try XCTUnwrap(EmbeddedModelFiles.data(name), name)
            XCTAssertEqual(embedded, try Data(contentsOf: models.appendingPathComponent(name)), name)
        }
        XCTAssertNil(EmbeddedModelFiles.data("musicnn/README.md"))
    }

    /// The embedded weights give the same model as the files on disk: same digest (so caches and
    /// statistics written by either match), same outputs.
    func testEmbeddedModelMatchesTheFilesOnDisk() throws {
        let empty = try Fixtures.temporaryDirectory("no-models")
        defer { try? FileManager.default.removeItem(at: empty) }
        let embeddedOnly = ModelStore(searchPaths: [empty], includesEmbeddedFiles: true)
        XCTAssertEqual(embeddedOnly.locate("musicnn/MSD_musicnn.safetensors"), .embedded)
        let spec = try ModelRegistry.spec("msd-musicnn")
        let fromBinary = try NetworkModel<MusiCNN>(spec: spec, store: embeddedOnly)
        let fromDisk = try NetworkModel<MusiCNN>(spec: spec, store: ModelStore(searchPaths: [models]))
        XCTAssertEqual(fromBinary.descriptor.labels, fromDisk.descriptor.labels)
        XCTAssertEqual(fromBinary.descriptor.weightsDigest, try ModelWeights.digest(of: models.appendingPathComponent("musicnn/MSD_musicnn.safetensors")))
        let logMel = try Fixtures.npy("musicnn/real.npy").matrix(of: Float.self)
        let a = try fromBinary.analyze(logMel: logMel, layers: ["penultimate"], windowHop: nil)
        let b = try fromDisk.analyze(logMel: logMel, layers: ["penultimate"], windowHop: nil)
        XCTAssertEqual(a.embeddings, b.embeddings)
        XCTAssertNotNil(a.logits)
        XCTAssertEqual(a.logits, b.logits)
        for name in ["mtt-musicnn", "msd-vgg", "mtt-vgg"] {
            XCTAssertEqual(try ModelRegistry.load(name, store: embeddedOnly).descriptor.labels.count, 50, name)
        }
        XCTAssertEqual(ModelCatalog.availability(of: "msd-musicnn", store: embeddedOnly), .embedded("musicnn/MSD_musicnn.safetensors"))
        // The AudioSet class names of the imported PANNs models travel too.
        XCTAssertEqual(try readLabels(embeddedOnly.file("audioset/labels.txt"), count: 527).first, "Speech")
        // Without the embedded files and with nothing on disk, the error names where it looked.
        XCTAssertThrowsError(try NetworkModel<MusiCNN>(spec: spec, store: ModelStore(searchPaths: [empty]))) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .weightsNotFound)
            XCTAssertTrue("\(error)".contains(empty.path), "\(error)")
        }
    }

    /// A file in a model folder shadows the embedded copy, and `fad models list` says so.
    func testAFileOnDiskShadowsTheEmbeddedCopy() throws {
        let dir = try Fixtures.temporaryDirectory("user-models")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("musicnn"), withIntermediateDirectories: true)
        // mtt weights under the msd name: the store must load what is on disk, not the embedded msd.
        for (from, to) in [("MTT_musicnn.safetensors", "MSD_musicnn.safetensors"), ("MTT_musicnn.labels.txt", "MSD_musicnn.labels.txt")] {
            try FileManager.default.copyItem(at: models.appendingPathComponent("musicnn/\(from)"),
                                             to: dir.appendingPathComponent("musicnn/\(to)"))
        }
        let store = ModelStore(searchPaths: [dir], includesEmbeddedFiles: true)
        let shadowed = dir.appendingPathComponent("musicnn/MSD_musicnn.safetensors")
        XCTAssertEqual(ModelCatalog.availability(of: "msd-musicnn", store: store), .installed(shadowed))
        let model = try ModelRegistry.load("msd-musicnn", store: store)
        XCTAssertEqual(model.descriptor.weightsDigest, try ModelRegistry.load("mtt-musicnn", store: store).descriptor.weightsDigest)
        XCTAssertEqual(model.descriptor.labels.first, "guitar")  // MTT's first tag; MSD's is "rock"
    }

    /// Corrupt embedded-style input is named in the error: an `embedded:` path never appears for
    /// a file on disk, and a file on disk is named by its path.
    func testErrorsNameTheFile() throws {
        let dir = try Fixtures.temporaryDirectory("bad-models")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("musicnn"), withIntermediateDirectories: true)
        let bad = dir.appendingPathComponent("musicnn/MSD_musicnn.safetensors")
        try Data("not safetensors".utf8).write(to: bad)
        XCTAssertThrowsError(try ModelRegistry.load("msd-musicnn", store: ModelStore(searchPaths: [dir], includesEmbeddedFiles: true))) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .invalidWeights)
            XCTAssertTrue("\(error)".hasPrefix(bad.path), "\(error)")
        }
        XCTAssertEqual(ModelStore.File(name: "musicnn/x", location: .embedded).path, "embedded:musicnn/x")
        XCTAssertThrowsError(try ModelStore.File(name: "musicnn/x", location: .embedded).contents())
    }

    func testDirectoriesFollowTheEnvironment() {
        func path(_ url: URL) -> String { url.standardizedFileURL.path }
        let home = ["HOME": "/h"]
        XCTAssertEqual(path(FADDirectories.models(environment: home)), "/h/.local/share/fad/models")
        XCTAssertEqual(path(FADDirectories.cache(environment: home)), "/h/.cache/fad")
        let xdg = ["HOME": "/h", "XDG_DATA_HOME": "/d", "XDG_CACHE_HOME": "/c"]
        XCTAssertEqual(path(FADDirectories.models(environment: xdg)), "/d/fad/models")
        XCTAssertEqual(path(FADDirectories.cache(environment: xdg)), "/c/fad")
        // The XDG spec: empty or relative values are ignored.
        let relative = ["HOME": "/h", "XDG_DATA_HOME": "data", "XDG_CACHE_HOME": ""]
        XCTAssertEqual(path(FADDirectories.models(environment: relative)), "/h/.local/share/fad/models")
        XCTAssertEqual(path(FADDirectories.cache(environment: relative)), "/h/.cache/fad")
        // FAD_MODEL_DIR and FAD_CACHE_DIR win.
        let fad = xdg.merging(["FAD_MODEL_DIR": "/m", "FAD_CACHE_DIR": "/k"]) { $1 }
        XCTAssertEqual(path(FADDirectories.models(environment: fad)), "/m")
        XCTAssertEqual(path(FADDirectories.cache(environment: fad)), "/k")
        // The standard store: FAD_MODEL_DIR (where imports go), the user's folder, then the binary.
        let store = ModelStore.standard(environment: fad)
        XCTAssertEqual(store.searchPaths.map(path), ["/m", "/d/fad/models"])
        XCTAssertTrue(store.includesEmbeddedFiles)
        XCTAssertEqual(ModelStore.standard(environment: home).searchPaths.map(path), ["/h/.local/share/fad/models"])
    }
}
