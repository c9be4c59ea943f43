import TokenAuth
import TokenResults
import TokenHTTPClient

/// The tokens a login or a refresh hands back to a virtual user.
public struct IssuedTokens: Sendable, Hashable {
    public var accessToken: String
    public var refreshToken: String
    /// Seconds until the access token expires.
    public var expiresIn: Double

    public init(accessToken: String, refreshToken: String, expiresIn: Double) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
    }
}
