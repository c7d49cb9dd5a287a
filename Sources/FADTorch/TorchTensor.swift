import FADArrays
import Foundation

/// Element types of PyTorch storages, named by their pickled storage classes.
public enum TorchDType: String, Sendable, CaseIterable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    /// The dtype of a pickled `torch.<Name>Storage` class.
    init?(storageClass name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "DoubleStorage": self = .float64
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    public var byteCount: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        default: return false
        }
    }
}

/// One storage of a checkpoint: raw little-endian bytes shared by the tensors that view it.
/// The bytes are filled in after unpickling in the legacy format, where they follow the pickle.
public final class TorchStorage {
    public let key: String
    public let dtype: TorchDType
    /// Element count recorded in the pickle.
    public let count: Int
    /// Source bytes (a slice of the checkpoint file's mapped data).
    var bytes: Data?
    /// The zip entry and CRC-32 that `bytes` must match, checked on the first conversion (then
    /// cleared): a checkpoint's storages are checked only when read, so that importing a few
    /// tensors of a 2 GB file pages in those tensors and not the whole file.
    var pendingChecksum: (entry: String, crc32: UInt32)?

    init(key: String, dtype: TorchDType, count: Int, bytes: Data?) {
        self.key = key
        self.dtype = dtype
        self.count = count
        self.bytes = bytes
    }
}

/// A tensor of a checkpoint: a strided view of a storage. `floats()` makes the contiguous
/// row-major copy that the models use.
public struct TorchTensor {
    public let storage: TorchStorage
    /// Offset in elements.
    public let storageOffset: Int
    public let shape: [Int]
    /// Strides in elements.
    public let strides: [Int]

    public var dtype: TorchDType { storage.dtype }
    /// The number of elements, or nil when the shape's product overflows (a hostile file).
    public var count: Int? { CheckedSize.elementCount(shape) }

    /// The elements in row-major (C) order, converted to Float (integers and half precision are
    /// converted exactly where Float can hold them). Throws if the view exceeds its storage.
    public func floats(path: String = "<checkpoint>", name: String = "tensor") throws -> [Float] {
        guard let bytes = storage.bytes else {
            throw TorchError(path: path, kind: .invalid, reason: "\(name): storage \(storage.key) has no data")
        }
        if let pending = storage.pendingChecksum {
            try ZipArchive.verifyChecksum(bytes, expected: pending.crc32, entry: pending.entry, path: path)
            storage.pendingChecksum = nil
        }
        let elementSize = dtype.byteCount
        // The elements both the pickle declares and the file holds.
        let available = min(storage.count, bytes.count / elementSize)
        guard let n = count else {
            throw TorchError(path: path, kind: .invalid, reason: "\(name): shape \(shape) has more elements than any file can hold")
        }
        if n == 0 { return [] }
        guard let extent = CheckedSize.viewExtent(offset: storageOffset, shape: shape, strides: strides),
              extent <= available else {
            throw TorchError(path: path, kind: .invalid, reason: "\(name): view (offset \(storageOffset), shape \(shape), strides \(strides)) exceeds its storage of \(available) elements")
        }
        // A view of more elements than its storage repeats elements (zero strides): never in a
        // saved state dict, and it would let a few bytes of file ask for any amount of memory.
        guard n <= available else {
            throw TorchError(path: path, kind: .invalid, reason: "\(name): view of \(n) elements over a storage of \(available) (broadcast views are not supported)")
        }
        var out = [Float](repeating: 0, count: n)
        bytes.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let base = raw.baseAddress!
            func element(_ index: Int) -> Float {
                let p = base + index * elementSize
                switch dtype {
                case .float32: return Float(bitPattern: p.loadUnaligned(as: UInt32.self).littleEndian)
                case .float64: return Float(Double(bitPattern: p.loadUnaligned(as: UInt64.self).littleEndian))
                case .float16: return halfToFloat(p.loadUnaligned(as: UInt16.self).littleEndian)
                case .bfloat16: return Float(bitPattern: UInt32(p.loadUnaligned(as: UInt16.self).littleEndian) << 16)
                case .int64: return Float(Int64(littleEndian: p.loadUnaligned(as: Int64.self)))
                case .int32: return Float(Int32(littleEndian: p.loadUnaligned(as: Int32.self)))
                case .int16: return Float(Int16(littleEndian: p.loadUnaligned(as: Int16.self)))
                case .int8: return Float(p.loadUnaligned(as: Int8.self))
                case .uint8: return Float(p.loadUnaligned(as: UInt8.self))
                case .bool: return p.loadUnaligned(as: UInt8.self) != 0 ? 1 : 0
                }
            }
            // Walk the index space in row-major order with an odometer over the strides.
            let rank = shape.count
            var contiguous = true
            var expected = 1
            for d in stride(from: rank - 1, through: 0, by: -1) where shape[d] != 1 {
                if strides[d] != expected { contiguous = false; break }
                expected *= shape[d]
            }
            if contiguous {
                if dtype == .float32 {
                    out.withUnsafeMutableBytes { dst in
                        dst.copyMemory(from: UnsafeRawBufferPointer(start: base + storageOffset * 4, count: n * 4))
                    }
                    #if _endian(big)
                    for i in 0..<n { out[i] = Float(bitPattern: out[i].bitPattern.byteSwapped) }
                    #endif
                } else {
                    for i in 0..<n { out[i] = element(storageOffset + i) }
                }
                return
            }
            var counter = [Int](repeating: 0, count: rank)
            var source = storageOffset
            for i in 0..<n {
                out[i] = element(source)
                var d = rank - 1
                while d >= 0 {
                    counter[d] += 1
                    source += strides[d]
                    if counter[d] < shape[d] { break }
                    source -= strides[d] * shape[d]
                    counter[d] = 0
                    d -= 1
                }
            }
        }
        return out
    }
}

