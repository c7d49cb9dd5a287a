import FADArrays
import Foundation

/// A PyTorch checkpoint (`torch.save` output) read natively, without Python and without running
/// any pickled code.
///
/// Both container formats are understood:
/// - zip (the default since PyTorch 1.6): `<prefix>/data.pkl` plus one STORED entry
///   `<prefix>/data/<key>` per storage;
/// - legacy (`_use_new_zipfile_serialization=False`): five concatenated parts, the magic-number
///   pickle, the protocol-version pickle, the system-info pickle, the main pickle, the pickled
///   list of storage keys, then each storage as an int64 element count followed by raw bytes.
///
/// Only the subset needed for state dicts is supported (see `Unpickler`); other pickled objects
/// become inert placeholders and are reported only if a tensor is expected in their place.
public struct TorchCheckpoint {
    public enum Format: String, Sendable { case zip, legacy }

    public let path: String
    public let format: Format
    /// The unpickled top-level object.
    let root: PickleValue

    /// Reads a checkpoint file. The file is memory-mapped; tensors are copied on demand.
    public init(contentsOf url: URL) throws {
        let path = url.path
        let data: Data
        do {
            data = try RegularFile.read(url)
        } catch let failure as RegularFile.Failure {
            throw TorchError(path: path, kind: .unreadable, reason: failure.reason)
        }
        try self.init(data: data, path: path)
    }

    /// Reads a checkpoint held in memory; `path` names it in errors.
    public init(data: Data, path: String = "<checkpoint>") throws {
        self.path = path
        if ZipArchive.looksLikeZip(data) {
            format = .zip
            root = try Self.readZip(data: data, path: path)
        } else if data.first == 0x80 {
            format = .legacy
            root = try Self.readLegacy(data: data, path: path)
        } else {
            throw TorchError(path: path, kind: .invalid, reason: "not a PyTorch checkpoint (neither a zip archive nor a pickle)")
        }
    }

    // MARK: - Containers

    private static func persistentStorage(_ pid: PickleValue, path: String,
                                          bytes: (String, TorchDType, Int) throws -> (Data, (entry: String, crc32: UInt32))?) throws -> PickleValue {
        // ('storage', torch.FloatStorage, key, location, numel[, view_metadata])
        guard case .tuple(let fields) = pid, fields.count >= 5, fields[0].string == "storage" else {
            throw TorchError(path: path, kind: .invalid, reason: "pickle: unsupported persistent id (\(pid.kind))")
        }
        guard case .global(let module, let name) = fields[1], module == "torch",
              let dtype = TorchDType(storageClass: name) else {
            throw TorchError(path: path, kind: .invalid, reason: "pickle: unsupported storage type \(fields[1].kind)")
        }
        let key: String
        if let s = fields[2].string { key = s } else if let i = fields[2].int { key = String(i) } else {
            throw TorchError(path: path, kind: .invalid, reason: "pickle: bad storage key")
        }
        guard let count = fields[4].int, count >= 0 else {
            throw TorchError(path: path, kind: .invalid, reason: "pickle: bad storage size")
        }
        if fields.count > 5, case .none = fields[5] {} else if fields.count > 5 {
            throw TorchError(path: path, kind: .invalid, reason: "storage views of very old PyTorch versions are not supported; re-save the checkpoint")
        }
        let source = try bytes(key, dtype, count)
        let storage = TorchStorage(key: key, dtype: dtype, count: count, bytes: source?.0)
        storage.pendingChecksum = source?.1
        return .storage(storage)
    }

    private static func readZip(data: Data, path: String) throws -> PickleValue {
        let zip = try ZipArchive(data: data, path: path)
        guard let pickleEntry = zip.entries.first(where: { $0.name == "data.pkl" || $0.name.hasSuffix("/data.pkl") }) else {
            throw TorchError(path: path, kind: .invalid, reason: "zip archive without data.pkl: not a torch.save checkpoint")
        }
        let prefix = String(pickleEntry.name.dropLast("data.pkl".count))
        if let order = zip.entry(named: prefix + "byteorder") {
            let range = try zip.contents(of: order)
            if String(decoding: data[range], as: UTF8.self) != "little" {
                throw TorchError(path: path, kind: .invalid, reason: "big-endian checkpoints are not supported")
            }
        }
        var unpickler = Unpickler(data: data[try zip.contents(of: pickleEntry)], path: path) { pid in
            try persistentStorage(pid, path: path) { key, dtype, count in
                guard let entry = zip.entry(named: prefix + "data/" + key) else {
                    throw TorchError(path: path, kind: .invalid, reason: "storage \(key) missing from the archive")
                }
                // The CRC is checked when a tensor of this storage is converted.
                let range = try zip.contents(of: entry, checksum: false)
                guard let needed = CheckedSize.byteCount(elements: count, elementSize: dtype.byteCount),
                      range.count >= needed else {
                    throw TorchError(path: path, kind: .invalid, reason: "storage \(key) holds \(range.count) bytes, not the \(count) elements of \(dtype.byteCount) bytes its pickle declares")
                }
                return (data[range], (entry.name, entry.crc32))
            }
        }
        return try unpickler.load()
    }

    private static func readLegacy(data: Data, path: String) throws -> PickleValue {
        var storages: [String: TorchStorage] = [:]
        var unpickler = Unpickler(data: data, path: path) { pid in
            let value = try persistentStorage(pid, path: path) { _, _, _ in nil }
            guard case .storage(let storage) = value else { return value }
            // Tensors sharing a storage share one object, so bytes filled in later reach all.
            if let existing = storages[storage.key] { return .storage(existing) }
            storages[storage.key] = storage
            return value
        }
        let magic = try unpickler.load()
        let expectedMagic: [UInt8] = [0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19] // 0x1950a86a20f9469cfc6c
        guard case .bigInt(let bytes) = magic, bytes == expectedMagic else {
            throw TorchError(path: path, kind: .invalid, reason: "a pickle but not a PyTorch checkpoint (no torch magic number); plain pickles are not loaded")
        }
        guard let version = try unpickler.load().int, version == 1001 else {
            throw TorchError(path: path, kind: .invalid, reason: "unsupported legacy checkpoint protocol version")
        }
        if case .dict(let info) = try unpickler.load(), case .bool(false)? = info["little_endian"] {
            throw TorchError(path: path, kind: .invalid, reason: "big-endian checkpoints are not supported")
        }
        let root = try unpickler.load()
        guard case .list(let keyList) = try unpickler.load() else {
            throw TorchError(path: path, kind: .invalid, reason: "legacy checkpoint: storage key list missing")
        }
        var reader = ByteReader(data: data, path: path)
        reader.position = unpickler.position
        var filled: Set<String> = []
        for keyValue in keyList.items {
            guard let key = keyValue.string, let storage = storages[key] else {
                throw TorchError(path: path, kind: .invalid, reason: "legacy checkpoint: unknown storage key \(keyValue.kind)")
            }
            guard filled.insert(key).inserted else {
                throw TorchError(path: path, kind: .invalid, reason: "legacy checkpoint: storage \(key) is listed twice")
            }
            let count = try reader.readUInt64()
            guard count == UInt64(storage.count) else {
                throw TorchError(path: path, kind: .invalid, reason: "legacy checkpoint: storage \(key) has \(count) elements, pickle says \(storage.count)")
            }
            let start = data.startIndex + reader.position
            guard let byteCount = CheckedSize.byteCount(elements: storage.count, elementSize: storage.dtype.byteCount),
                  CheckedSize.fits(offset: reader.position, count: byteCount, in: data.count) else {
                throw TorchError(path: path, kind: .invalid, reason: "legacy checkpoint: storage \(key) truncated (file cut short?)")
            }
            storage.bytes = data[start..<(start + byteCount)]
            reader.position += byteCount
        }
        return root
    }

    // MARK: - State dicts

    /// The tensors of the state dict, in checkpoint order.
    ///
    /// The state dict is the top-level dict if its values are tensors, else the first dict found
    /// under one of `nestedKeys` (PANNs store theirs under `model`), else the first element of a
    /// top-level tuple or list that holds one (aisfx saves `(state_dict, datasets)`). Non-tensor entries of the
    /// state dict (never present in `state_dict()` output, but possible in hand-made files) are
    /// an error naming the key.
    public func stateDict(nestedKeys: [String] = ["state_dict", "model", "model_state_dict", "net"]) throws -> [(name: String, tensor: TorchTensor)] {
        guard let dict = Self.findStateDict(in: root, nestedKeys: nestedKeys, depth: 0) else {
            var detail = root.kind
            if case .dict(let top) = root {
                detail += " with keys " + top.keys.compactMap(\.string).prefix(10).joined(separator: ", ")
            }
            throw TorchError(path: path, kind: .invalid, reason: "no state dict found (top-level object: \(detail))")
        }
        var result: [(name: String, tensor: TorchTensor)] = []
        for (key, value) in dict.entries {
            guard let name = key.string else {
                throw TorchError(path: path, kind: .invalid, reason: "state dict key is a \(key.kind), not a string")
            }
            guard case .tensor(let tensor) = value else {
                throw TorchError(path: path, kind: .invalid, reason: "state dict entry '\(name)' is a \(value.kind), not a tensor")
            }
            result.append((name, tensor))
        }
        return result
    }

    private static func findStateDict(in value: PickleValue, nestedKeys: [String], depth: Int) -> PickleDict? {
        guard depth < 3 else { return nil }
        switch value {
        case .dict(let dict):
            if dict.values.contains(where: { if case .tensor = $0 { return true } else { return false } }) { return dict }
            for key in nestedKeys {
                if let nested = dict[key], let found = findStateDict(in: nested, nestedKeys: nestedKeys, depth: depth + 1) {
                    return found
                }
            }
            // A dict of non-tensors only (e.g. every value an unsupported object): report its entries.
            return depth == 0 && !dict.keys.isEmpty && !dict.values.contains(where: {
                if case .dict = $0 { return true } else { return false } }) ? dict : nil
        case .tuple(let items):
            return items.lazy.compactMap { findStateDict(in: $0, nestedKeys: nestedKeys, depth: depth + 1) }.first
        case .list(let list):
            return list.items.lazy.compactMap { findStateDict(in: $0, nestedKeys: nestedKeys, depth: depth + 1) }.first
        default:
            return nil
        }
    }

    /// The state dict's floating-point tensors as contiguous Float arrays with their shapes.
    /// Integer buffers (BatchNorm's `num_batches_tracked`) are skipped.
    /// `names` limits the conversion to those tensors (the others are not read at all).
    public func floatTensors(nestedKeys: [String] = ["state_dict", "model", "model_state_dict", "net"],
                             names: Set<String>? = nil) throws -> [String: (shape: [Int], values: [Float])] {
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for (name, tensor) in try stateDict(nestedKeys: nestedKeys) where tensor.dtype.isFloatingPoint {
            if let names, !names.contains(name) { continue }
            out[name] = (tensor.shape, try tensor.floats(path: path, name: name))
        }
        return out
    }

    /// The shapes of the state dict's floating-point tensors, read without converting any.
    public func floatTensorShapes(nestedKeys: [String] = ["state_dict", "model", "model_state_dict", "net"]) throws -> [String: [Int]] {
        var out: [String: [Int]] = [:]
        for (name, tensor) in try stateDict(nestedKeys: nestedKeys) where tensor.dtype.isFloatingPoint {
            out[name] = tensor.shape
        }
        return out
    }
}
