import Foundation
import Testing
import TokenAuth
@testable import TokenLoad
@testable import TokenResults

@Suite("The driver's records in result.json: the same names and values as the core's and the driver's types")
struct RecordTests {
    @Test("MeasuredPhase names exactly the core's AuthPhase cases")
    func phasesMirrorTheCore() {
        #expect(Set(MeasuredPhase.allCases.map(\.rawValue)) == Set(AuthPhase.allCases.map(\.rawValue)))
    }

    @Test("a configuration's record reads back as the same configuration, and its typed settings agree")
    func configurationRecord() throws {
        var c = LoadConfiguration()
        c.model = .open
        c.rate = 750
        c.users = 3000
        c.seed = UInt64.max
        c.maxLag = nil
        c.thinkTime = 4
        c.algorithm = .es256
        c.shard = .init(index: 2, count: 3)
        let record = c.record
        #expect(try LoadConfiguration(record: record) == c)
        #expect(record.model == "open")
        #expect(record.users == 3000)
        #expect(record.rate == 750)
        #expect(record.algorithm == AccessTokenAlgorithm.es256.rawValue)
        #expect(record.shard?.description == "2/3")
        #expect(record.maxLagBound == c.effectiveMaxLag)
        c.model = .closed
        #expect(c.record.maxLagBound == c.effectiveMaxLag)
    }

    @Test("the store's counters are recorded field by field")
    func counters() {
        var s = StoreStatistics.Snapshot()
        s.retries = 1; s.busy = 2; s.serializationFailures = 3; s.poolWaits = 4; s.poolWaitUs = 5; s.reconnects = 6; s.unavailable = 7
        #expect(s.record == StoreCounters(retries: 1, busy: 2, serializationFailures: 3, poolWaits: 4, poolWaitUs: 5, reconnects: 6, unavailable: 7))
        let data = try? JSONEncoder().encode(s)
        let again = data.flatMap { try? JSONDecoder().decode(StoreCounters.self, from: $0) }
        #expect(again == s.record, "the same JSON keys")
    }
}
