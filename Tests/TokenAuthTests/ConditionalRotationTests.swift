import Foundation
import Synchronization
import Testing
import TokenAuth

/// `ConditionalRotation` over scripted primitives (stand-ins for SQL statements, named as
/// such: each test states what the "store" answers).
@Suite("Conditional rotation")
struct ConditionalRotationTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)
    static let current = TokenDigest(of: Array("current".utf8))

    static func family(generation: UInt64 = 3, revoked: Bool = false) -> RefreshFamily {
        RefreshFamily(id: FamilyID(rawValue: 42), subject: "u", clientID: nil, createdAt: now.addingTimeInterval(-60),
                      expiresAt: now.addingTimeInterval(3600), idleExpiresAt: nil, generation: generation,
                      currentDigest: current, previousDigest: TokenDigest(of: Array("previous".utf8)),
                      issuedAt: now.addingTimeInterval(-30), revokedAt: revoked ? now : nil, revocationReason: revoked ? .logout : nil)
    }

    static func request(generation: UInt64, digest: TokenDigest = current) -> RotationRequest {
        RotationRequest(family: FamilyID(rawValue: 42), presentedGeneration: generation, presentedDigest: digest,
                        successorDigest: TokenDigest(of: Array("next".utf8)), now: now, graceWindow: 10, idleTimeout: nil)
    }

    @Test("swap missed but the family reads as current: the store's expiry verdict stands (no retry loop)")
    func boundaryDisagreement() async throws {
        let swaps = Atomic<Int>(0)
        let primitives = ConditionalRotation.Primitives(
            swap: { _ throws(StoreError) in swaps.add(1, ordering: .relaxed); return nil },
            read: { _ throws(StoreError) in Self.family() },
            revokeForReuse: { _, _, _ throws(StoreError) in Issue.record("no revocation expected"); return nil })
        let outcome = try await ConditionalRotation.rotate(Self.request(generation: 3), primitives)
        #expect(outcome == .expired(Self.family()))
        #expect(swaps.load(ordering: .relaxed) == 1)
    }

    @Test("a reuse whose revocation loses a race decides again on the new state")
    func reuseLosesRace() async throws {
        let reads = Atomic<Int>(0)
        let primitives = ConditionalRotation.Primitives(
            swap: { _ throws(StoreError) in nil },
            read: { _ throws(StoreError) in
                // First read: live at generation 3 (a reuse of generation 1); then revoked by another step.
                reads.add(1, ordering: .relaxed).oldValue == 0 ? Self.family() : Self.family(revoked: true)
            },
            revokeForReuse: { _, generation, _ throws(StoreError) in
                #expect(generation == 3)
                return nil // the family moved before this conditional update
            })
        var retries = 0
        let outcome = try await ConditionalRotation.rotate(Self.request(generation: 1), primitives, onRetry: { retries += 1 })
        #expect(outcome == .revoked(Self.family(revoked: true)))
        #expect(retries == 1)
    }
}
