import Foundation

/// Connection set-up of an HTTP run, over the whole run (warm-up included), latencies in µs.
public struct ConnectionSummary: Codable, Sendable, Hashable {
    public var opened: Int
    /// Connection attempts that failed (refused, timed out, TLS handshake failed).
    public var failed: Int
    /// TCP connect (k6's `http_req_connecting`).
    public var connectUs: LatencySummary
    /// TLS handshake after the TCP connect (k6's `http_req_tls_handshaking`); HTTPS only.
    public var tlsHandshakeUs: LatencySummary?
    /// Waits for a free pooled connection (k6's `http_req_blocked`), when requests had to wait.
    public var poolWaitUs: LatencySummary?
    public var poolWaits: Int

    package init(opened: Int, failed: Int, connectUs: LatencySummary, tlsHandshakeUs: LatencySummary? = nil, poolWaitUs: LatencySummary? = nil, poolWaits: Int) {
        self.opened = opened
        self.failed = failed
        self.connectUs = connectUs
        self.tlsHandshakeUs = tlsHandshakeUs
        self.poolWaitUs = poolWaitUs
        self.poolWaits = poolWaits
    }

    enum CodingKeys: String, CodingKey {
        case opened, failed
        case connectUs = "connect_us"
        case tlsHandshakeUs = "tls_handshake_us"
        case poolWaitUs = "pool_wait_us"
        case poolWaits = "pool_waits"
    }
}
