import Foundation

/// A mutable pickled list (reference semantics so that memoised lists see later APPENDs).
final class PickleList {
    var items: [PickleValue] = []
}

/// A mutable pickled dict, keeping insertion order (state dicts are OrderedDicts).
final class PickleDict {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []

    func set(_ key: PickleValue, _ value: PickleValue) {
        if let i = keys.firstIndex(where: { $0.isSameKey(as: key) }) {
            values[i] = value
        } else {
            keys.append(key)
            values.append(value)
        }
    }

    subscript(key: String) -> PickleValue? {
        keys.firstIndex(where: { $0.string == key }).map { values[$0] }
    }

    var entries: Zip2Sequence<[PickleValue], [PickleValue]> { zip(keys, values) }
}

/// The values the safe unpickler can produce. Objects of classes outside the allowlist are never
/// constructed: they become `.opaque` placeholders, which are an error only if a caller needs them.
indirect enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits, as little-endian two's-complement bytes (LONG1/LONG4).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A class or function reference (GLOBAL), not resolved to anything executable.
    case global(module: String, name: String)
    case storage(TorchStorage)
    case tensor(TorchTensor)
    /// The result of calling a non-allowlisted global; the description names it.
    case opaque(String)

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var int: Int? {
        switch self {
        case .int(let v): return v
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    func isSameKey(as other: PickleValue) -> Bool {
        switch (self, other) {
        case (.string(let a), .string(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        default: return false
        }
    }

    /// A short description for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let m, let n): return "\(m).\(n)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        case .opaque(let name): return "unsupported object \(name)"
        }
    }
}

/// A minimal, safe unpickler for what `torch.save` writes: protocol 2 to 5 opcodes for dicts,
/// lists, tuples, numbers, strings, persistent storage references and tensor rebuild calls.
///
/// It executes nothing: GLOBAL only names things; REDUCE/NEWOBJ build values for an allowlist
/// (OrderedDict, torch tensor/parameter rebuild functions) and an inert placeholder otherwise.
/// Unknown opcodes, malformed data and stack misuse throw errors.
struct Unpickler {
    private var reader: ByteReader
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private let persistentLoad: (PickleValue) throws -> PickleValue
    private let path: String

    init(data: Data, path: String, persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.reader = ByteReader(data: data, path: path)
        self.path = path
        self.persistentLoad = persistentLoad
    }

    /// Bytes consumed so far (the legacy format concatenates several pickles).
    var position: Int { reader.position }

    private func fail(_ reason: String) -> ModelError {
        ModelError(path: path, kind: .invalidWeights, reason: "pickle: \(reason)")
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast() else { throw fail("stack underflow at byte \(reader.position)") }
        if let mark = marks.last, stack.count < mark { throw fail("stack underflow past MARK at byte \(reader.position)") }
        return value
    }

    private mutating func popToMark() throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw fail("no MARK at byte \(reader.position)") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func top() throws -> PickleValue {
        guard let value = stack.last else { throw fail("stack underflow at byte \(reader.position)") }
        return value
    }

    private mutating func memoGet(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw fail("memo entry \(index) is undefined") }
        return value
    }

    private mutating func memoPut(_ index: Int) throws {
        memo[index] = try top()
    }

    private mutating func readString(_ count: Int) throws -> String {
        guard count >= 0 else { throw fail("negative length") }
        let bytes = try reader.readBytes(count)
        guard let s = String(bytes: bytes, encoding: .utf8) else { throw fail("string is not UTF-8") }
        return s
    }

    private func long(from bytes: [UInt8]) -> PickleValue {
        if bytes.isEmpty { return .int(0) }
        if bytes.count > 8 { return .bigInt(bytes) }
        var value: UInt64 = 0
        for (i, b) in bytes.enumerated() { value |= UInt64(b) << (8 * UInt64(i)) }
        if bytes.count < 8, bytes.last! & 0x80 != 0 {
            value |= ~UInt64(0) << (8 * UInt64(bytes.count))   // sign-extend
        }
        return .int(Int(bitPattern: UInt(value)))
    }

    private mutating func length(_ raw: UInt64) throws -> Int {
        guard raw <= UInt64(Int32.max) * 16 else { throw fail("length \(raw) too large") }
        return Int(raw)
    }

    /// Reads one pickle up to and including STOP.
    mutating func load() throws -> PickleValue {
        stack.removeAll()
        marks.removeAll()
        memo.removeAll()
        while true {
            let opcodeOffset = reader.position
            let opcode = try reader.readUInt8()
            switch opcode {
            case 0x80: _ = try reader.readUInt8()                                   // PROTO
            case 0x95: _ = try reader.readUInt64()                                  // FRAME
            case 0x2E:                                                               // STOP
                let result = try pop()
                return result
            case 0x28: marks.append(stack.count)                                    // MARK
            case 0x4E: stack.append(.none)                                          // NONE
            case 0x88: stack.append(.bool(true))                                    // NEWTRUE
            case 0x89: stack.append(.bool(false))                                   // NEWFALSE
            case 0x4A: stack.append(.int(Int(Int32(bitPattern: try reader.readUInt32()))))  // BININT
            case 0x4B: stack.append(.int(Int(try reader.readUInt8())))              // BININT1
            case 0x4D: stack.append(.int(Int(try reader.readUInt16())))             // BININT2
            case 0x8A: stack.append(long(from: try reader.readBytes(Int(try reader.readUInt8()))))   // LONG1
            case 0x8B: stack.append(long(from: try reader.readBytes(try length(UInt64(try reader.readUInt32())))))  // LONG4
            case 0x47: stack.append(.float(Double(bitPattern: (try reader.readBytes(8)).reduce(0) { $0 << 8 | UInt64($1) })))  // BINFLOAT (big-endian)
            case 0x49:                                                               // INT (text)
                let line = try reader.readLine()
                switch line {
                case "00": stack.append(.bool(false))
                case "01": stack.append(.bool(true))
                default:
                    guard let v = Int(line) else { throw fail("bad INT '\(line)'") }
                    stack.append(.int(v))
                }
            case 0x58: stack.append(.string(try readString(try length(UInt64(try reader.readUInt32())))))  // BINUNICODE
            case 0x8C: stack.append(.string(try readString(Int(try reader.readUInt8()))))          // SHORT_BINUNICODE
            case 0x8D: stack.append(.string(try readString(try length(try reader.readUInt64()))))  // BINUNICODE8
            case 0x54: stack.append(.bytes(try reader.readBytes(try length(UInt64(try reader.readUInt32())))))  // BINSTRING
            case 0x55: stack.append(.bytes(try reader.readBytes(Int(try reader.readUInt8()))))     // SHORT_BINSTRING
            case 0x42: stack.append(.bytes(try reader.readBytes(try length(UInt64(try reader.readUInt32())))))  // BINBYTES
            case 0x43: stack.append(.bytes(try reader.readBytes(Int(try reader.readUInt8()))))     // SHORT_BINBYTES
            case 0x5D: stack.append(.list(PickleList()))                            // EMPTY_LIST
            case 0x7D: stack.append(.dict(PickleDict()))                            // EMPTY_DICT
            case 0x29: stack.append(.tuple([]))                                     // EMPTY_TUPLE
            case 0x74: stack.append(.tuple(try popToMark()))                        // TUPLE
            case 0x85: let a = try pop(); stack.append(.tuple([a]))                 // TUPLE1
            case 0x86: let b = try pop(); let a = try pop(); stack.append(.tuple([a, b]))  // TUPLE2
            case 0x87: let c = try pop(); let b = try pop(); let a = try pop(); stack.append(.tuple([a, b, c]))  // TUPLE3
            case 0x6C:                                                               // LIST
                let list = PickleList(); list.items = try popToMark(); stack.append(.list(list))
            case 0x64:                                                               // DICT
                let items = try popToMark()
                guard items.count % 2 == 0 else { throw fail("odd number of DICT items") }
                let dict = PickleDict()
                for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
                stack.append(.dict(dict))
            case 0x61:                                                               // APPEND
                let value = try pop()
                guard case .list(let list) = try top() else { throw fail("APPEND to a non-list") }
                list.items.append(value)
            case 0x65:                                                               // APPENDS
                let items = try popToMark()
                guard case .list(let list) = try top() else { throw fail("APPENDS to a non-list") }
                list.items.append(contentsOf: items)
            case 0x73:                                                               // SETITEM
                let value = try pop(); let key = try pop()
                try setItems(on: try top(), [key, value])
            case 0x75:                                                               // SETITEMS
                let items = try popToMark()
                try setItems(on: try top(), items)
            case 0x71: try memoPut(Int(try reader.readUInt8()))                     // BINPUT
            case 0x72: try memoPut(Int(try reader.readUInt32()))                    // LONG_BINPUT
            case 0x94: try memoPut(memo.count)                                      // MEMOIZE
            case 0x68: stack.append(try memoGet(Int(try reader.readUInt8())))       // BINGET
            case 0x6A: stack.append(try memoGet(Int(try reader.readUInt32())))      // LONG_BINGET
            case 0x63:                                                               // GLOBAL
                let module = try reader.readLine()
                let name = try reader.readLine()
                stack.append(.global(module: module, name: name))
            case 0x93:                                                               // STACK_GLOBAL
                let name = try pop(); let module = try pop()
                guard let m = module.string, let n = name.string else { throw fail("STACK_GLOBAL needs two strings") }
                stack.append(.global(module: m, name: n))
            case 0x51:                                                               // BINPERSID
                stack.append(try persistentLoad(try pop()))
            case 0x52:                                                               // REDUCE
                let arguments = try pop(); let callable = try pop()
                guard case .tuple(let args) = arguments else { throw fail("REDUCE arguments are not a tuple") }
                stack.append(try reduce(callable, args))
            case 0x81:                                                               // NEWOBJ
                let arguments = try pop(); let cls = try pop()
                guard case .tuple(let args) = arguments else { throw fail("NEWOBJ arguments are not a tuple") }
                stack.append(try reduce(cls, args))
            case 0x62:                                                               // BUILD
                // Object state (an OrderedDict's `_metadata`, a placeholder's fields): not needed.
                _ = try pop()
                _ = try top()
            default:
                throw fail(String(format: "unsupported opcode 0x%02X at byte %d (not a torch.save state dict?)", opcode, opcodeOffset))
            }
        }
    }

    private func setItems(on target: PickleValue, _ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw fail("odd number of SETITEMS items") }
        switch target {
        case .dict(let dict):
            for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
        case .opaque:
            break   // e.g. a defaultdict of optimizer state: contents not needed
        default:
            throw fail("SETITEMS on a \(target.kind)")
        }
    }

    /// Builds the few allowlisted objects; anything else becomes an inert placeholder.
    private func reduce(_ callable: PickleValue, _ args: [PickleValue]) throws -> PickleValue {
        guard case .global(let module, let name) = callable else {
            return .opaque("call of a \(callable.kind)")
        }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"), ("__builtin__", "dict"):
            guard args.isEmpty else { return .opaque("\(module).\(name) with arguments") }
            return .dict(PickleDict())
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            return .tensor(try rebuildTensor(args))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let first = args.first, case .tensor = first else { throw fail("_rebuild_parameter without a tensor") }
            return first
        default:
            return .opaque("\(module).\(name)")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, ...)`.
    private func rebuildTensor(_ args: [PickleValue]) throws -> TorchTensor {
        guard args.count >= 4, case .storage(let storage) = args[0], let offset = args[1].int,
              case .tuple(let sizeValues) = args[2], case .tuple(let strideValues) = args[3] else {
            throw fail("unexpected arguments to torch._utils._rebuild_tensor_v2")
        }
        let shape = sizeValues.compactMap(\.int)
        let strides = strideValues.compactMap(\.int)
        guard shape.count == sizeValues.count, strides.count == strideValues.count, shape.count == strides.count,
              offset >= 0, shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }) else {
            throw fail("bad tensor size/stride/offset")
        }
        return TorchTensor(storage: storage, storageOffset: offset, shape: shape, strides: strides)
    }
}
