import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import NIOConcurrencyHelpers
import TokenPool
import TokenResults

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
