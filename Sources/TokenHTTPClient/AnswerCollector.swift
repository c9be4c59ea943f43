import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOConcurrencyHelpers
import TokenPool
import TokenResults

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
            // An answer with no request pending (a server that sent two answers to one request)
            // must not complete the next request sent on this connection: close it.
            guard pending != nil else {
                context.close(promise: nil)
                return
            }
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
