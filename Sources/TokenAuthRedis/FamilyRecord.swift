import Foundation
import TokenAuth

/// A family as one Redis string: a fixed binary head the Lua scripts read and rewrite with
/// Redis's `struct` library (`>BBddddddc32c32B`), then the subject and client id, which no
/// script changes. One `GET` and one `SET … KEEPTTL` per rotation, instead of a hash's dozen
/// fields: about half the server's work per rotation.
///
/// Head (big-endian, 115 bytes): version (1), flags (bit 0 previous digest present, bit 1 idle
/// deadline present, bit 2 revoked, bit 3 client id present), then as IEEE doubles: created,
/// expires, idle deadline (0 if none), issued, revoked (0 if none) — seconds since 1970 — and
/// the generation; the current and previous digests (32 bytes each, zeros if none); the
/// revocation reason (0 none, 1 logout, 2 logout_all, 3 reuse, 4 user_disabled). Tail: subject length (2 bytes)
/// and UTF-8, client id length (2 bytes) and UTF-8.
enum FamilyRecord {
    static let version: UInt8 = 1
    static let headLength = 2 + 6 * 8 + 32 + 32 + 1
    /// The `struct` format of the head, for the scripts.
    static let luaFormat = ">BBddddddc32c32B"

    static func reasonCode(_ r: RefreshFamily.RevocationReason?) -> UInt8 {
        switch r {
        case nil: 0
        case .logout: 1
        case .logoutAll: 2
        case .reuse: 3
        case .userDisabled: 4
        }
    }

    static func encode(_ f: RefreshFamily) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headLength + 4 + f.subject.utf8.count + (f.clientID?.utf8.count ?? 0))
        var flags: UInt8 = 0
        if f.previousDigest != nil { flags |= 1 }
        if f.idleExpiresAt != nil { flags |= 2 }
        if f.revokedAt != nil { flags |= 4 }
        if f.clientID != nil { flags |= 8 }
        out.append(version)
        out.append(flags)
        func double(_ d: Double) { withUnsafeBytes(of: d.bitPattern.bigEndian) { out.append(contentsOf: $0) } }
        double(f.createdAt.timeIntervalSince1970)
        double(f.expiresAt.timeIntervalSince1970)
        double(f.idleExpiresAt?.timeIntervalSince1970 ?? 0)
        double(f.issuedAt.timeIntervalSince1970)
        double(f.revokedAt?.timeIntervalSince1970 ?? 0)
        double(Double(f.generation))
        out.append(contentsOf: f.currentDigest.bytes)
        out.append(contentsOf: f.previousDigest?.bytes ?? [UInt8](repeating: 0, count: 32))
        out.append(reasonCode(f.revocationReason))
        func text(_ s: String) {
            let bytes = Array(s.utf8.prefix(Int(UInt16.max)))
            out.append(UInt8(bytes.count >> 8))
            out.append(UInt8(bytes.count & 0xFF))
            out.append(contentsOf: bytes)
        }
        text(f.subject)
        text(f.clientID ?? "")
        return out
    }

    /// - Throws: ``StoreError`` `.corrupted` for a value that is not a record of this version.
    static func decode(_ id: FamilyID, _ b: [UInt8]) throws(StoreError) -> RefreshFamily {
        guard b.count >= headLength + 4, b[0] == version else { throw StoreError(.corrupted, "redis: malformed family record") }
        func double(_ at: Int) -> Double {
            var bits: UInt64 = 0
            for i in 0..<8 { bits = (bits << 8) | UInt64(b[at + i]) }
            return Double(bitPattern: bits)
        }
        func date(_ at: Int) -> Date { Date(timeIntervalSince1970: double(at)) }
        let flags = b[1]
        let generation = double(42)
        guard generation >= 0, generation < 9_007_199_254_740_992, generation == generation.rounded(),
              let current = TokenDigest(bytes: b[50..<82]), let previous = TokenDigest(bytes: b[82..<114]) else {
            throw StoreError(.corrupted, "redis: malformed family record")
        }
        let reason: RefreshFamily.RevocationReason?
        switch b[114] {
        case 0: reason = nil
        case 1: reason = .logout
        case 2: reason = .logoutAll
        case 3: reason = .reuse
        case 4: reason = .userDisabled
        default: throw StoreError(.corrupted, "redis: unknown revocation reason")
        }
        var at = headLength
        func text() throws(StoreError) -> String {
            guard at + 2 <= b.count else { throw StoreError(.corrupted, "redis: truncated family record") }
            let n = Int(b[at]) << 8 | Int(b[at + 1])
            guard at + 2 + n <= b.count else { throw StoreError(.corrupted, "redis: truncated family record") }
            defer { at += 2 + n }
            return String(decoding: b[(at + 2)..<(at + 2 + n)], as: UTF8.self)
        }
        let subject = try text()
        let client = try text()
        return RefreshFamily(
            id: id, subject: subject, clientID: flags & 8 != 0 ? client : nil,
            createdAt: date(2), expiresAt: date(10), idleExpiresAt: flags & 2 != 0 ? date(18) : nil,
            generation: UInt64(generation), currentDigest: current, previousDigest: flags & 1 != 0 ? previous : nil,
            issuedAt: date(26), revokedAt: flags & 4 != 0 ? date(34) : nil, revocationReason: reason)
    }
}
