import Foundation
import XCTest
import FADArrays
import FADNN
@testable import FADModels
import _FADTestSupport

/// The model seam's invariants: one list of specs from which ids, layers, imports and weights
/// files derive; strict weight loading; and the import hooks against PyTorch's own numbers.
final class ModelSeamTests: XCTestCase {
    func testIDsAreUniqueAcrossSpecs() {
        let ids = ModelRegistry.specs.map(\.id)
        XCTAssertEqual(Set(ids).count, ids.count, "duplicate ids in \(ids)")
        XCTAssertEqual(ModelRegistry.names, ids.sorted())
        for spec in ModelRegistry.specs {
            XCTAssertNoThrow(try ModelRegistry.spec(spec.id))
        }
        XCTAssertThrowsError(try ModelRegistry.spec("nope")) { XCTAssertEqual(($0 as? ModelError)?.kind, .unknownModel) }
    }

    /// The default layer is an embedding layer, or for a model with labels one of the classifier
    /// outputs that every such model offers (musicnn's default is `logits`).
    func testEveryDefaultLayerIsOneOfItsLayers() {
        for spec in ModelRegistry.specs {
            var layers = spec.layers.map(\.name)
            if case .file = spec.labels { layers += ["logits", "probabilities"] }
            XCTAssertTrue(layers.contains(spec.defaultLayer), "\(spec.id): default \(spec.defaultLayer) not in \(layers)")
            XCTAssertEqual(Set(spec.layers.map(\.name)).count, spec.layers.count, "\(spec.id): duplicate layer names")
            XCTAssertTrue(spec.layers.allSatisfy { $0.dimension > 0 }, spec.id)
        }
    }

    /// Every imported spec names an https URL, and an import name belongs to one checkpoint: ids
    /// that share a name (VGGish's framings) share the checkpoint and the tensors.
    func testImportedSpecsHaveAnHTTPSURLAndAUniqueImportName() {
        var byName: [String: (checkpoint: OfficialCheckpoint, tensors: [String])] = [:]
        var imported = 0
        for spec in ModelRegistry.specs {
            guard let official = spec.officialImport else { continue }
            imported += 1
            XCTAssertTrue(official.checkpoint.url.hasPrefix("https://"), "\(spec.id): \(official.checkpoint.url)")
            XCTAssertFalse(official.checkpoint.file.isEmpty, spec.id)
            XCTAssertEqual(spec.weightsFile, "\(official.name).safetensors", spec.id)
            let tensors = official.spec.tensors.map(\.name)
            if let earlier = byName[official.name] {
                XCTAssertEqual(earlier.checkpoint, official.checkpoint, "\(spec.id): import name \(official.name) reused for another checkpoint")
                XCTAssertEqual(earlier.tensors, tensors, "\(spec.id): import name \(official.name) reused for other tensors")
            }
            byName[official.name] = (official.checkpoint, tensors)
            func isHex(_ text: String, count: ClosedRange<Int>) -> Bool {
                count.contains(text.count) && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
            }
            switch official.checkpoint.digest {
            case .sha256Prefix(let hex)?:
                XCTAssertTrue(isHex(hex, count: 8...63), "\(spec.id): \(hex)")
                XCTAssertTrue(official.checkpoint.file.contains("-\(hex)."), "\(spec.id): torch.hub puts the prefix in the file name")
            case .sha256(let hex)?: XCTAssertTrue(isHex(hex, count: 64...64), "\(spec.id): \(hex)")
            case .md5(let hex)?: XCTAssertTrue(isHex(hex, count: 32...32), "\(spec.id): \(hex)")
            case nil: break
            }
        }
        XCTAssertGreaterThan(imported, 0)
        XCTAssertEqual(ModelRegistry.imports.map(\.name).sorted(), byName.keys.sorted())
        XCTAssertEqual(Set(ModelRegistry.imports.map(\.checkpoint.url)).count, byName.count, "two import names share a URL")
        // Shipped weights files are distinct from each other and from the imported ones.
        let files = ModelRegistry.specs.filter { $0.officialImport == nil }.map(\.weightsFile) + byName.keys.map { "\($0).safetensors" }
        XCTAssertEqual(Set(files).count, files.count, "\(files)")
    }

    func testPublishedDigestsMatchOnlyTheirFile() {
        let digest = CheckpointDigest(sha256: "10086976" + String(repeating: "ab", count: 28), md5: String(repeating: "0", count: 32))
        XCTAssertTrue(PublishedDigest.sha256Prefix("10086976").matches(digest))
        XCTAssertFalse(PublishedDigest.sha256Prefix("10086977").matches(digest))
        XCTAssertFalse(PublishedDigest.sha256Prefix("").matches(digest))
        XCTAssertTrue(PublishedDigest.sha256(digest.sha256.uppercased()).matches(digest))
        XCTAssertFalse(PublishedDigest.md5("541141fa2ee191a88f24a3219fff024e").matches(digest))
        XCTAssertTrue(PublishedDigest.md5(String(repeating: "0", count: 32)).matches(digest))
    }

    // MARK: - Strict loading

    /// musicnn's VGG baseline on deterministic full-size weights (every tensor of the released
    /// checkpoint's names and shapes, values from a fixed formula), with one extra or one missing
    /// tensor: the registry's runner refuses both, naming the tensor.
    func testAnExtraOrAMissingTensorIsAnErrorNamingIt() throws {
        let spec = try ModelRegistry.spec("mtt-vgg")
        let shipped = try SafetensorsFile(data: try ModelStore.standard().file(spec.weightsFile).contents(), path: spec.weightsFile)
        var tensors: [String: FADNN.Tensor] = [:]
        for (index, name) in shipped.entries.keys.sorted().enumerated() {
            let shape = shipped.entries[name]!.shape
            let count = shape.reduce(1, *)
            // Positive where BatchNorm variances need it; small elsewhere.
            tensors[name] = FADNN.Tensor(shape: shape, values: (0..<count).map { 1 + 0.5 * Float(sin(Double($0 * 7 + index))) })
        }
        let labels = (0..<50).map { "tag\($0)" }
        func build(_ tensors: [String: FADNN.Tensor], _ path: String) throws -> NetworkModel<MusicnnVGG> {
            try NetworkModel<MusicnnVGG>(spec: spec, weights: ModelWeights(InMemoryWeights(tensors, path: path), path: path, digest: "t"),
                                         labels: labels)
        }
        XCTAssertNoThrow(try build(tensors, "complete"))

        var extra = tensors
        extra["6CNN/kernel"] = FADNN.Tensor(shape: [1], values: [0])
        XCTAssertThrowsError(try build(extra, "extra")) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .invalidWeights, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("extra: unexpected tensors"), "\(error)")
            XCTAssertTrue("\(error)".contains("6CNN/kernel"), "\(error)")
        }

        var missing = tensors
        missing["batch_normalization_3/moving_variance"] = nil
        XCTAssertThrowsError(try build(missing, "missing")) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .invalidWeights, "\(error)")
            XCTAssertTrue("\(error)".hasPrefix("missing: "), "\(error)")
            XCTAssertTrue("\(error)".contains("batch_normalization_3/moving_variance"), "\(error)")
        }
    }

    /// A shipped model's labels must have the count its spec declares.
    func testWrongLabelCountIsAnError() throws {
        let spec = try ModelRegistry.spec("mtt-vgg")
        let weights = try ModelWeights(ModelStore.standard().file(spec.weightsFile))
        XCTAssertThrowsError(try NetworkModel<MusicnnVGG>(spec: spec, weights: weights, labels: ["one"])) { error in
            XCTAssertTrue("\(error)".contains("1 labels, expected 50"), "\(error)")
        }
    }

    // MARK: - Import hooks against PyTorch

    /// The hooks of Tests/Fixtures/scripts/import_hooks_reference.py's checkpoint: two
    /// `torch.nn.utils.weight_norm` convolutions (over dim 0 and dim 2, g and v in float32) folded
    /// at import, a key renamed since an older version, DataParallel's `module.` prefix stripped.
    static let hookSpec = TorchImportSpec(
        modelName: "hooks",
        tensors: [
            .init(name: "conv.weight", torchShape: [4, 3, 5], layout: .vector,
                  source: .weightNorm(g: "conv.weight_g", v: "conv.weight_v", dim: 0)),
            .init(name: "conv.bias", torchShape: [4], layout: .vector),
            .init(name: "pos_conv.weight", torchShape: [4, 2, 3], layout: .vector,
                  source: .weightNorm(g: "pos_conv.weight_g", v: "pos_conv.weight_v", dim: 2)),
            .init(name: "proj.weight", torchShape: [2, 4], layout: .dense, source: .renamed(["proj.weight", "projection.weight"])),
        ],
        ignoredPrefixes: [], strippedPrefixes: ["module."])

    func testImportHooksMatchPyTorch() throws {
        let dir = try Fixtures.temporaryDirectory("import-hooks")
        defer { try? FileManager.default.removeItem(at: dir) }
        let digest = CheckpointDigest(sha256: String(repeating: "1", count: 64), md5: String(repeating: "2", count: 32))
        let written = try TorchImporter.importCheckpoint(Fixtures.url("import_hooks/hooks.pth"), spec: Self.hookSpec, into: dir,
                                                         sourceDigest: digest)
        XCTAssertEqual(written.lastPathComponent, "hooks.safetensors")
        let file = try SafetensorsFile(contentsOf: written)
        XCTAssertEqual(file.metadata["source_sha256"], digest.sha256)
        XCTAssertEqual(file.metadata["source_md5"], digest.md5)
        XCTAssertEqual(file.metadata["source"], "hooks.pth")

        // Folded in float64 from float32 g and v, rounded once to float32: within 2^-23 of
        // PyTorch's float64 hook, so 1e-6 of the largest value.
        let conv = try file.floats("conv.weight", shape: [4, 3, 5])
        let convError = maxRelativeDifference(conv, try Fixtures.npy("import_hooks/conv_weight.npy").floats)
        let posConv = try file.floats("pos_conv.weight", shape: [4, 2, 3])
        let posError = maxRelativeDifference(posConv, try Fixtures.npy("import_hooks/pos_conv_weight.npy").floats)
        print("import hooks: weight norm dim 0 \(convError), dim 2 \(posError) max relative difference")
        XCTAssertLessThan(convError, 1e-6)
        XCTAssertLessThan(posError, 1e-6)
        // The renamed Linear is copied, transposed to [in, out]: exact.
        let projection = try Fixtures.npy("import_hooks/proj_weight.npy").floats
        let stored = try file.floats("proj.weight", shape: [4, 2])
        for o in 0..<2 { for i in 0..<4 { XCTAssertEqual(stored[i * 2 + o], projection[o * 4 + i]) } }

        // The folded conv run by FADNN's Conv1D on the fixture input ([1, 3, 9] channels first)
        // against PyTorch's float64 forward: float32 sums of 15 products, 1e-5 of the largest.
        let layer = try Conv1D(weight: FADNN.Tensor(shape: [4, 3, 5], values: conv),
                               bias: FADNN.Tensor(shape: [4], values: try file.floats("conv.bias", shape: [4])))
        let x = try Fixtures.npy("import_hooks/conv_input.npy").floats
        let input = FADNN.Tensor(shape: [1, 9, 3], values: (0..<27).map { x[($0 % 3) * 9 + $0 / 3] })
        let y = layer(input)
        XCTAssertEqual(y.shape, [1, 5, 4])
        let reference = try Fixtures.npy("import_hooks/conv_output.npy").floats  // [1, 4, 5]
        let got = (0..<20).map { y.values[($0 % 5) * 4 + $0 / 5] }
        XCTAssertLessThan(maxRelativeDifference(got, reference), 1e-5)
    }

    /// The hooks' failure modes name what is wrong: neither spelling of a renamed key, and a
    /// weight-norm `g` of the wrong shape.
    func testImportHookErrorsNameTheEntry() throws {
        var spec = Self.hookSpec
        spec.tensors[3].source = .renamed(["proj.weight", "proj.W"])
        XCTAssertThrowsError(try TorchImporter.importCheckpoint(Fixtures.url("import_hooks/hooks.pth"), spec: spec,
                                                                into: try Fixtures.temporaryDirectory("hooks-bad"))) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .invalidCheckpoint)
            XCTAssertTrue("\(error)".contains("missing 1 tensor(s): proj.weight"), "\(error)")
            XCTAssertTrue("\(error)".contains("unexpected tensor(s): projection.weight"), "\(error)")
        }
        spec = Self.hookSpec
        spec.tensors[0].source = .weightNorm(g: "conv.weight_g", v: "conv.weight_v", dim: 1)
        XCTAssertThrowsError(try TorchImporter.importCheckpoint(Fixtures.url("import_hooks/hooks.pth"), spec: spec,
                                                                into: try Fixtures.temporaryDirectory("hooks-bad"))) { error in
            XCTAssertTrue("\(error)".contains("conv.weight_g has shape [4, 1, 1], expected [1, 3, 1]"), "\(error)")
        }
    }

    /// Names and shapes are checked before any tensor is converted: a hostile broadcast view of
    /// 4 TiB is refused as the wrong checkpoint, and nothing is written.
    func testImportChecksShapesBeforeConverting() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        XCTAssertThrowsError(try TorchImporter.importCheckpoint(Fixtures.url("hostile/broadcast_4tib.pth"), spec: VGGish.importSpec, into: dir)) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .invalidCheckpoint)
            XCTAssertTrue("\(error)".contains("not a vggish checkpoint"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), [])
    }

    /// A file that cannot be read is named, through FADTorch's error mapped in one place.
    func testCheckpointReaderErrorsBecomeModelErrors() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("absent.pth")
        XCTAssertThrowsError(try TorchImporter.importCheckpoint(missing, spec: Self.hookSpec, into: dir)) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .invalidCheckpoint)
            XCTAssertTrue("\(error)".hasPrefix(missing.path), "\(error)")
        }
        let text = dir.appendingPathComponent("text.pth")
        try Data("hello".utf8).write(to: text)
        XCTAssertThrowsError(try TorchImporter.importCheckpoint(text, spec: Self.hookSpec, into: dir)) { error in
            XCTAssertEqual("\(error)", "\(text.path): not a PyTorch checkpoint (neither a zip archive nor a pickle)")
        }
    }
}
