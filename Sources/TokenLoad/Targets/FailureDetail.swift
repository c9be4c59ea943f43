import TokenAuth
import TokenResults
import TokenHTTPClient

/// What a target said when it did not succeed: enough to record the error by HTTP status and
/// by the server's own error code, and to quote it in a message. Never holds a token.
public struct FailureDetail: Sendable, Hashable {
    /// The HTTP status; `nil` in-process, or when no answer came (transport failure).
    public var status: Int?
    /// The server's error code: RFC 6749 §5.2 `error`, else a `code` field (as
    /// djangorestframework-simplejwt sends), at most 64 characters of `[A-Za-z0-9_.-]`.
    public var code: String?
    /// One short line: the server's `error_description` (or `detail`), or what failed on the
    /// way (connection refused, timed out, TLS certificate not trusted).
    public var message: String?
    /// The endpoint, for messages: `refresh POST http://127.0.0.1:8000/api/token/refresh/`.
    public var endpoint: String?

    public init(status: Int? = nil, code: String? = nil, message: String? = nil, endpoint: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.endpoint = endpoint
    }

    /// `404`, `401 invalid_client "Client authentication failed"`, `no answer (connection refused)`.
    public var summary: String {
        var parts: [String] = []
        if let status { parts.append(String(status)) } else { parts.append("no answer") }
        if let code { parts.append(code) }
        if let message, !message.isEmpty { parts.append(status == nil ? "(\(message))" : "\"\(message)\"") }
        return parts.joined(separator: " ")
    }
}

extension RunAbortSummary {
    /// The summary of the answer that stopped a run: the endpoint answered something that says
    /// the profile names a path, method or body format it does not serve.
    package init(_ detail: FailureDetail) {
        self.init(endpoint: detail.endpoint, status: detail.status, code: detail.code,
                  message: "\(detail.endpoint ?? "an endpoint") answered \(detail.summary): the profile names a path, method or body format the server does not serve")
    }
}
