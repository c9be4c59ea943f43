import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOConcurrencyHelpers
import TokenPool
import TokenResults

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
