import TokenAuth
import TokenResults
import TokenHTTPClient

/// Failures: something broke.
public enum ErrorKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The store could not be reached (HTTP 503, `temporarily_unavailable`).
    case storeUnavailable = "store_unavailable"
    /// A 5xx other than 503.
    case serverError = "server_error"
    /// Connection refused, reset or timed out.
    case transport
    /// The TLS handshake failed: a certificate not trusted or not naming the host, or no
    /// common protocol version or cipher.
    case tls
    /// An answer of a shape the profile does not expect.
    case badResponse = "bad_response"
    /// The endpoint does not exist as the profile describes it: 404, 405, 415 or 501 from an
    /// endpoint that has not answered with success in this run. The tool's configuration is
    /// wrong, not the server: a run stops at once (exit 69).
    case wrongEndpoint = "wrong_endpoint"
}
