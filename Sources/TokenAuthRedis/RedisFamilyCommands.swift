import Foundation
import TokenAuth

/// The arguments the family scripts take and the meaning of their replies, shared by the
/// single-node and the cluster store (only the keys and the routing differ).
enum RedisFamilyCommands {
    static let getCommand = Array("GET".utf8)
    static let pexpiretimeCommand = Array("PEXPIRETIME".utf8)

    /// Time as text: the shortest decimal that reads back to the same `Double` (Swift's
    /// `description`), seconds since 1970.
    static func time(_ date: Date) -> [UInt8] { Array(date.timeIntervalSince1970.description.utf8) }

    /// A family's remaining life at creation, ms (at least 1): its key's TTL.
    static func lifetime(_ family: RefreshFamily) -> Int {
        max(1, Int((family.expiresAt.timeIntervalSince(family.createdAt) * 1000).rounded(.up)))
    }

    /// ``lifetime(_:)`` as a command argument.
    static func lifetimeMilliseconds(_ family: RefreshFamily) -> [UInt8] { Array(String(lifetime(family)).utf8) }

    /// The reply of a create script: 1 created, 0 the id exists.
    /// - Throws: ``StoreError`` `.conflict` when the family exists, `.corrupted` for another reply.
    static func checkCreated(_ reply: RedisReply) throws(StoreError) {
        guard case .integer(let created) = reply else { throw StoreError(.corrupted, "redis create: unexpected reply") }
        if created == 0 { throw StoreError(.conflict, "family exists") }
    }

    /// The reply of `GET` on a family key.
    static func family(_ id: FamilyID, from reply: RedisReply) throws(StoreError) -> RefreshFamily? {
        switch reply {
        case .null: return nil
        case .string(let record): return try FamilyRecord.decode(id, record)
        default: throw StoreError(.corrupted, "redis lookup: unexpected reply")
        }
    }

    /// ARGV of ``RedisScript/rotate``.
    static func rotateArguments(_ request: RotationRequest) -> [[UInt8]] {
        let idleCandidate = request.idleTimeout.map { time(request.now.addingTimeInterval($0)) } ?? []
        return [time(request.now), Array(String(request.presentedGeneration).utf8), request.presentedDigest.bytes,
                request.successorDigest.bytes, Array(request.graceWindow.description.utf8), idleCandidate]
    }

    /// The decision ``RedisScript/rotate`` returned.
    static func rotationOutcome(_ id: FamilyID, from reply: RedisReply) throws(StoreError) -> RotationOutcome {
        guard case .array(let items) = reply, let first = items.first?.bytes else {
            throw StoreError(.corrupted, "redis rotate: unexpected reply")
        }
        let decision = String(decoding: first, as: UTF8.self)
        switch decision {
        case "notfound": return .notFound
        case "mismatch": return .mismatch
        default: break
        }
        guard items.count == 2, let record = items[1].bytes else { throw StoreError(.corrupted, "redis rotate: unexpected reply") }
        let family = try FamilyRecord.decode(id, record)
        switch decision {
        case "rotate": return .rotated(family)
        case "grace": return .graceReplay(family)
        case "reuse": return .reuseDetected(family)
        case "revoked": return .revoked(family)
        case "expired": return .expired(family)
        default: throw StoreError(.corrupted, "redis rotate: unknown decision")
        }
    }

    /// ARGV of ``RedisScript/revoke``.
    static func revokeArguments(at now: Date, reason: RefreshFamily.RevocationReason) -> [[UInt8]] {
        [time(now), Array(String(FamilyRecord.reasonCode(reason)).utf8)]
    }

    /// The reply of ``RedisScript/revoke``: 1 revoked now, 0 already revoked, −1 no such family.
    static func revokeResult(_ reply: RedisReply) throws(StoreError) -> Int64 {
        guard case .integer(let n) = reply else { throw StoreError(.corrupted, "redis revoke: unexpected reply") }
        return n
    }

    /// An integer reply (`PEXPIRETIME`, a count).
    static func integer(_ reply: RedisReply, _ what: String) throws(StoreError) -> Int64 {
        guard case .integer(let n) = reply else { throw StoreError(.corrupted, "redis \(what): unexpected reply") }
        return n
    }

    /// Lua that deletes every key that starts with ARGV[1] on one server (tests; single node
    /// only: a cluster node refuses a script keys it was not given).
    static let deleteByPattern = """
        local n = 0
        for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do redis.call('DEL', k); n = n + 1 end
        return n
        """
}
