import Foundation
import Testing
import TokenAuth
@testable import TokenAuthRedis

/// The Redis store's record format: every field survives a round trip; damaged records are
/// refused as corrupted, never read as a family.
@Suite("Redis family record")
struct FamilyRecordTests {
    static func family(previous: Bool, idle: Bool, revoked: RefreshFamily.RevocationReason?, client: String?) -> RefreshFamily {
        let t = Date(timeIntervalSince1970: 1_767_225_600.123456)
        return RefreshFamily(
            id: FamilyID(rawValue: 0x0123_4567_89AB_CDEF_0011_2233_4455_6677), subject: "ünïcode-user", clientID: client,
            createdAt: t, expiresAt: t.addingTimeInterval(3600), idleExpiresAt: idle ? t.addingTimeInterval(600.5) : nil,
            generation: previous ? 41 : 0, currentDigest: TokenDigest(of: Array("current".utf8)),
            previousDigest: previous ? TokenDigest(of: Array("previous".utf8)) : nil,
            issuedAt: t.addingTimeInterval(12.25), revokedAt: revoked == nil ? nil : t.addingTimeInterval(99.75),
            revocationReason: revoked)
    }

    @Test("round trip", arguments: [false, true], [nil, RefreshFamily.RevocationReason.logout, .logoutAll, .reuse])
    func roundTrip(_ previous: Bool, _ revoked: RefreshFamily.RevocationReason?) throws {
        for client in [nil, "web-app"] as [String?] {
            let f = Self.family(previous: previous, idle: previous, revoked: revoked, client: client)
            let bytes = FamilyRecord.encode(f)
            #expect(bytes.count == FamilyRecord.headLength + 4 + f.subject.utf8.count + (client?.utf8.count ?? 0))
            #expect(try FamilyRecord.decode(f.id, bytes) == f)
        }
    }

    @Test("damaged records are corrupted, not families")
    func damaged() {
        let good = FamilyRecord.encode(Self.family(previous: true, idle: true, revoked: nil, client: "c"))
        var wrongVersion = good
        wrongVersion[0] = 9
        var badReason = good
        badReason[114] = 7
        var badLength = good
        badLength[FamilyRecord.headLength] = 0xFF
        for bytes in [[], Array(good.prefix(60)), wrongVersion, badReason, badLength, Array(good.dropLast())] {
            let error = #expect(throws: StoreError.self) { try FamilyRecord.decode(FamilyID(rawValue: 1), bytes) }
            #expect(error?.code == .corrupted)
        }
    }
}
