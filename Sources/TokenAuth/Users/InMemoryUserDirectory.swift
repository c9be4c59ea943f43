
/// A ``UserDirectory`` in memory, optionally seeded with synthetic users for load runs and
/// demos: `user0 … user{N-1}`, whose password is `pw-{n}` and whose subject is the username.
///
/// Synthetic users' hashes are made on first use (one extra hash the first time each user
/// logs in), so seeding a million users costs nothing up front; ``prepare(_:)`` makes them
/// ahead of a measured run.
public final class InMemoryUserDirectory: UserDirectory {
    private let users: Locked<[String: UserRecord]>
    /// Deleted names: a deleted synthetic user is not made again.
    private let deleted: Locked<Set<String>>
    private let syntheticCount: Int
    private let hashing: PasswordHashing

    /// - Parameters:
    ///   - hashing: the algorithm and cost for synthetic users' hashes and ``add(username:password:)``.
    ///   - syntheticUsers: N, to serve `user0 … user{N-1}` with password `pw-{n}` (default 0).
    public init(hashing: PasswordHashing, syntheticUsers: Int = 0) {
        self.users = Locked([:])
        self.deleted = Locked([])
        self.hashing = hashing
        self.syntheticCount = max(0, syntheticUsers)
    }

    /// Adds (or replaces) a user whose subject is the username.
    /// - Throws: ``PasswordHashingError`` if the password cannot be hashed.
    @discardableResult
    public func add(username: String, password: String) throws(PasswordHashingError) -> UserRecord {
        let record = UserRecord(subject: username, username: username, passwordHash: try hashing.hash(password))
        users.withLock { $0[username] = record }
        deleted.withLock { _ = $0.remove(username) }
        return record
    }

    /// Deletes a user (synthetic or added): ``user(subject:)`` answers `nil` from now on, and
    /// the next refresh of any of its sessions is refused and revokes the family.
    /// - Returns: `false` when there was no such user.
    @discardableResult
    public func remove(subject: String) -> Bool {
        guard synthetic(subject) != nil else { return false }
        deleted.withLock { _ = $0.insert(subject) }
        users.withLock { _ = $0.removeValue(forKey: subject) }
        return true
    }

    /// Makes the hashes of synthetic users `range` now (e.g. before a measured run).
    public func prepare(_ range: Range<Int>) {
        for n in range.clamped(to: 0..<syntheticCount) { _ = synthetic("user\(n)") }
    }

    /// The synthetic user number of a name `user{n}`, if it is one.
    private func syntheticNumber(_ username: String) -> Int? {
        guard username.hasPrefix("user"), username.utf8.count <= 24 else { return nil }
        let digits = username.dropFirst(4)
        guard let first = digits.first, first != "0" || digits.count == 1,
              digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let n = Int(digits), n < syntheticCount
        else { return nil }
        return n
    }

    private func synthetic(_ username: String) -> UserRecord? {
        if let known = users.withLock({ $0[username] }) { return known }
        guard let n = syntheticNumber(username), !deleted.withLock({ $0.contains(username) }),
              let hash = try? hashing.hash("pw-\(n)")
        else { return nil }
        let record = UserRecord(subject: username, username: username, passwordHash: hash)
        return users.withLock { users in
            if let raced = users[username] { return raced }
            users[username] = record
            return record
        }
    }

    public func user(named username: String) async throws -> UserRecord? {
        synthetic(username)
    }

    public func user(subject: String) async throws -> UserRecord? {
        synthetic(subject)
    }

    public func setPasswordHash(_ hash: String, subject: String) async throws -> Bool {
        guard var record = synthetic(subject) else { return false }
        record.passwordHash = hash
        users.withLock { $0[subject] = record }
        return true
    }

    public func setDisabled(_ disabled: Bool, subject: String) async throws -> Bool {
        guard synthetic(subject) != nil else { return false }
        return users.withLock { users in
            guard users[subject] != nil else { return false }
            users[subject]!.isDisabled = disabled
            return true
        }
    }
}
