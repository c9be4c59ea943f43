import ArgumentParser
import Foundation
import TokenAuth
import TokenLoad
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

struct StoreBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store-bench",
        abstract: "Measure one store operation alone (rotate or lookup) at one or more concurrency levels.",
        discussion: """
            C clients, each on a family of its own, issue the operation back to back (closed model, \
            no think time). Compare with the server's own tool at the same connection count, e.g. \
            redis-benchmark -t set -c C or pgbench -c C; use --store-connections C so the pool matches.
            """)

    @OptionGroup(title: "Store") var storeOptions: StoreOptions
    @Option(help: "Operation: rotate (the compare-and-swap) or lookup (the session check).")
    var operation: String = "rotate"
    @Option(help: ArgumentHelp("Concurrent clients, one level or a comma-separated list (e.g. 1,8,50).", valueName: "levels"))
    var concurrency: String = "1"
    @Option(help: "Measured duration per level (e.g. 5s).")
    var duration: String = "5s"
    @Option(help: "Warm-up per level, not measured.")
    var warmup: String = "1s"
    @Flag(help: "Print the results as JSON.")
    var json = false
    @Option(help: "rotate only: also do the server's token work around each compare-and-swap (parse and MAC-check the presented refresh token, mint its successor) with this crypto library: boringssl or openssl. Default: synthetic digests, the store alone.")
    var crypto: CryptoChoice?

    func levels() throws -> [Int] { try Flags.levels(concurrency, "--concurrency", 1...10_000) }

    func validate() throws {
        _ = try storeOptions.spec()
        _ = try levels()
        guard StoreBenchmark<AnyRefreshTokenStore>.Operation(rawValue: operation) != nil else {
            throw ValidationError("--operation: expected rotate or lookup (got '\(operation)')")
        }
        if crypto != nil, operation != "rotate" { throw ValidationError("--crypto: applies to --operation rotate (a lookup handles no token)") }
        let d = try Flags.seconds(duration, "--duration")
        let w = try Flags.seconds(warmup, "--warmup")
        guard d > 0, d <= 3600 else { throw ValidationError("--duration: expected more than 0 s and at most 1 h") }
        guard w >= 0, w <= 600 else { throw ValidationError("--warmup: expected 0 s … 10 min") }
    }

    func run() async throws {
        let op = StoreBenchmark<AnyRefreshTokenStore>.Operation(rawValue: operation)!
        let seconds = try Flags.seconds(duration, "--duration")
        let warm = try Flags.seconds(warmup, "--warmup")
        let results = try await storeOptions.withOpened { opened in
            // Network stores: clients on the event loops their connections use (as redis-benchmark
            // and pgbench run clients on their I/O threads). SQLite: on the cooperative pool.
            let bench = StoreBenchmark(store: opened.store, statistics: opened.statistics,
                                       clientsOnEventLoops: opened.backend == "redis" || opened.backend == "postgres",
                                       codec: crypto.map { RefreshTokenCodec(random: SystemRandomSource(), crypto: $0.backend) })
            var results: [StoreBenchmark<AnyRefreshTokenStore>.Result] = []
            if !json {
                print("store \(opened.backend), operation \(op.rawValue)\(crypto.map { " with token crypto (\($0.backend.library))" } ?? ""), \(ProcessInfo.processInfo.activeProcessorCount) cores")
                print("clients      ops/s    errors       p50       p99     p99.9   (latency µs)  retries  busy  pool_waits")
            }
            for level in try levels() {
                let r = await bench.run(op, concurrency: level, seconds: seconds, warmup: warm)
                results.append(r)
                if !json {
                    let c = r.counters
                    print(String(format: "%7d %10.0f %9d %9.1f %9.1f %9.1f %8d %5d %11d", r.concurrency, r.throughputPerS, r.errors,
                                 r.latencyUs.p50, r.latencyUs.p99, r.latencyUs.p999, c?.retries ?? 0, c?.busy ?? 0, c?.poolWaits ?? 0))
                }
            }
            return results
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        }
    }
}
