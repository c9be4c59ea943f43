import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOConcurrencyHelpers
import TokenResults

/// One HTTP request as the driver sends it.
public struct HTTPRequestSpec: Sendable {
    public var method: HTTPMethod
    /// Path and query, e.g. `/oauth/token`.
    public var path: String
    public var headers: HTTPHeaders
    public var body: ByteBuffer?

    public init(method: HTTPMethod, path: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
    }
}

/// One HTTP answer, read whole.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer
}

/// The driver's HTTP/1.1 client: a keep-alive connection pool on SwiftNIO's own codecs
/// (`HTTPRequestEncoder`, `HTTPResponseDecoder`), one request in flight per connection, every
/// connection on one event loop (``HTTPTarget`` keeps one client per loop, and runs each
/// worker's lanes on that loop). With a TLS context, every connection speaks HTTPS through
/// swift-nio-ssl (SNI from the URL's host name); the TCP connect and the TLS handshake are
/// timed apart from the requests (``ConnectionStatistics``), like k6's `http_req_connecting`
/// and `http_req_tls_handshaking`.
///
/// Why not async-http-client: measured on this 2-core machine against `GET /healthz` of our
/// server with 64 connections, async-http-client reached 4.7k–6.3k requests/s where wrk
/// reached 15k/s; its per-request state machines and hops were the driver's bottleneck. This
/// client does one event-loop submit and one future per request.
package final class HTTP1Client: Sendable {
    package let host: String
    package let port: Int
    /// `Host` header: `host[:port]`, IPv6 in brackets (RFC 9110 §7.2).
    package let hostHeader: String
    package let limit: Int
    package let timeout: TimeAmount
    package let group: any EventLoopGroup
    /// HTTPS: the shared TLS context and the SNI name (`nil` for an IP address: the certificate
    /// is then checked against the address).
    package let tls: (context: NIOSSLContext, serverHostname: String?)?
    private let state = NIOLockedValueBox(State())
    /// Connection set-up times and pool waits, over the whole run.
    package let statistics = NIOLockedValueBox(ConnectionStatistics())

    package struct State {
        var idle: [HTTP1Connection] = []
        var open = 0
        var waiters: [CheckedContinuation<HTTP1Connection?, Never>] = []
        var shutDown = false
    }

    /// - Parameters:
    ///   - host, port: the server.
    ///   - connections: the most connections opened at once; further requests wait for a free one.
    ///   - timeout: per request.
    ///   - tls: for HTTPS, the TLS context (trust roots, verification) and the SNI host name.
    package init(host: String, port: Int, connections: Int, timeout: TimeAmount, group: any EventLoopGroup,
         tls: (context: NIOSSLContext, serverHostname: String?)? = nil) {
        self.host = host
        self.port = port
        let name = host.contains(":") ? "[\(host)]" : host
        let defaultPort = tls == nil ? 80 : 443
        self.hostHeader = port == defaultPort ? name : "\(name):\(port)"
        self.limit = max(1, connections)
        self.timeout = timeout
        self.group = group
        self.tls = tls
    }

    /// Sends `request` and reads the whole answer (at most 4 MiB of body).
    /// - Throws: `ChannelError`, `IOError` or ``HTTP1ClientError`` when the connection fails,
    ///   times out, or the answer is malformed or too large.
    package func execute(_ request: HTTPRequestSpec) async throws -> HTTPAnswer {
        // A kept-alive connection the server closed meanwhile fails before a byte is written:
        // that request is retried once on a fresh connection (safe: the server never saw it).
        // A request that was written is never retried: a refresh is not idempotent.
        for attempt in 0..<2 {
            let connection = try await acquire()
            do {
                let answer = try await connection.send(request, host: hostHeader, timeout: timeout)
                if answer.keepAlive { release(connection) } else { discard(connection) }
                return answer.answer
            } catch HTTP1ClientError.staleConnection where attempt == 0 {
                discard(connection)
            } catch {
                discard(connection)
                throw error
            }
        }
        throw HTTP1ClientError.connectionClosed
    }

    /// Closes every connection; later requests fail.
    package func shutdown() {
        let (idle, waiters) = state.withLockedValue { s in
            s.shutDown = true
            defer { s.idle = []; s.waiters = [] }
            return (s.idle, s.waiters)
        }
        for c in idle { c.close() }
        for w in waiters { w.resume(returning: nil) }
    }

    private enum Next {
        case use(HTTP1Connection)
        case connect
        case wait
        case closed
    }

    private func acquire() async throws -> HTTP1Connection {
        while true {
            let next: Next = state.withLockedValue { s in
                if s.shutDown { return .closed }
                while let c = s.idle.popLast() {
                    if c.channel.isActive { return .use(c) }
                    s.open -= 1 // closed by the server while idle
                    c.close()
                }
                if s.open < limit { s.open += 1; return .connect }
                return .wait
            }
            switch next {
            case .use(let c): return c
            case .closed: throw HTTP1ClientError.shutDown
            case .connect:
                do {
                    let (connection, timing) = try await HTTP1Connection.connect(host: host, port: port, group: group, tls: tls)
                    statistics.withLockedValue { $0.record(timing) }
                    return connection
                } catch {
                    statistics.withLockedValue { $0.failed += 1 }
                    slotFreed()
                    throw error
                }
            case .wait:
                let waitStart = monotonicNanoseconds()
                defer { statistics.withLockedValue { $0.recordPoolWait(monotonicNanoseconds() &- waitStart) } }
                // Decided again under the lock that parks us, so a connection released in
                // between is not missed.
                let handed: HTTP1Connection? = await withCheckedContinuation { continuation in
                    let now: Next = state.withLockedValue { s in
                        if s.shutDown { return .closed }
                        if let c = s.idle.popLast() { return .use(c) }
                        if s.open < limit { return .connect }
                        s.waiters.append(continuation)
                        return .wait
                    }
                    switch now {
                    case .use(let c): continuation.resume(returning: c)
                    case .connect, .closed: continuation.resume(returning: nil)
                    case .wait: break
                    }
                }
                if let handed { return handed }
            }
        }
    }

    private func release(_ connection: HTTP1Connection) {
        let waiter: CheckedContinuation<HTTP1Connection?, Never>? = state.withLockedValue { s in
            if s.shutDown { return nil }
            if !s.waiters.isEmpty { return s.waiters.removeFirst() }
            s.idle.append(connection)
            return nil
        }
        if let waiter { waiter.resume(returning: connection) }
        else if state.withLockedValue({ $0.shutDown }) { connection.close() }
    }

    private func discard(_ connection: HTTP1Connection) {
        connection.close()
        slotFreed()
    }

    /// A connection slot came free: a waiter, if any, may open one.
    private func slotFreed() {
        let waiter: CheckedContinuation<HTTP1Connection?, Never>? = state.withLockedValue { s in
            s.open -= 1
            return s.waiters.isEmpty ? nil : s.waiters.removeFirst()
        }
        waiter?.resume(returning: nil)
    }
}

/// Errors of ``HTTP1Client`` itself (NIO's own errors pass through).
package enum HTTP1ClientError: Error {
    case shutDown
    case timedOut
    case connectionClosed
    /// The connection was closed before the request was written (a kept-alive connection the
    /// server closed): retried once.
    case staleConnection
    case bodyTooLarge
    case unexpectedPart
}

/// One keep-alive connection: NIO's HTTP/1.1 client codecs and a handler that collects one
/// answer at a time.
package final class HTTP1Connection: Sendable {
    package let channel: any Channel
    package let handler: NIOLoopBound<AnswerCollector>

    private init(channel: any Channel, handler: NIOLoopBound<AnswerCollector>) {
        self.channel = channel
        self.handler = handler
    }

    /// Opens a connection (and, with `tls`, completes the TLS handshake before returning).
    /// - Returns: the connection and how long the TCP connect and the handshake took.
    /// - Throws: NIO's connection errors, or the TLS handshake's (`NIOSSLError`, `NIOSSLExtraError`).
    package static func connect(host: String, port: Int, group: any EventLoopGroup,
                        tls: (context: NIOSSLContext, serverHostname: String?)?) async throws -> (HTTP1Connection, ConnectionTiming) {
        let start = monotonicNanoseconds()
        let loop = group.next()
        // Completed with (TCP connected, handshake done), monotonic ns.
        let handshake = loop.makePromise(of: (UInt64, UInt64).self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connectTimeout(.seconds(5))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tls.context, serverHostname: tls.serverHostname))
                            try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(done: handshake))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(AnswerCollector())
                    }
                }
                .connect(host: host, port: port).get()
        } catch {
            handshake.fail(error)
            throw error
        }
        var timing = ConnectionTiming(connectNanoseconds: monotonicNanoseconds() &- start, tlsHandshakeNanoseconds: nil)
        if tls != nil {
            do {
                let (tcp, done) = try await handshake.futureResult.get()
                timing.connectNanoseconds = tcp &- start
                timing.tlsHandshakeNanoseconds = done &- tcp
            } catch {
                channel.close(promise: nil)
                throw error
            }
        } else {
            handshake.succeed((0, 0))
        }
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: AnswerCollector.self), eventLoop: channel.eventLoop)
        }.get()
        return (HTTP1Connection(channel: channel, handler: handler), timing)
    }

    package func send(_ request: HTTPRequestSpec, host: String, timeout: TimeAmount) async throws -> (answer: HTTPAnswer, keepAlive: Bool) {
        let handler = self.handler
        // Lanes of an HTTP run execute on this connection's event loop (see
        // ``EventLoopTaskExecutor``): write directly, no hop and no wake-up.
        // The continuation is resumed straight from `channelRead`: no promise, no future.
        if channel.eventLoop.inEventLoop {
            return try await withUnsafeThrowingContinuation { continuation in
                handler.value.send(request, host: host, timeout: timeout, waiter: .continuation(continuation))
            }
        }
        return try await channel.eventLoop.flatSubmit {
            let promise = self.channel.eventLoop.makePromise(of: (answer: HTTPAnswer, keepAlive: Bool).self)
            handler.value.send(request, host: host, timeout: timeout, waiter: .promise(promise))
            return promise.futureResult
        }.get()
    }

    package func close() {
        channel.close(promise: nil)
    }
}

/// Collects the parts of one answer and completes the pending request's promise. Lives on
/// its channel's event loop.
package final class AnswerCollector: ChannelDuplexHandler {
    package typealias InboundIn = HTTPClientResponsePart
    package typealias OutboundIn = HTTPClientRequestPart
    package typealias OutboundOut = HTTPClientRequestPart

    package typealias Outcome = (answer: HTTPAnswer, keepAlive: Bool)

    /// Who waits for the answer: a lane on this event loop, or a caller elsewhere.
    package enum Waiter {
        case continuation(UnsafeContinuation<Outcome, any Error>)
        case promise(EventLoopPromise<Outcome>)

        func resume(_ result: Result<Outcome, any Error>) {
            switch self {
            case .continuation(let c): c.resume(with: result)
            case .promise(let p): p.completeWith(result)
            }
        }
    }

    private(set) var context: ChannelHandlerContext?
    private var pending: Waiter?
    /// When the pending request times out.
    private var deadline = NIODeadline.distantFuture
    /// One repeating check per connection instead of a timer per request (a timer per request
    /// cost an allocation and two heap operations on the event loop each time).
    private var watchdog: RepeatedTask?
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?
    package static let maxBody = 4 << 20

    package func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    package func handlerRemoved(context: ChannelHandlerContext) {
        watchdog?.cancel()
        watchdog = nil
        // The context holds this handler: keeping it here would be a cycle that outlives the
        // channel (LeakSanitizer found one per closed connection).
        self.context = nil
    }

    /// Writes the request; `waiter` gets the answer or the error. Call on the event loop.
    package func send(_ request: HTTPRequestSpec, host: String, timeout: TimeAmount, waiter: Waiter) {
        guard let context, pending == nil, context.channel.isActive else {
            waiter.resume(.failure(HTTP1ClientError.staleConnection))
            return
        }
        pending = waiter
        head = nil
        body = nil
        deadline = .now() + timeout
        if watchdog == nil {
            // Checks at a tenth of the timeout: a request times out at most 10% late.
            let period = TimeAmount.nanoseconds(max(timeout.nanoseconds / 10, 1_000_000))
            // Holds the handler until `handlerRemoved` cancels it (the channel closed).
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            watchdog = context.eventLoop.scheduleRepeatedTask(initialDelay: period, delay: period) { _ in
                bound.value.checkDeadline()
            }
        }
        var headers = request.headers
        headers.add(name: "Host", value: host) // requests never carry their own (RFC 9110 §7.2: host[:port])
        if let body = request.body {
            headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        }
        let requestHead = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.path, headers: headers)
        context.write(wrapOutboundOut(.head(requestHead)), promise: nil)
        if let body = request.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    private func checkDeadline() {
        guard pending != nil, NIODeadline.now() >= deadline else { return }
        fail(HTTP1ClientError.timedOut)
        context?.close(promise: nil)
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
        case .body(var part):
            if body == nil {
                body = part
            } else {
                body!.writeBuffer(&part)
            }
            if (body?.readableBytes ?? 0) > Self.maxBody {
                fail(HTTP1ClientError.bodyTooLarge)
                context.close(promise: nil)
            }
        case .end:
            guard let head, let waiter = pending else {
                fail(HTTP1ClientError.unexpectedPart)
                context.close(promise: nil)
                return
            }
            pending = nil
            deadline = .distantFuture
            let answer = HTTPAnswer(status: Int(head.status.code), headers: head.headers, body: body ?? ByteBuffer())
            self.head = nil
            self.body = nil
            waiter.resume(.success((answer, head.isKeepAlive)))
        }
    }

    package func channelInactive(context: ChannelHandlerContext) {
        fail(HTTP1ClientError.connectionClosed)
        context.fireChannelInactive()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
        context.close(promise: nil)
    }

    private func fail(_ error: any Error) {
        deadline = .distantFuture
        if let waiter = pending {
            pending = nil
            waiter.resume(.failure(error))
        }
    }
}

/// Notes when TCP connected and when the TLS handshake completed (monotonic ns); fails the
/// promise with the handshake's error.
package final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler {
    package typealias InboundIn = NIOAny
    package let done: EventLoopPromise<(UInt64, UInt64)>
    private var connectedAt: UInt64 = 0

    package init(done: EventLoopPromise<(UInt64, UInt64)>) {
        self.done = done
    }

    package func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { connectedAt = monotonicNanoseconds() }
    }

    package func channelActive(context: ChannelHandlerContext) {
        connectedAt = monotonicNanoseconds()
        context.fireChannelActive()
    }

    package func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            let now = monotonicNanoseconds()
            done.succeed((connectedAt == 0 ? now : connectedAt, now))
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        done.fail(error)
        context.fireErrorCaught(error)
    }

    package func channelInactive(context: ChannelHandlerContext) {
        done.fail(HTTP1ClientError.connectionClosed)
        context.fireChannelInactive()
    }
}

/// How long one connection took to open.
package struct ConnectionTiming: Sendable {
    /// TCP connect, ns.
    package var connectNanoseconds: UInt64
    /// TLS handshake after the TCP connect, ns (`nil` for plain HTTP).
    package var tlsHandshakeNanoseconds: UInt64?
}

/// Connection set-up of one client: HDR histograms of the TCP connect, the TLS handshake and
/// the waits for a free pooled connection (k6's `http_req_connecting`, `http_req_tls_handshaking`,
/// `http_req_blocked`), and counts of connections opened and failed.
package struct ConnectionStatistics: Sendable {
    package var connect = LatencyHistogram.latency()
    package var tlsHandshake = LatencyHistogram.latency()
    package var poolWait = LatencyHistogram.latency()
    package var opened = 0
    package var failed = 0

    package init() {}

    package mutating func record(_ timing: ConnectionTiming) {
        opened += 1
        _ = connect.record(max(1, timing.connectNanoseconds))
        if let tls = timing.tlsHandshakeNanoseconds { _ = tlsHandshake.record(max(1, tls)) }
    }

    package mutating func recordPoolWait(_ nanoseconds: UInt64) {
        _ = poolWait.record(max(1, nanoseconds))
    }

    package mutating func add(_ other: ConnectionStatistics) {
        connect.add(other.connect)
        tlsHandshake.add(other.tlsHandshake)
        poolWait.add(other.poolWait)
        opened += other.opened
        failed += other.failed
    }
}

/// Runs a worker's lanes on one NIO event loop, the loop its connections live on: a request is
/// written, and its answer resumes the lane, on the same thread, with no cross-thread wake-up
/// (measured: the Dispatch-queue executor's two wake-ups per request were the driver's largest
/// cost). One event loop is one thread, so the lanes never run at the same time.
package final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: holds only the event loop, which is thread-safe.
    package let eventLoop: any EventLoop

    package init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
