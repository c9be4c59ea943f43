import CHiredis
import NIOCore
import NIOPosix
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

/// A Redis connection: SwiftNIO moves the bytes on an event loop (nothing blocks a thread),
/// Debian's libhiredis encodes commands (`redisFormatCommandArgv`) and parses replies (its
/// `redisReader`). The store's pool hands a connection to one operation at a time.
final class RedisConnection: @unchecked Sendable {
    // @unchecked: `channel` and `connectedBefore` are touched only by the operation that leased
    // the connection from `ConnectionPool` (one at a time).
    private var channel: (any Channel)?
    private var connectedBefore = false
    let host: String
    let port: Int
    let database: Int
    let timeout: Double
    private let statistics: StoreStatistics
    private let group: any EventLoopGroup

    init(host: String, port: Int, database: Int, timeout: Double, statistics: StoreStatistics, group: any EventLoopGroup) {
        self.host = host
        self.port = port
        self.database = database
        self.timeout = timeout
        self.statistics = statistics
        self.group = group
    }

    /// Connects if not connected. - Throws: `.unavailable` when the server cannot be reached.
    private func ensureConnected() async throws(StoreError) -> any Channel {
        if let channel, channel.isActive { return channel }
        channel = nil
        let new: any Channel
        do {
            new = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(Int64(timeout * 1000)))
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RedisReplyHandler())
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            throw StoreError(.unavailable, "redis \(host):\(port): cannot connect")
        }
        channel = new
        if database != 0 {
            let reply = try await send([Array("SELECT".utf8), Array(String(database).utf8)], on: new)
            guard case .status = reply else {
                disconnect()
                throw StoreError(.unavailable, "redis: SELECT \(database) refused")
            }
        }
        if connectedBefore { statistics.countReconnect() }
        connectedBefore = true
        return new
    }

    /// Drops the connection (the next command reconnects).
    func disconnect() {
        channel?.close(promise: nil)
        channel = nil
    }

    /// Sends one command and waits for its reply, at most `timeout` seconds.
    ///
    /// A command is sent at most once: if the connection breaks or times out after the command
    /// may have been written, the error is `.unavailable` and the connection is dropped (the
    /// caller decides; rotations are not replayed blindly).
    /// - Throws: ``StoreError`` `.unavailable` on a connection failure or timeout.
    func command(_ arguments: [[UInt8]]) async throws(StoreError) -> RedisReply {
        let channel = try await ensureConnected()
        return try await send(arguments, on: channel)
    }

    private func send(_ arguments: [[UInt8]], on channel: any Channel) async throws(StoreError) -> RedisReply {
        let buffer = Self.format(arguments, allocator: channel.allocator)
        let promise = channel.eventLoop.makePromise(of: RedisReply.self)
        let timeout = timeout
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
            promise.fail(StoreError(.unavailable, "redis: no reply within \(timeout) s"))
            channel.close(promise: nil)
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        // A write that fails (the server closed the socket just now) fails the request at once
        // rather than at the deadline; a second completion of the promise is ignored.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { _ in promise.fail(StoreError(.unavailable, "redis: write failed")) }
        channel.writeAndFlush(RedisReplyHandler.Request(command: buffer, promise: promise), promise: written)
        do {
            return try await promise.futureResult.get()
        } catch let error as StoreError {
            disconnect()
            throw error
        } catch {
            disconnect()
            throw StoreError(.unavailable, "redis: connection lost")
        }
    }

    /// RESP encoding of a command, by hiredis.
    static func format(_ arguments: [[UInt8]], allocator: ByteBufferAllocator) -> ByteBuffer {
        let count = arguments.count
        let pointers = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: count)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: count)
        var storage: [UnsafeMutablePointer<CChar>] = []
        storage.reserveCapacity(count)
        defer {
            for s in storage { s.deallocate() }
            pointers.deallocate()
            lengths.deallocate()
        }
        for (i, argument) in arguments.enumerated() {
            let s = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, argument.count))
            argument.withUnsafeBytes { raw in
                if let base = raw.baseAddress { UnsafeMutableRawPointer(s).copyMemory(from: base, byteCount: raw.count) }
            }
            storage.append(s)
            pointers[i] = UnsafePointer(s)
            lengths[i] = argument.count
        }
        var target: UnsafeMutablePointer<CChar>?
        let length = redisFormatCommandArgv(&target, Int32(count), pointers, lengths)
        var buffer = allocator.buffer(capacity: max(0, Int(length)))
        if let target, length > 0 {
            buffer.writeBytes(UnsafeRawBufferPointer(start: target, count: Int(length)))
        }
        if let target { redisFreeCommand(target) }
        return buffer
    }
}

/// Matches replies to requests, first in first out; parses with hiredis's `redisReader`.
final class RedisReplyHandler: ChannelDuplexHandler {
    struct Request {
        var command: ByteBuffer
        var promise: EventLoopPromise<RedisReply>
    }

    typealias InboundIn = ByteBuffer
    typealias OutboundIn = Request
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<EventLoopPromise<RedisReply>>()
    private let reader: UnsafeMutablePointer<redisReader>

    init() { reader = redisReaderCreate() }
    deinit { redisReaderFree(reader) }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending.append(request.promise)
        context.write(wrapOutboundOut(request.command), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        let fed = bytes.withUnsafeReadableBytes { raw in
            redisReaderFeed(reader, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
        }
        guard fed == REDIS_OK else { return fail(context, "redis: protocol error") }
        while true {
            var reply: UnsafeMutableRawPointer?
            guard redisReaderGetReply(reader, &reply) == REDIS_OK else { return fail(context, "redis: protocol error") }
            guard let reply else { return }
            let converted = Self.convert(reply.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(reply)
            guard let promise = pending.popFirst() else { return fail(context, "redis: unexpected reply") }
            promise.succeed(converted)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(StoreError(.unavailable, "redis: connection closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context, "redis: connection error")
    }

    private func fail(_ context: ChannelHandlerContext, _ why: String) {
        failAll(StoreError(.unavailable, why))
        context.close(promise: nil)
    }

    private func failAll(_ error: StoreError) {
        while let p = pending.popFirst() { p.fail(error) }
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
}
