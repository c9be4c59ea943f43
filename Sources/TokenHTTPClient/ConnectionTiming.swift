import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOConcurrencyHelpers
import TokenPool
import TokenResults

/// How long one connection took to open.
package struct ConnectionTiming: Sendable {
    /// TCP connect, ns.
    package var connectNanoseconds: UInt64
    /// TLS handshake after the TCP connect, ns (`nil` for plain HTTP).
    package var tlsHandshakeNanoseconds: UInt64?
}
