import Foundation
import NIOPosix
import TokenAuth
import TokenResults
import TokenPool
import TokenHTTPClient

/// Measures one store operation alone, without the rest of the service: `C` concurrent
/// clients (tasks), each on a family of its own, each issuing the operation back to back for
/// the duration (a closed model with no think time: throughput at concurrency `C`). This is
/// the figure to hold against `redis-benchmark -t set -c C` or `pgbench -c C` on the same
/// server.
///
/// - `rotate`: each client rotates its family over and over (the compare-and-swap: every call
///   must answer `.rotated`, anything else is counted as an error).
/// - `lookup`: each client reads its family (the session check of a resource call).
public struct StoreBenchmark<Store: RefreshTokenStore>: Sendable {
    public enum Operation: String, Sendable, CaseIterable {
        case rotate, lookup
    }

    /// The figures of one level.
    public struct Result: Sendable, Codable, Hashable {
        public var operation: String
        public var concurrency: Int
        public var count: Int
        public var errors: Int
        public var throughputPerS: Double
        public var latencyUs: LatencySummary
        public var counters: StoreStatistics.Snapshot?

        enum CodingKeys: String, CodingKey {
            case operation, concurrency, count, errors, counters
            case throughputPerS = "throughput_per_s"
            case latencyUs = "latency_us"
        }
    }

    public let store: Store
    public let statistics: StoreStatistics?
    /// Whether client `i` runs on event loop `i mod n` of SwiftNIO's shared group (the loops
    /// network stores do their I/O on), as `redis-benchmark` and `pgbench` run their clients
    /// on their I/O threads; otherwise on Swift's cooperative pool.
    public let clientsOnEventLoops: Bool
    /// With a codec (`--crypto`), each rotation also does the server's token work around the
    /// compare-and-swap: it parses the presented refresh token (MAC check, SHA-256) and mints
    /// its successor (MAC, SHA-256, base64url), so that the latency includes the crypto
    /// library. Without one, digests are synthetic and the store alone is measured.
    public let codec: RefreshTokenCodec?

    public init(store: Store, statistics: StoreStatistics?, clientsOnEventLoops: Bool = false, codec: RefreshTokenCodec? = nil) {
        self.store = store
        self.statistics = statistics
        self.clientsOnEventLoops = clientsOnEventLoops
        self.codec = codec
    }

    /// A distinct digest per family and generation, without hashing (the benchmark measures
    /// the store, not SHA-256).
    package static func digest(_ id: FamilyID, _ generation: UInt64) -> TokenDigest {
        var bytes = id.bytes
        withUnsafeBytes(of: generation.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8](repeating: 0xA5, count: 8))
        return TokenDigest(bytes: bytes)!
    }

    /// Runs `operation` with `concurrency` clients for `seconds` (after `warmup` seconds not
    /// measured).
    public func run(_ operation: Operation, concurrency: Int, seconds: Double, warmup: Double = 1) async -> Result {
        let random = SystemRandomSource()
        let now = Date()
        var families: [RefreshFamily] = []
        for i in 0..<concurrency {
            var f = RefreshFamily(
                id: FamilyID.random(using: random), subject: "bench\(i % 1000)", clientID: nil, createdAt: now,
                expiresAt: now.addingTimeInterval(86_400), idleExpiresAt: nil, generation: 0,
                currentDigest: Self.digest(FamilyID(rawValue: UInt128(i)), 0), previousDigest: nil, issuedAt: now)
            if let codec { f.currentDigest = codec.mint(family: f.id, generation: 0).digest }
            try? await store.create(f)
            families.append(f)
        }
        let start = monotonicNanoseconds()
        let measureFrom = start &+ UInt64(warmup * 1e9)
        let end = measureFrom &+ UInt64(seconds * 1e9)
        let startCounters = SnapshotBox()
        let statistics = statistics
        let store = store
        let parts = await withTaskGroup(of: (LatencyHistogram, Int).self) { group in
            if let statistics {
                group.addTask {
                    let t = monotonicNanoseconds()
                    if measureFrom > t { try? await Task.sleep(nanoseconds: measureFrom - t) }
                    startCounters.value.withLock { $0 = statistics.snapshot }
                    return (LatencyHistogram.latency(), 0)
                }
            }
            let loops = clientsOnEventLoops ? Array(MultiThreadedEventLoopGroup.singleton.makeIterator()) : []
            for (i, family) in families.enumerated() {
                let executor: (any TaskExecutor)? = loops.isEmpty ? nil : EventLoopTaskExecutor(loops[i % loops.count])
                group.addTask(executorPreference: executor) {
                    var h = LatencyHistogram.latency()
                    var errors = 0
                    var generation: UInt64 = 0
                    var digest = family.currentDigest
                    let codec = codec
                    var token = codec?.mint(family: family.id, generation: 0).token ?? ""
                    while true {
                        let t0 = monotonicNanoseconds()
                        if t0 >= end { break }
                        var ok = true
                        switch operation {
                        case .rotate:
                            var successor = Self.digest(family.id, generation + 1)
                            var minted = ""
                            if let codec {
                                // What the server does with the token: parse and check it, mint the next.
                                if let handle = codec.parse(token), handle.generation == generation {
                                    digest = handle.digest
                                    (minted, successor) = codec.mint(family: family.id, generation: generation + 1)
                                } else {
                                    ok = false
                                }
                            }
                            let outcome = !ok ? nil : try? await store.rotate(RotationRequest(
                                family: family.id, presentedGeneration: generation, presentedDigest: digest,
                                successorDigest: successor, now: Date(), graceWindow: 10, idleTimeout: nil))
                            if case .rotated = outcome {
                                generation += 1
                                digest = successor
                                token = minted
                            } else {
                                ok = false
                            }
                        case .lookup:
                            let found = try? await store.family(family.id)
                            ok = found != nil
                        }
                        let t1 = monotonicNanoseconds()
                        if t0 >= measureFrom {
                            if ok { _ = h.record(max(1, t1 &- t0)) } else { errors += 1 }
                        }
                    }
                    return (h, errors)
                }
            }
            var merged = LatencyHistogram.latency()
            var errors = 0
            for await (h, e) in group {
                merged.add(h)
                errors += e
            }
            return (merged, errors)
        }
        let counters = statistics.map { $0.snapshot.subtracting(startCounters.value.withLock { $0 } ?? StoreStatistics.Snapshot()) }
        return Result(
            operation: operation.rawValue, concurrency: concurrency, count: Int(parts.0.totalCount), errors: parts.1,
            throughputPerS: (Double(parts.0.totalCount) / seconds).rounded(toPlaces: 1),
            latencyUs: LatencySummary(parts.0), counters: counters)
    }
}
