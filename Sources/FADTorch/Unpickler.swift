import Foundation

/// A mutable pickled list (reference semantics so that memoised lists see later APPENDs).
final class PickleList {
    var items: [PickleValue] = []
    /// Nesting depth of the list and what it holds (1 for a list of scalars).
    fileprivate(set) var depth = 1
    /// Whether the list is inside another container; it is then frozen (see `Unpickler`).
    fileprivate(set) var isNested = false
}

/// A mutable pickled dict, keeping insertion order (state dicts are OrderedDicts). Lookups and
/// insertions by string or integer key take constant time (a hash index beside the order), so a
/// dict of many keys costs linear time, not quadratic.
final class PickleDict {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var index: [Key: Int] = [:]
    fileprivate(set) var depth = 1
    fileprivate(set) var isNested = false

    /// The keys that compare equal in Python and that state dicts use; other keys never match.
    private enum Key: Hashable {
        case string(String), int(Int)
        init?(_ value: PickleValue) {
            switch value {
            case .string(let s): self = .string(s)
            case .int(let i): self = .int(i)
            default: return nil
            }
        }
    }

    func set(_ key: PickleValue, _ value: PickleValue) {
        if let k = Key(key), let i = index[k] {
            values[i] = value
            return
        }
        if let k = Key(key) { index[k] = keys.count }
        keys.append(key)
        values.append(value)
    }

    subscript(key: String) -> PickleValue? {
        index[.string(key)].map { values[$0] }
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
///
/// Hostile input is bounded: containers nest at most `maximumDepth` deep (deeper structures are
/// not state dicts, and releasing them would recurse once per level, overflowing the stack), the
/// stack, marks and memo hold at most `maximumItems` values each, and a list or dict that is
/// already inside another container cannot be changed (what `pickle` writes for state dicts
/// never does that; allowing it would let depth grow behind the check, and make cycles).
struct Unpickler {
    static let maximumDepth = 100
    static let maximumItems = 1 << 20

    /// A value with its nesting depth (the depth of a list or dict lives in the object, since
    /// it can grow while the value is on the stack).
    private struct Item {
        var value: PickleValue
        var ownDepth: Int = 0
        var depth: Int {
            switch value {
            case .list(let list): return list.depth
            case .dict(let dict): return dict.depth
            default: return ownDepth
            }
        }
    }

    private var reader: ByteReader
    private var stack: [Item] = []
    private var marks: [Int] = []
    private var memo: [Int: Item] = [:]
    private let persistentLoad: (PickleValue) throws -> PickleValue
    private let path: String

    init(data: Data, path: String, persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.reader = ByteReader(data: data, path: path)
        self.path = path
        self.persistentLoad = persistentLoad
    }

    /// Bytes consumed so far (the legacy format concatenates several pickles).
    var position: Int { reader.position }

    private func fail(_ reason: String) -> TorchError {
        TorchError(path: path, kind: .invalid, reason: "pickle: \(reason)")
    }

    private mutating func push(_ value: PickleValue) throws {
        try push(Item(value: value))
    }

    private mutating func push(_ item: Item) throws {
        guard stack.count < Self.maximumItems else { throw fail("more than \(Self.maximumItems) values on the stack") }
        stack.append(item)
    }

    /// Pushes a new container holding `children` (a tuple, or a list or dict built from a MARK).
    private mutating func pushContainer(_ value: PickleValue, of children: [Item]) throws {
        var depth = 1
        for child in children { depth = max(depth, try nest(child) + 1) }
        guard depth <= Self.maximumDepth else { throw fail("containers nested more than \(Self.maximumDepth) deep") }
        switch value {
        case .list(let list): list.depth = depth
        case .dict(let dict): dict.depth = depth
        default: break
        }
        try push(Item(value: value, ownDepth: depth))
    }

    /// Marks a child as placed inside a container (freezing it if it is a list or dict) and
    /// returns its depth.
    private func nest(_ child: Item) throws -> Int {
        switch child.value {
        case .list(let list): list.isNested = true
        case .dict(let dict): dict.isNested = true
        default: break
        }
        return child.depth
    }

    /// Adds `children` to the list or dict `target` in place (APPEND, SETITEMS, ...).
    private func insert(_ children: [Item], into target: PickleValue) throws {
        let targetDepth: Int
        switch target {
        case .list(let list):
            guard !list.isNested else { throw fail("a list is changed after being nested (recursive structure): not a state dict") }
            targetDepth = list.depth
        case .dict(let dict):
            guard !dict.isNested else { throw fail("a dict is changed after being nested (recursive structure): not a state dict") }
            targetDepth = dict.depth
        default:
            return
        }
        var depth = targetDepth
        for child in children {
            switch (child.value, target) {
            case (.list(let a), .list(let b)) where a === b: throw fail("a list contains itself")
            case (.dict(let a), .dict(let b)) where a === b: throw fail("a dict contains itself")
            default: break
            }
            depth = max(depth, try nest(child) + 1)
        }
        guard depth <= Self.maximumDepth else { throw fail("containers nested more than \(Self.maximumDepth) deep") }
        switch target {
        case .list(let list): list.depth = depth
        case .dict(let dict): dict.depth = depth
        default: break
        }
    }

    private mutating func popItem() throws -> Item {
        guard let item = stack.popLast() else { throw fail("stack underflow at byte \(reader.position)") }
        if let mark = marks.last, stack.count < mark { throw fail("stack underflow past MARK at byte \(reader.position)") }
        return item
    }

    private mutating func pop() throws -> PickleValue { try popItem().value }

    private mutating func popToMark() throws -> [Item] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw fail("no MARK at byte \(reader.position)") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func top() throws -> PickleValue {
        guard let item = stack.last else { throw fail("stack underflow at byte \(reader.position)") }
        return item.value
    }

    private mutating func memoGet(_ index: Int) throws -> Item {
        guard let item = memo[index] else { throw fail("memo entry \(index) is undefined") }
        return item
    }

    private mutating func memoPut(_ index: Int) throws {
        guard let item = stack.last else { throw fail("stack underflow at byte \(reader.position)") }
        guard memo[index] != nil || memo.count < Self.maximumItems else { throw fail("more than \(Self.maximumItems) memo entries") }
        memo[index] = item
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
            case 0x28:                                                               // MARK
                guard marks.count < Self.maximumItems else { throw fail("too many MARKs") }
                marks.append(stack.count)
            case 0x4E: try push(.none)                                          // NONE
            case 0x88: try push(.bool(true))                                    // NEWTRUE
            case 0x89: try push(.bool(false))                                   // NEWFALSE
            case 0x4A: try push(.int(Int(Int32(bitPattern: try reader.readUInt32()))))  // BININT
            case 0x4B: try push(.int(Int(try reader.readUInt8())))              // BININT1
            case 0x4D: try push(.int(Int(try reader.readUInt16())))             // BININT2
            case 0x8A: try push(long(from: try reader.readBytes(Int(try reader.readUInt8()))))   // LONG1
            case 0x8B: try push(long(from: try reader.readBytes(try length(UInt64(try reader.readUInt32())))))  // LONG4
            case 0x47: try push(.float(Double(bitPattern: (try reader.readBytes(8)).reduce(0) { $0 << 8 | UInt64($1) })))  // BINFLOAT (big-endian)
            case 0x49:                                                               // INT (text)
                let line = try reader.readLine()
                switch line {
                case "00": try push(.bool(false))
                case "01": try push(.bool(true))
                default:
                    guard let v = Int(line) else { throw fail("bad INT '\(line)'") }
                    try push(.int(v))
                }
            case 0x58: try push(.string(try readString(try length(UInt64(try reader.readUInt32())))))  // BINUNICODE
            case 0x8C: try push(.string(try readString(Int(try reader.readUInt8()))))          // SHORT_BINUNICODE
            case 0x8D: try push(.string(try readString(try length(try reader.readUInt64()))))  // BINUNICODE8
            case 0x54: try push(.bytes(try reader.readBytes(try length(UInt64(try reader.readUInt32())))))  // BINSTRING
            case 0x55: try push(.bytes(try reader.readBytes(Int(try reader.readUInt8()))))     // SHORT_BINSTRING
            case 0x42: try push(.bytes(try reader.readBytes(try length(UInt64(try reader.readUInt32())))))  // BINBYTES
            case 0x43: try push(.bytes(try reader.readBytes(Int(try reader.readUInt8()))))     // SHORT_BINBYTES
            case 0x5D: try push(.list(PickleList()))                            // EMPTY_LIST
            case 0x7D: try push(.dict(PickleDict()))                            // EMPTY_DICT
            case 0x29: try push(.tuple([]))                                     // EMPTY_TUPLE
            case 0x74: let items = try popToMark(); try pushContainer(.tuple(items.map(\.value)), of: items)  // TUPLE
            case 0x85: let a = try popItem(); try pushContainer(.tuple([a.value]), of: [a])  // TUPLE1
            case 0x86: let b = try popItem(); let a = try popItem(); try pushContainer(.tuple([a.value, b.value]), of: [a, b])  // TUPLE2
            case 0x87: let c = try popItem(); let b = try popItem(); let a = try popItem(); try pushContainer(.tuple([a.value, b.value, c.value]), of: [a, b, c])  // TUPLE3
            case 0x6C:                                                               // LIST
                let items = try popToMark()
                let list = PickleList(); list.items = items.map(\.value); try pushContainer(.list(list), of: items)
            case 0x64:                                                               // DICT
                let items = try popToMark()
                guard items.count % 2 == 0 else { throw fail("odd number of DICT items") }
                let dict = PickleDict()
                for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i].value, items[i + 1].value) }
                try pushContainer(.dict(dict), of: items)
            case 0x61:                                                               // APPEND
                let value = try popItem()
                guard case .list(let list) = try top() else { throw fail("APPEND to a non-list") }
                try insert([value], into: .list(list))
                list.items.append(value.value)
            case 0x65:                                                               // APPENDS
                let items = try popToMark()
                guard case .list(let list) = try top() else { throw fail("APPENDS to a non-list") }
                try insert(items, into: .list(list))
                list.items.append(contentsOf: items.map(\.value))
            case 0x73:                                                               // SETITEM
                let value = try popItem(); let key = try popItem()
                try setItems(on: try top(), [key, value])
            case 0x75:                                                               // SETITEMS
                let items = try popToMark()
                try setItems(on: try top(), items)
            case 0x71: try memoPut(Int(try reader.readUInt8()))                     // BINPUT
            case 0x72: try memoPut(Int(try reader.readUInt32()))                    // LONG_BINPUT
            case 0x94: try memoPut(memo.count)                                      // MEMOIZE
            case 0x68: try push(try memoGet(Int(try reader.readUInt8())))       // BINGET
            case 0x6A: try push(try memoGet(Int(try reader.readUInt32())))      // LONG_BINGET
            case 0x63:                                                               // GLOBAL
                let module = try reader.readLine()
                let name = try reader.readLine()
                try push(.global(module: module, name: name))
            case 0x93:                                                               // STACK_GLOBAL
                let name = try pop(); let module = try pop()
                guard let m = module.string, let n = name.string else { throw fail("STACK_GLOBAL needs two strings") }
                try push(.global(module: m, name: n))
            case 0x51:                                                               // BINPERSID
                try push(try persistentLoad(try pop()))
            case 0x52:                                                               // REDUCE
                let arguments = try pop(); let callable = try pop()
                guard case .tuple(let args) = arguments else { throw fail("REDUCE arguments are not a tuple") }
                try push(try reduce(callable, args))
            case 0x81:                                                               // NEWOBJ
                let arguments = try pop(); let cls = try pop()
                guard case .tuple(let args) = arguments else { throw fail("NEWOBJ arguments are not a tuple") }
                try push(try reduce(cls, args))
            case 0x62:                                                               // BUILD
                // Object state (an OrderedDict's `_metadata`, a placeholder's fields): not needed.
                _ = try pop()
                _ = try top()
            default:
                throw fail(String(format: "unsupported opcode 0x%02X at byte %d (not a torch.save state dict?)", opcode, opcodeOffset))
            }
        }
    }

    private func setItems(on target: PickleValue, _ items: [Item]) throws {
        guard items.count % 2 == 0 else { throw fail("odd number of SETITEMS items") }
        switch target {
        case .dict(let dict):
            try insert(items, into: target)
            for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i].value, items[i + 1].value) }
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
