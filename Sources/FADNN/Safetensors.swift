import FADArrays
import Foundation

/// Element types of safetensors files that FADNN reads (all converted to Float on access).
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"

    public var byteCount: Int {
        switch self { case .f64: 8; case .f32: 4; case .f16, .bf16: 2 }
    }
}

/// A safetensors file (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
/// length, a JSON header mapping tensor names to {dtype, shape, data_offsets} (offsets relative to
/// the end of the header) plus an optional `__metadata__` string map, then the raw little-endian
/// data.
///
/// Opening validates everything before any tensor is used: the header length (bounded by
/// `maximumHeaderBytes` and by the file), the JSON, each entry's dtype, shape and offsets,
/// `product(shape) * dtype size == end - begin`, ranges inside the data section and pairwise
/// disjoint. Malformed input throws an `NNError` of a distinct `kind`; it never traps. The file is
/// memory-mapped, not copied; tensors are converted to Float when asked for.
public struct SafetensorsFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public let dtype: SafetensorsDType
        public let shape: [Int]
        /// Byte range in the data section (relative to the end of the header).
        public let range: Range<Int>
        public var count: Int { shape.reduce(1, *) }
    }

    /// Headers above this many bytes are rejected (the reference implementation uses 100 MB).
    public static let maximumHeaderBytes = 100_000_000

    public let path: String
    public let metadata: [String: String]
    public let entries: [String: Entry]
    private let data: Data
    private let dataStart: Int

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Opens and validates a file, memory-mapping it.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try RegularFile.read(url)
        } catch let failure as RegularFile.Failure {
            throw NNError(path: url.path, kind: .unreadable, reason: "cannot read safetensors file: \(failure.reason)")
        }
        try self.init(data: data, path: url.path)
    }

    /// Validates an in-memory file; `path` names it in errors.
    public init(data: Data, path: String = "<data>") throws {
        func fail(_ kind: NNError.Kind, _ reason: String) -> NNError { NNError(path: path, kind: kind, reason: reason) }
        guard data.count >= 8 else {
            throw fail(.truncated, "truncated safetensors file: \(data.count) bytes, the header length alone needs 8")
        }
        let headerLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(Self.maximumHeaderBytes) else {
            throw fail(.headerTooLarge, "safetensors header length \(headerLength) exceeds the limit of \(Self.maximumHeaderBytes) bytes")
        }
        guard headerLength <= UInt64(data.count - 8) else {
            throw fail(.truncated, "truncated safetensors file: header of \(headerLength) bytes but only \(data.count - 8) follow the length")
        }
        guard headerLength >= 2 else { throw fail(.invalidHeader, "safetensors header of \(headerLength) bytes cannot hold a JSON object") }
        let start = data.startIndex
        let headerData = data.subdata(in: (start + 8) ..< (start + 8 + Int(headerLength)))
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData, options: [])
        } catch {
            throw fail(.invalidHeader, "safetensors header is not valid JSON")
        }
        guard let object = json as? [String: Any] else { throw fail(.invalidHeader, "safetensors header is not a JSON object") }
        let dataLength = data.count - 8 - Int(headerLength)

        var metadata: [String: String] = [:]
        var entries: [String: Entry] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let map = value as? [String: Any] else { throw fail(.invalidHeader, "__metadata__ is not a JSON object") }
                for (key, item) in map {
                    guard let text = item as? String else { throw fail(.invalidHeader, "__metadata__ value of \"\(key)\" is not a string") }
                    metadata[key] = text
                }
                continue
            }
            guard let fields = value as? [String: Any] else { throw fail(.invalidHeader, "entry \"\(name)\" is not a JSON object") }
            guard let dtypeName = fields["dtype"] as? String else { throw fail(.invalidHeader, "entry \"\(name)\" has no dtype string") }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw fail(.unsupportedDType, "tensor \"\(name)\" has dtype \(dtypeName); supported: F64, F32, F16, BF16")
            }
            guard let shape = Self.integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail(.invalidHeader, "tensor \"\(name)\" has no valid shape (a list of non-negative integers)")
            }
            guard let offsets = Self.integers(fields["data_offsets"]), offsets.count == 2, offsets[0] >= 0, offsets[0] <= offsets[1] else {
                throw fail(.invalidHeader, "tensor \"\(name)\" has no valid data_offsets [begin, end]")
            }
            guard let elements = CheckedSize.elementCount(shape) else {
                throw fail(.sizeMismatch, "tensor \"\(name)\" shape \(shape) overflows")
            }
            let bytes = CheckedSize.byteCount(elements: elements, elementSize: dtype.byteCount)
            guard let bytes, bytes == offsets[1] - offsets[0] else {
                throw fail(.sizeMismatch, "tensor \"\(name)\": shape \(shape) of \(dtypeName) needs \(bytes.map(String.init) ?? "too many") bytes but data_offsets \(offsets) span \(offsets[1] - offsets[0])")
            }
            guard offsets[1] <= dataLength else {
                throw fail(.offsetOutOfRange, "tensor \"\(name)\": data_offsets \(offsets) exceed the \(dataLength)-byte data section")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, range: offsets[0] ..< offsets[1])
        }
        let sorted = entries.filter { !$0.value.range.isEmpty }.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where b.value.range.lowerBound < a.value.range.upperBound {
            throw fail(.overlappingRanges, "tensors \"\(a.key)\" \(a.value.range) and \"\(b.key)\" \(b.value.range) overlap")
        }
        self.path = path
        self.metadata = metadata
        self.entries = entries
        self.data = data
        self.dataStart = 8 + Int(headerLength)
    }

    private static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for item in list {
            // JSONSerialization yields NSNumber; reject booleans (objCType "c") and non-integral numbers.
            guard let number = item as? NSNumber, String(cString: number.objCType) != "c",
                  let integer = Int(exactly: number.doubleValue), Double(integer) == number.doubleValue else { return nil }
            out.append(integer)
        }
        return out
    }

    /// The entry of a tensor, or `.missingTensor`.
    public func entry(_ name: String) throws -> Entry {
        guard let entry = entries[name] else {
            throw NNError(path: path, kind: .missingTensor, reason: "tensor \"\(name)\" is missing")
        }
        return entry
    }

    /// A tensor converted to Float; if `shape` is given it must match exactly (`.shapeMismatch`).
    public func tensor(_ name: String, shape expected: [Int]? = nil) throws -> Tensor {
        let entry = try entry(name)
        if let expected, expected != entry.shape {
            throw NNError(path: path, kind: .shapeMismatch,
                          reason: "tensor \"\(name)\" has shape \(entry.shape), expected \(expected)")
        }
        var values = [Float](repeating: 0, count: entry.count)
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + dataStart + entry.range.lowerBound
            let bytes = UnsafeRawBufferPointer(start: base, count: entry.range.count)
            switch entry.dtype {
            case .f32:
                for i in 0..<values.count { values[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .f64:
                for i in 0..<values.count { values[i] = Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)))) }
            case .f16:
                for i in 0..<values.count { values[i] = Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))) }
            case .bf16:
                for i in 0..<values.count { values[i] = Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
            }
        }
        return Tensor(shape: entry.shape, values: values)
    }

    /// The values of a tensor of exactly `shape`, as Float.
    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        try tensor(name, shape: shape).values
    }
}

/// Writes safetensors files (F32, F16 or BF16 from Float; F64 from Float widened), with the data
/// 8-byte aligned and tensors in name order.
public struct SafetensorsWriter {
    public var metadata: [String: String] = [:]
    private var tensors: [(name: String, dtype: SafetensorsDType, tensor: Tensor)] = []

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    public mutating func add(_ name: String, _ tensor: Tensor, dtype: SafetensorsDType = .f32) {
        precondition(name != "__metadata__", "SafetensorsWriter: reserved name")
        tensors.removeAll { $0.name == name }
        tensors.append((name, dtype, tensor))
    }

    /// The encoded file.
    public func encoded() -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var body = Data()
        for item in tensors.sorted(by: { $0.name < $1.name }) {
            let begin = body.count
            switch item.dtype {
            case .f32: for v in item.tensor.values { withUnsafeBytes(of: v.bitPattern.littleEndian) { body.append(contentsOf: $0) } }
            case .f64: for v in item.tensor.values { withUnsafeBytes(of: Double(v).bitPattern.littleEndian) { body.append(contentsOf: $0) } }
            case .f16: for v in item.tensor.values { withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { body.append(contentsOf: $0) } }
            case .bf16:
                for v in item.tensor.values {
                    // Round to nearest even on the dropped 16 bits (NaN kept quiet).
                    let bits = v.bitPattern
                    let rounded: UInt32 = v.isNaN ? (bits | 0x0040_0000) : bits &+ 0x7FFF &+ ((bits >> 16) & 1)
                    withUnsafeBytes(of: UInt16(truncatingIfNeeded: rounded >> 16).littleEndian) { body.append(contentsOf: $0) }
                }
            }
            header[item.name] = ["dtype": item.dtype.rawValue, "shape": item.tensor.shape, "data_offsets": [begin, body.count]] as [String: Any]
        }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data("{}".utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        out.append(body)
        return out
    }

    public func write(to url: URL) throws {
        do {
            try encoded().write(to: url, options: .atomic)
        } catch {
            throw NNError(path: url.path, kind: .writeFailed, reason: "cannot write safetensors file: \(error.localizedDescription)")
        }
    }
}
