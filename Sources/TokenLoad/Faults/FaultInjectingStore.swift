import Foundation
import TokenAuth
import TokenResults

/// A fault-injecting store wrapper (not a store, not a mock of one): passes every call to a
/// real store, except while a ``Fault`` of its ``FaultSchedule`` is active, when it delays the
/// call (`store-latency`), fails it as unreachable (`store-outage`), or fails a share of calls
/// (`store-errors`): half of those before the call reaches the store, half after the store did
/// it (the answer lost, the worst case for a rotation: the store rotated, the client never
/// learns the successor).
///
/// Failures are ``StoreError`` `.unavailable`, as a real outage is, so the core answers
/// `temporarily_unavailable` (503 over HTTP) and fails closed.
public struct FaultInjectingStore<Base: RefreshTokenStore>: RefreshTokenStore {
    public let base: Base
    public let schedule: FaultSchedule

    public init(_ base: Base, schedule: FaultSchedule) {
        self.base = base
        self.schedule = schedule
    }

    package static var outage: StoreError { StoreError(.unavailable, "fault injected: store outage") }
    package static var lost: StoreError { StoreError(.unavailable, "fault injected: the store's answer was lost") }

    /// Applies the active faults around `call`.
    @inline(__always)
    private func inject<T>(_ call: () async throws(StoreError) -> T) async throws(StoreError) -> T {
        guard let active = schedule.active() else { return try await call() }
        schedule.countInjection()
        if active.latency > 0 { try? await Task.sleep(nanoseconds: UInt64(active.latency * 1e9)) }
        if active.outage { throw Self.outage }
        if active.errors > 0, Double.random(in: 0..<1) < active.errors {
            if Bool.random() { throw Self.outage }
            _ = try await call()
            throw Self.lost
        }
        return try await call()
    }

    public func create(_ family: RefreshFamily) async throws(StoreError) {
        try await inject { () async throws(StoreError) in try await base.create(family) }
    }

    public func family(_ id: FamilyID) async throws(StoreError) -> RefreshFamily? {
        try await inject { () async throws(StoreError) in try await base.family(id) }
    }

    public func rotate(_ request: RotationRequest) async throws(StoreError) -> RotationOutcome {
        try await inject { () async throws(StoreError) in try await base.rotate(request) }
    }

    public func revoke(_ id: FamilyID, at now: Date, reason: RefreshFamily.RevocationReason) async throws(StoreError) -> Bool {
        try await inject { () async throws(StoreError) in try await base.revoke(id, at: now, reason: reason) }
    }

    public func revokeAll(subject: String, at now: Date) async throws(StoreError) -> Int {
        try await inject { () async throws(StoreError) in try await base.revokeAll(subject: subject, at: now) }
    }

    public func purgeExpired(asOf now: Date) async throws(StoreError) -> Int {
        try await inject { () async throws(StoreError) in try await base.purgeExpired(asOf: now) }
    }
}
