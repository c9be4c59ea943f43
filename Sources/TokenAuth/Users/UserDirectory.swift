/// A user as the service sees one.
public struct UserRecord: Sendable, Hashable {
    /// Stable identifier: the `sub` claim.
    public var subject: String
    /// The login name.
    public var username: String
    /// PHC-format password hash.
    public var passwordHash: String
    /// A disabled user cannot log in, and a refresh of any of its sessions is refused with
    /// `invalid_grant` and revokes that session's family (as GoTrue and Keycloak do).
    public var isDisabled: Bool

    public init(subject: String, username: String, passwordHash: String, isDisabled: Bool = false) {
        self.subject = subject
        self.username = username
        self.passwordHash = passwordHash
        self.isDisabled = isDisabled
    }
}

/// Where users and their password hashes come from.
///
/// Disabling and deleting: a user is **disabled** when ``user(subject:)`` returns a record
/// with ``UserRecord/isDisabled`` set (``setDisabled(_:subject:)`` sets it), and **deleted**
/// when ``user(subject:)`` returns `nil`. The service checks the user on every login and every
/// refresh: either state refuses the refresh with `invalid_grant` (reason `user_disabled`) and
/// revokes the family. A directory of another system (LDAP, a users table) may disable or
/// delete users by itself; the next refresh sees it.
public protocol UserDirectory: Sendable {
    /// The user with this login name, or `nil`.
    /// - Throws: an error of the directory's own when it cannot look (the service fails closed).
    func user(named username: String) async throws -> UserRecord?

    /// The user with this subject, or `nil` (no such user, or deleted).
    /// - Throws: an error of the directory's own when it cannot look (the service fails closed).
    func user(subject: String) async throws -> UserRecord?

    /// Replaces a user's password hash.
    /// - Returns: `false` when there is no such user.
    func setPasswordHash(_ hash: String, subject: String) async throws -> Bool

    /// Disables (`true`) or enables again (`false`) a user.
    /// - Returns: `false` when there is no such user.
    /// - Throws: an error of the directory's own when it cannot write.
    func setDisabled(_ disabled: Bool, subject: String) async throws -> Bool
}
