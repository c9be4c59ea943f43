import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOConcurrencyHelpers
import TokenPool
import TokenResults

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
