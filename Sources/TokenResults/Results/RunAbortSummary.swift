import Foundation

/// Why a run stopped at once (verdict `unreachable`, exit 69).
public struct RunAbortSummary: Codable, Sendable, Hashable {
    /// `refresh POST http://127.0.0.1:8000/api/token/refreshh/`.
    public var endpoint: String?
    public var status: Int?
    public var code: String?
    public var message: String

    public init(endpoint: String?, status: Int?, code: String?, message: String) {
        self.endpoint = endpoint
        self.status = status
        self.code = code
        self.message = message
    }
}
