import Logging
import Metrics

/// Security-relevant events, logged through swift-log and counted through swift-metrics
/// (`tokenauth_events_total{event=…}`). Logged metadata never holds a token or password.
public enum AuditEvent: String, Sendable, Hashable, CaseIterable {
    case loginSucceeded = "login_succeeded"
    case loginFailed = "login_failed"
    case tokenRefreshed = "token_refreshed"
    /// The previous refresh token came back inside the grace window; the same successor was returned.
    case refreshReuseTolerated = "refresh_reuse_tolerated"
    /// A spent refresh token came back outside the grace window; its family was revoked.
    case refreshReuseDetected = "refresh_reuse_detected"
    case familyRevoked = "family_revoked"
    /// A user was disabled (administration); its sessions were revoked.
    case userDisabled = "user_disabled"

    var ordinal: Int {
        switch self {
        case .loginSucceeded: 0
        case .loginFailed: 1
        case .tokenRefreshed: 2
        case .refreshReuseTolerated: 3
        case .refreshReuseDetected: 4
        case .familyRevoked: 5
        case .userDisabled: 6
        }
    }

    /// The level each event is logged at: routine events at `debug`, security events higher.
    var level: Logger.Level {
        switch self {
        case .tokenRefreshed: .debug
        case .loginSucceeded, .refreshReuseTolerated: .info
        case .loginFailed, .familyRevoked, .userDisabled: .notice
        case .refreshReuseDetected: .warning
        }
    }
}

/// Emits ``AuditEvent``s: a log line and a counter increment each. Counters are made once.
struct AuditTrail: Sendable {
    let logger: Logger
    /// One counter per event, indexed by `AuditEvent.allCases` order.
    private let counters: [Counter]

    init(logger: Logger, metrics: any MetricsFactory) {
        self.logger = logger
        self.counters = AuditEvent.allCases.map {
            Counter(label: "tokenauth_events_total", dimensions: [("event", $0.rawValue)], factory: metrics)
        }
    }

    func record(_ event: AuditEvent, _ metadata: @autoclosure () -> Logger.Metadata = [:], count: Int = 1) {
        counters[event.ordinal].increment(by: count)
        logger.log(level: event.level, "\(event.rawValue)", metadata: metadata())
    }
}
