import Foundation

/// A dense, C-ordered numeric array read from or written to NumPy's `.npy` format.
///
/// `.npy` is the lingua franca of the audio-evaluation ecosystem: fadtk caches embeddings as
/// `.npy` (float16), the reference scripts of this project write their fixtures as `.npy`, and
/// `fad embed` writes one float32 `.npy` per file. Only what those uses need is supported:
/// little-endian (or byte-order-free) float16/32/64, int16/32/64, uint8 and bool arrays in C order,
/// format versions 1.0-3.0. Values are always handed to Swift as `Double` or `Float`; the
/// original dtype is kept in ``dtype``.
///
/// No Swift package reads `.npy`; the format is a short text header plus raw bytes
/// (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), so it is written
/// here by hand.
public struct NPYArray: Equatable, Sendable {
    /// Element types this reader understands.
    public enum DType: String, Sendable {
        case float16 = "f2", float32 = "f4", float64 = "f8"
        case int16 = "i2", int32 = "i4", int64 = "i8", uint8 = "u1", bool = "b1"

        public var byteCount: Int {
            switch self {
            case .float16, .int16: return 2
            case .float32, .int32: return 4
            case .float64, .int64: return 8
            case .uint8, .bool: return 1
            }
        }
    }

    /// The array's shape; `[]` for a scalar.
    public var shape: [Int]
    /// The dtype the array had on disk (or will have when written).
    public var dtype: DType
    /// The values in C (row-major) order, widened to `Double` (exact for every supported dtype
    /// except int64 beyond 2^53).
    public var values: [Double]

    public init(shape: [Int], dtype: DType = .float64, values: [Double]) {
        precondition(shape.reduce(1, *) == values.count, "NPYArray: shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.dtype = dtype
        self.values = values
    }

    public init(shape: [Int], floats: [Float]) {
        self.init(shape: shape, dtype: .float32, values: floats.map(Double.init))
    }

    /// Number of elements.
    public var count: Int { values.count }

    /// The values narrowed to `Float`.
    public var floats: [Float] { values.map { Float($0) } }
}

/// Why an `.npy` file could not be read.
public struct NPYError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var reason: String
    /// True when the file could not be written (rather than read).
    public var isWriteFailure: Bool
    public init(path: String, reason: String, isWriteFailure: Bool = false) {
        self.path = path; self.reason = reason; self.isWriteFailure = isWriteFailure
    }
    public var description: String {
        isWriteFailure ? "\(path): cannot write .npy array: \(reason)" : "\(path): not a readable .npy array: \(reason)"
    }
}

extension NPYArray {
    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    /// Reads an `.npy` file.
    public static func read(contentsOf url: URL) throws -> NPYArray {
        let data: Data
        do { data = try RegularFile.read(url) } catch let failure as RegularFile.Failure {
            throw NPYError(path: url.path, reason: failure.reason)
        }
        return try decode(data, path: url.path)
    }

    /// Decodes the bytes of an `.npy` file; `path` is used only in error messages.
    public static func decode(_ data: Data, path: String = "<data>") throws -> NPYArray {
        func fail(_ reason: String) -> NPYError { NPYError(path: path, reason: reason) }
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("missing NUMPY magic") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw fail("unsupported format version \(major)")
        }
        guard CheckedSize.fits(offset: headerStart, count: headerLength, in: data.count) else { throw fail("truncated header") }
        let headerData = data.subdata(in: data.startIndex + headerStart ..< data.startIndex + headerStart + headerLength)
        guard let header = String(data: headerData, encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw fail("header is not text")
        }
        let (descr, fortran, shape) = try parseHeader(header, fail: fail)
        guard !fortran else { throw fail("Fortran-ordered arrays are not supported") }
        var code = descr
        let order = code.first
        if order == "<" || order == "|" || order == "=" { code.removeFirst() }
        else if order == ">" { throw fail("big-endian dtype \(descr) is not supported") }
        guard let dtype = DType(rawValue: code) else { throw fail("unsupported dtype \(descr)") }
        // Sizes come from the file: checked for overflow and against the bytes present before
        // anything is allocated, so the allocation below is bounded by the file's size.
        guard let count = CheckedSize.elementCount(shape),
              let expected = CheckedSize.byteCount(elements: count, elementSize: dtype.byteCount) else {
            throw fail("shape \(shape) has more elements than any file can hold")
        }
        let bodyStart = headerStart + headerLength
        guard CheckedSize.fits(offset: bodyStart, count: expected, in: data.count) else {
            throw fail("expected \(expected) bytes of data for shape \(shape), found \(data.count - bodyStart)")
        }
        var values = [Double](repeating: 0, count: count)
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let body = UnsafeRawBufferPointer(rebasing: raw[bodyStart ..< bodyStart + expected])
            switch dtype {
            case .float16:
                for i in 0..<count { values[i] = Double(halfToFloat(body.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self).littleEndian)) }
            case .float32:
                for i in 0..<count { values[i] = Double(Float(bitPattern: body.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self).littleEndian)) }
            case .float64:
                for i in 0..<count { values[i] = Double(bitPattern: body.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self).littleEndian) }
            case .int16:
                for i in 0..<count { values[i] = Double(Int16(littleEndian: body.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
            case .int32:
                for i in 0..<count { values[i] = Double(Int32(littleEndian: body.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
            case .int64:
                for i in 0..<count { values[i] = Double(Int64(littleEndian: body.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))) }
            case .uint8, .bool:
                for i in 0..<count { values[i] = Double(body[i]) }
            }
        }
        return NPYArray(shape: shape, dtype: dtype, values: values)
    }

    private static func parseHeader(_ header: String, fail: (String) -> NPYError) throws -> (String, Bool, [Int]) {
        // The header is a Python dict literal such as
        // {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
        func value(after key: String) -> Substring? {
            guard let r = header.range(of: "'\(key)'") else { return nil }
            var rest = header[r.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { return nil }
            rest = rest.dropFirst().drop { $0 == " " }
            return rest
        }
        guard let d = value(after: "descr"), d.first == "'" || d.first == "\"" else { throw fail("header has no descr") }
        let quote = d.first!
        let descrBody = d.dropFirst()
        guard let end = descrBody.firstIndex(of: quote) else { throw fail("malformed descr") }
        let descr = String(descrBody[..<end])
        guard let f = value(after: "fortran_order") else { throw fail("header has no fortran_order") }
        let fortran = f.hasPrefix("True")
        guard let s = value(after: "shape"), s.first == "(", let close = s.firstIndex(of: ")") else {
            throw fail("header has no shape")
        }
        let dims = s[s.index(after: s.startIndex)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        // NumPy itself allows at most 64 dimensions.
        guard dims.count <= 64 else { throw fail("shape has \(dims.count) dimensions, more than NumPy's 64") }
        var shape: [Int] = []
        for dim in dims {
            guard let n = Int(dim.hasSuffix("L") ? String(dim.dropLast()) : dim), n >= 0 else { throw fail("malformed shape") }
            shape.append(n)
        }
        return (descr, fortran, shape)
    }

    /// Encodes the array as `.npy` bytes (format 1.0, little-endian, C order) in ``dtype``.
    public func encoded() -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(dtype == .uint8 || dtype == .bool ? "|" : "<")\(dtype.rawValue)', 'fortran_order': False, 'shape': (\(dims)), }"
        // Pad so that the data starts on a 64-byte boundary, as NumPy does.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data(Self.magic)
        out.append(contentsOf: [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        out.append(header.data(using: .isoLatin1)!)
        out.reserveCapacity(out.count + count * dtype.byteCount)
        var body = [UInt8](repeating: 0, count: count * dtype.byteCount)
        body.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                switch dtype {
                case .float16: raw.storeBytes(of: floatToHalf(Float(v)).littleEndian, toByteOffset: 2 * i, as: UInt16.self)
                case .float32: raw.storeBytes(of: Float(v).bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
                case .float64: raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 8 * i, as: UInt64.self)
                case .int16: raw.storeBytes(of: Self.saturating(v, as: Int16.self).littleEndian, toByteOffset: 2 * i, as: Int16.self)
                case .int32: raw.storeBytes(of: Self.saturating(v, as: Int32.self).littleEndian, toByteOffset: 4 * i, as: Int32.self)
                case .int64: raw.storeBytes(of: Self.saturating(v, as: Int64.self).littleEndian, toByteOffset: 8 * i, as: Int64.self)
                case .uint8: raw[i] = Self.saturating(v, as: UInt8.self)
                case .bool: raw[i] = v != 0 && !v.isNaN ? 1 : 0
                }
            }
        }
        out.append(contentsOf: body)
        return out
    }

    /// `value` truncated to an integer type, saturating at its bounds, NaN as 0. Values read from
    /// an int64 file can round up to 2^63 as Doubles (found by fuzzing: `Int64(2^63)` traps), and
    /// values set by callers may be anything.
    static func saturating<I: FixedWidthInteger>(_ value: Double, as: I.Type) -> I {
        if value.isNaN { return 0 }
        if value >= Double(I.max) { return I.max }
        if value <= Double(I.min) { return I.min }
        return I(value)
    }

    /// Writes the array atomically (to a temporary file in the same folder, then renamed), so a
    /// reader never sees a half-written file.
    public func write(to url: URL) throws {
        do { try encoded().write(to: url, options: .atomic) } catch {
            throw NPYError(path: url.path, reason: error.localizedDescription, isWriteFailure: true)
        }
    }
}

// IEEE 754 binary16 conversions, done by hand so that they behave the same on every platform
// (Swift's Float16 is unavailable on macOS x86_64).
/// Widens an IEEE 754 binary16 bit pattern (subnormals, infinities and NaN included).
@inline(__always)
public func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0 {
        // Zero or subnormal: value = mantissa * 2^-24.
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -magnitude : magnitude
    }
    if exponent == 31 {
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    }
    return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
}

/// Rounds a Float to the nearest binary16 (ties to even), as NumPy's `astype(float16)` does.
@inline(__always)
public func floatToHalf(_ f: Float) -> UInt16 {
    let bits = f.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xFF)
    var mantissa = bits & 0x7F_FFFF
    if exponent == 0xFF { return sign | 0x7C00 | (mantissa != 0 ? 0x200 : 0) }
    let e = exponent - 127 + 15
    if e >= 31 { return sign | 0x7C00 }
    if e <= 0 {
        if e < -10 { return sign }
        mantissa |= 0x80_0000
        let shift = UInt32(14 - e)
        var half = mantissa >> shift
        let remainder = mantissa & ((1 << shift) - 1)
        let halfway = UInt32(1) << (shift - 1)
        if remainder > halfway || (remainder == halfway && (half & 1) == 1) { half += 1 }
        return sign | UInt16(half)
    }
    var half = UInt32(e) << 10 | (mantissa >> 13)
    let remainder = mantissa & 0x1FFF
    if remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1) { half += 1 }
    return sign | UInt16(half)
}

/// Rounds a Float to the nearest value representable in binary16 and back.
@inline(__always)
public func roundToHalf(_ f: Float) -> Float { halfToFloat(floatToHalf(f)) }
