import Foundation

/// `comparison.json` of `tokenbench capacity --store A --store B …`: every store's capacity
/// under the same SLOs and scenario, searched one after the other; each store once more at a
/// rate common to all (the lowest answer), and the store's own benchmark tool beside it.
public struct StoreComparison: Codable, Sendable {
    public static let schemaID = "tokenbench.store-comparison/v1"

    /// A store's own benchmark tool, run against the same server right after the store's
    /// common-rate step, with as many clients as the store's pool has connections.
    public struct Reference: Codable, Sendable, Hashable {
        /// `pgbench` (a one-row `UPDATE` by primary key, as a rotation is) or `redis-benchmark`
        /// (`SET`).
        public var tool: String
        /// The workload as run, without host or secrets, e.g. `pgbench -c 16 -T 5, one-row UPDATE`.
        public var workload: String
        /// Clients (the store's pool size).
        public var clients: Int
        /// What the tool measured, operations per second; `nil` when it could not run.
        public var operationsPerS: Double?
        /// Why there is no figure (the tool is not installed, or failed), if so.
        public var note: String?

        public init(tool: String, workload: String, clients: Int, operationsPerS: Double?, note: String? = nil) {
            self.tool = tool
            self.workload = workload
            self.clients = clients
            self.operationsPerS = operationsPerS
            self.note = note
        }

        enum CodingKeys: String, CodingKey {
            case tool, workload, clients, note
            case operationsPerS = "operations_per_s"
        }
    }

    /// One store: its search, its step at the common rate, its reference tool.
    public struct Entry: Codable, Sendable {
        /// The backend (`memory`, `sqlite`, `postgres`, `redis`, `redis-cluster`).
        public var store: String
        /// The whole search, as `capacity.json` holds it.
        public var capacity: CapacityResult
        /// One step at ``StoreComparison/commonRate``; `nil` without a common rate.
        public var atCommonRate: RunResult?
        /// `nil` for stores without a benchmark tool (memory, SQLite, Redis Cluster).
        public var reference: Reference?

        public init(store: String, capacity: CapacityResult, atCommonRate: RunResult? = nil, reference: Reference? = nil) {
            self.store = store
            self.capacity = capacity
            self.atCommonRate = atCommonRate
            self.reference = reference
        }

        /// The store's capacity over what its reference tool measured (a rotation is one
        /// conditional one-row write, plus the lookups and logins of the mix), when both exist.
        public var referenceRatio: Double? {
            guard let rate = capacity.answer.rate, let reference = reference?.operationsPerS, reference > 0 else { return nil }
            return rate / reference
        }

        enum CodingKeys: String, CodingKey {
            case store, capacity, reference
            case atCommonRate = "at_common_rate"
        }
    }

    public var schema = StoreComparison.schemaID
    public var slo: [String]
    public var search: CapacitySettings
    /// The highest rate every store with an answer passed (the lowest of their answers);
    /// `nil` when no store has one.
    public var commonRate: Double?
    public var stores: [Entry]

    public init(slo: [String], search: CapacitySettings, commonRate: Double?, stores: [Entry]) {
        self.slo = slo
        self.search = search
        self.commonRate = commonRate
        self.stores = stores
    }

    /// The common rate of a set of answers: the lowest rate of those with one (found or "at
    /// least"), `nil` when none has.
    public static func commonRate(of answers: [CapacityAnswer]) -> Double? {
        answers.filter { $0.outcome == .found || $0.outcome == .atLeast }.compactMap(\.rate).min()
    }

    enum CodingKeys: String, CodingKey {
        case schema, slo, search, stores
        case commonRate = "common_rate"
    }

    /// The file's bytes, as `capacity.json`'s.
    public func jsonData() throws -> Data { try prettyJSON(self) }
}
