import CHiredis
#if canImport(Glibc)
import Glibc
#endif
import TokenAuth

/// One reply of a Redis server (RESP2).
enum RedisReply: Sendable, Hashable {
    case string([UInt8])
    case integer(Int64)
    case array([RedisReply])
    case null
    case status(String)
    case error(String)

    var bytes: [UInt8]? {
        if case .string(let b) = self { return b }
        return nil
    }
}

/// A blocking connection through Debian's libhiredis. Not thread-safe: the store's pool hands
/// it to one operation at a time, and every call runs on a thread of the store's own
/// `NIOThreadPool` (never on Swift's cooperative pool).
final class RedisConnection: @unchecked Sendable {
    // @unchecked: used by one thread at a time, guaranteed by `ConnectionPool`.
    private var context: UnsafeMutablePointer<redisContext>?
    private var connectedBefore = false
    let host: String
    let port: Int
    let database: Int
    let timeout: Double
    private let statistics: StoreStatistics

    init(host: String, port: Int, database: Int, timeout: Double, statistics: StoreStatistics) {
        self.host = host
        self.port = port
        self.database = database
        self.timeout = timeout
        self.statistics = statistics
    }

    deinit { if let context { redisFree(context) } }

    private var timeval: timeval {
        let whole = Int(timeout)
        return Glibc.timeval(tv_sec: whole, tv_usec: Int((timeout - Double(whole)) * 1e6))
    }

    /// Connects if not connected. - Throws: `.unavailable` when the server cannot be reached.
    private func ensureConnected() throws(StoreError) -> UnsafeMutablePointer<redisContext> {
        if let context { return context }
        guard let c = redisConnectWithTimeout(host, Int32(port), timeval) else {
            throw StoreError(.unavailable, "redis: cannot allocate a connection")
        }
        if c.pointee.err != 0 {
            let why = Self.errorString(c)
            redisFree(c)
            throw StoreError(.unavailable, "redis \(host):\(port): \(why)")
        }
        _ = redisSetTimeout(c, timeval)
        context = c
        if database != 0 {
            let reply = try command([Array("SELECT".utf8), Array(String(database).utf8)])
            guard case .status = reply else {
                disconnect()
                throw StoreError(.unavailable, "redis: SELECT \(database) refused")
            }
        }
        if connectedBefore { statistics.countReconnect() }
        connectedBefore = true
        context = c
        return c
    }

    /// Drops the connection (the next command reconnects).
    func disconnect() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Sends one command and waits for its reply.
    ///
    /// A command is sent at most once: if the connection breaks after the command may have
    /// been written, the error is `.unavailable` and the caller decides (rotations are not
    /// replayed blindly).
    /// - Throws: ``StoreError`` `.unavailable` on a connection failure or timeout.
    func command(_ arguments: [[UInt8]]) throws(StoreError) -> RedisReply {
        let c = try ensureConnected()
        let count = arguments.count
        let pointers = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: count)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: count)
        var buffers: [UnsafeMutablePointer<CChar>] = []
        buffers.reserveCapacity(count)
        defer {
            for b in buffers { b.deallocate() }
            pointers.deallocate()
            lengths.deallocate()
        }
        for (i, argument) in arguments.enumerated() {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, argument.count))
            argument.withUnsafeBytes { raw in
                if let base = raw.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: raw.count) }
            }
            buffers.append(buffer)
            pointers[i] = UnsafePointer(buffer)
            lengths[i] = argument.count
        }
        guard let raw = redisCommandArgv(c, Int32(count), pointers, lengths) else {
            let why = Self.errorString(c)
            disconnect()
            throw StoreError(.unavailable, "redis: \(why)")
        }
        let reply = raw.assumingMemoryBound(to: redisReply.self)
        defer { freeReplyObject(raw) }
        return Self.convert(reply)
    }

    static func convert(_ r: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let p = r.pointee
        switch p.type {
        case REDIS_REPLY_STRING:
            return .string(p.str.map { Array(UnsafeRawBufferPointer(start: $0, count: p.len)) } ?? [])
        case REDIS_REPLY_INTEGER:
            return .integer(p.integer)
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            items.reserveCapacity(p.elements)
            for i in 0..<p.elements {
                if let e = p.element[i] { items.append(convert(e)) } else { items.append(.null) }
            }
            return .array(items)
        case REDIS_REPLY_STATUS:
            return .status(p.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: p.len), as: UTF8.self) } ?? "")
        case REDIS_REPLY_ERROR:
            return .error(p.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: p.len), as: UTF8.self) } ?? "")
        default:
            return .null
        }
    }

    static func errorString(_ c: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: c.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "connection error" : String(decoding: bytes, as: UTF8.self)
        }
    }
}
