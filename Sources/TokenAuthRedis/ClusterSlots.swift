import TokenAuth

/// A node of a Redis Cluster: where its clients connect.
struct ClusterNode: Sendable, Hashable, CustomStringConvertible {
    var host: String
    var port: Int

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Which node serves each of the 16384 hash slots, and the slot rule of the Redis Cluster
/// specification ("Keys distribution model", "Hash tags").
struct ClusterSlots: Sendable {
    /// Slots of a cluster.
    static let count = 16384

    /// The nodes that serve at least one slot.
    private(set) var nodes: [ClusterNode]
    /// `owner[slot]`: an index into `nodes`, or −1 for a slot no node serves.
    private var owner: [Int16]

    init() {
        nodes = []
        owner = Array(repeating: -1, count: Self.count)
    }

    /// The node that serves `slot`, or `nil` when none does.
    func node(for slot: Int) -> ClusterNode? {
        let i = Int(owner[slot])
        return i >= 0 ? nodes[i] : nil
    }

    /// How many slots have a node.
    var coveredSlots: Int { owner.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) } }

    /// Records that `node` serves `slot` (a `MOVED` answer).
    mutating func assign(_ slot: Int, to node: ClusterNode) {
        let i: Int
        if let known = nodes.firstIndex(of: node) { i = known } else {
            nodes.append(node)
            i = nodes.count - 1
        }
        owner[slot] = Int16(i)
    }

    /// The map in a `CLUSTER SLOTS` reply: `[[start, end, [ip, port, id, …], replica…], …]`; the
    /// first node of each range is its master. An empty or `?` ip means the node asked
    /// (`queried`), as the command's documentation says.
    /// - Throws: ``StoreError`` `.corrupted` for a reply of another shape.
    init(clusterSlotsReply reply: RedisReply, queried: ClusterNode) throws(StoreError) {
        self.init()
        guard case .array(let ranges) = reply else { throw StoreError(.corrupted, "redis CLUSTER SLOTS: unexpected reply") }
        for range in ranges {
            guard case .array(let fields) = range, fields.count >= 3,
                  case .integer(let start) = fields[0], case .integer(let end) = fields[1],
                  0 <= start, start <= end, end < Int64(Self.count),
                  case .array(let master) = fields[2], master.count >= 2,
                  case .integer(let port) = master[1], (1...65535).contains(port) else {
                throw StoreError(.corrupted, "redis CLUSTER SLOTS: unexpected reply")
            }
            let ip = master[0].bytes.map { String(decoding: $0, as: UTF8.self) } ?? ""
            let node = ClusterNode(host: ip.isEmpty || ip == "?" ? queried.host : ip, port: Int(port))
            for slot in Int(start)...Int(end) { assign(slot, to: node) }
        }
    }

    // MARK: The slot of a key

    /// The hash slot of `key`: CRC16 of its hash tag, modulo 16384. The tag is what lies between
    /// the first `{` and the first `}` after it, when that is not empty; otherwise the whole
    /// key (Redis Cluster specification, "Hash tags").
    static func slot(of key: [UInt8]) -> Int {
        key.withUnsafeBufferPointer { b -> Int in
            var hashed = b[...]
            if let open = b.firstIndex(of: UInt8(ascii: "{")),
               let close = b[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
                hashed = b[(open + 1)..<close]
            }
            return Int(crc16(hashed) & 0x3FFF)
        }
    }

    /// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection, as the Redis
    /// Cluster specification gives it (appendix A: `crc16("123456789") == 0x31C3`).
    static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc = (crc << 8) ^ crc16Table[Int((crc >> 8) ^ UInt16(byte))]
        }
        return crc
    }

    private static let crc16Table: [UInt16] = (0..<256).map { n in
        var crc = UInt16(n) << 8
        for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        return crc
    }
}

/// A redirection in a cluster node's error reply (Redis Cluster specification, "Redirection and
/// resharding"): `MOVED <slot> <host>:<port>` (the slot lives elsewhere for good: update the map)
/// or `ASK <slot> <host>:<port>` (this one query goes to the importing node, after `ASKING`).
struct ClusterRedirect: Sendable, Hashable {
    enum Kind: Sendable { case moved, ask }
    var kind: Kind
    var slot: Int
    var node: ClusterNode

    /// Parses `message`; `nil` for any other error. An empty host means the node that answered.
    init?(_ message: String, from answering: ClusterNode) {
        let parts = message.split(separator: " ")
        guard parts.count == 3, let slot = Int(parts[1]), (0..<ClusterSlots.count).contains(slot),
              let colon = parts[2].lastIndex(of: ":"), let port = Int(parts[2][parts[2].index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        switch parts[0] {
        case "MOVED": kind = .moved
        case "ASK": kind = .ask
        default: return nil
        }
        var host = String(parts[2][..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.slot = slot
        self.node = ClusterNode(host: host.isEmpty ? answering.host : host, port: port)
    }
}
