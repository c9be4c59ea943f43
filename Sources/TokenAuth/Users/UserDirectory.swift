/// A user as the service sees one.
public struct UserRecord: Sendable, Hashable {
    /// Stable identifier: the `sub` claim.
    public var subject: String
    /// The login name.
    public var username: String
    /// PHC-format password hash.
    public var passwordHash: String

    public init(subject: String, username: String, passwordHash: String) {
        self.subject = subject
        self.username = username
        self.passwordHash = passwordHash
    }
}

/// Where users and their password hashes come from.
public protocol UserDirectory: Sendable {
    /// The user with this login name, or `nil`.
    /// - Throws: an error of the directory's own when it cannot look (the service fails closed).
    func user(named username: String) async throws -> UserRecord?

    /// The user with this subject, or `nil`.
    func user(subject: String) async throws -> UserRecord?

    /// Replaces a user's password hash.
    /// - Returns: `false` when there is no such user.
    func setPasswordHash(_ hash: String, subject: String) async throws -> Bool
}
