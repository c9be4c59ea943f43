import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOConcurrencyHelpers
import TokenPool
import TokenResults

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
