import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOConcurrencyHelpers
import TokenPool
import TokenResults

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
    /// Up to `limit` connections, opened on demand (``ConnectionPool``).
    private let pool: ConnectionPool<HTTP1Connection>
    /// Connection set-up times and pool waits, over the whole run.
    package let statistics: NIOLockedValueBox<ConnectionStatistics>

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
        let statistics = NIOLockedValueBox(ConnectionStatistics())
        self.statistics = statistics
        pool = ConnectionPool(limit: max(1, connections), connect: {
            do {
                let (connection, timing) = try await HTTP1Connection.connect(host: host, port: port, group: group, tls: tls)
                statistics.withLockedValue { $0.record(timing) }
                return connection
            } catch {
                statistics.withLockedValue { $0.failed += 1 }
                throw error
            }
        }, onWait: { nanoseconds in statistics.withLockedValue { $0.recordPoolWait(nanoseconds) } })
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
        for c in pool.shutdown() { c.close() }
    }

    /// A pooled connection that is still open: one the server closed while it was idle is
    /// dropped and its slot reused.
    /// - Throws: ``HTTP1ClientError/shutDown``, `CancellationError`, or the connect's own error.
    private func acquire() async throws -> HTTP1Connection {
        while true {
            let connection: HTTP1Connection
            do {
                connection = try await pool.lease()
            } catch {
                switch error {
                case .shutDown: throw HTTP1ClientError.shutDown
                case .cancelled: throw CancellationError()
                case .connectFailed(let cause): throw cause
                }
            }
            if connection.channel.isActive { return connection }
            discard(connection) // closed by the server while idle
        }
    }

    private func release(_ connection: HTTP1Connection) {
        pool.release(connection)?.close()
    }

    private func discard(_ connection: HTTP1Connection) {
        connection.close()
        pool.discard()
    }
}
