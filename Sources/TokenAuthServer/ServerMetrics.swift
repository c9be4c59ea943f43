import Metrics
import TokenAuth

/// The server's own counters (request latency per route comes from Hummingbird's
/// `MetricsMiddleware`; audit events from the core):
/// - `tokenauth_refresh_total{outcome}`: refresh answers by outcome, `refreshed` or the
///   ``AuthError/Reason`` of a refusal (`reuse_detected`, `family_revoked`, …);
/// - `tokenauth_store_errors_total{endpoint}`: requests answered 503 because the store failed.
struct ServerMetrics: Sendable {
    private let refreshed: Counter
    private let refused: [AuthError.Reason: Counter]
    private let storeErrors: [String: Counter]

    static let endpoints = ["token", "revoke", "logout_all", "me"]

    init(factory: any MetricsFactory) {
        refreshed = Counter(label: "tokenauth_refresh_total", dimensions: [("outcome", "refreshed")], factory: factory)
        var refused: [AuthError.Reason: Counter] = [:]
        for reason in AuthError.Reason.allCases {
            refused[reason] = Counter(label: "tokenauth_refresh_total", dimensions: [("outcome", reason.rawValue)], factory: factory)
        }
        self.refused = refused
        var storeErrors: [String: Counter] = [:]
        for endpoint in Self.endpoints {
            storeErrors[endpoint] = Counter(label: "tokenauth_store_errors_total", dimensions: [("endpoint", endpoint)], factory: factory)
        }
        self.storeErrors = storeErrors
    }

    func refreshSucceeded() { refreshed.increment() }

    func refreshRefused(_ error: AuthError) { refused[error.reason]?.increment() }

    func failed(_ error: AuthError, endpoint: String) {
        if error.code == .temporarilyUnavailable { storeErrors[endpoint]?.increment() }
    }
}
