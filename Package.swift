// swift-tools-version:6.2
import PackageDescription


let package = Package(
    name: "TokenBench",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TokenAuth", targets: ["TokenAuth"]),
        .library(name: "TokenAuthTesting", targets: ["TokenAuthTesting"]),
        .library(name: "TokenAuthServer", targets: ["TokenAuthServer"]),
        .library(name: "TokenAuthOpenSSL", targets: ["TokenAuthOpenSSL"]),
        .library(name: "TokenResults", targets: ["TokenResults"]),
        .library(name: "TokenReport", targets: ["TokenReport"]),
        .library(name: "TokenPool", targets: ["TokenPool"]),
        .library(name: "TokenHTTPClient", targets: ["TokenHTTPClient"]),
        .library(name: "TokenLoad", targets: ["TokenLoad"]),
        .library(name: "TokenProbe", targets: ["TokenProbe"]),
        .library(name: "TokenAuthSQLite", targets: ["TokenAuthSQLite"]),
        .library(name: "TokenAuthPostgres", targets: ["TokenAuthPostgres"]),
        .library(name: "TokenAuthRedis", targets: ["TokenAuthRedis"]),
        .executable(name: "tokenbench", targets: ["tokenbench"]),
        .executable(name: "tokenbench-jemalloc", targets: ["tokenbench-jemalloc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-extras/swift-extras-base64.git", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftcsv/SwiftCSV.git", from: "0.10.0"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/ordo-one/package-benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Debian's libargon2 (the reference implementation), reached through pkg-config.
        .systemLibrary(
            name: "CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"])]
        ),
        // Debian's libhiredis (the reference Redis client library), reached through pkg-config.
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // Debian's zlib: the DEFLATE of HdrHistogram's compressed V2 encoding (latency.hlog).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Debian's OpenSSL 3 libcrypto: the `--crypto openssl` backend (TokenAuthOpenSSL).
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // The core: service, tokens, keys, store protocol, memory store. Imports no sibling target.
        .target(
            name: "TokenAuth",
            dependencies: [
                "CArgon2",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                // NIOLock: the lock under `Locked`, which ThreadSanitizer sees.
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The OpenSSL crypto backend: HMAC, SHA-256 and JWS signatures through libcrypto's EVP.
        .target(
            name: "TokenAuthOpenSSL",
            dependencies: ["TokenAuth", "COpenSSL"]
        ),
        // Test kit: the store conformance suite every RefreshTokenStore runs.
        .target(
            name: "TokenAuthTesting",
            dependencies: [
                "TokenAuth",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ]
        ),
        // One connection pool (a pure state machine in a thin locked shell) and one event-loop
        // task executor: shared by the stores and the driver's HTTP client. No TokenAuth.
        .target(
            name: "TokenPool",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // Durable stores: one target each, so a user links only the backend it uses.
        .target(
            name: "TokenAuthSQLite",
            dependencies: [
                "TokenAuth",
                "TokenPool",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TokenAuthPostgres",
            dependencies: [
                "TokenAuth",
                "TokenPool",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "TokenAuthRedis",
            dependencies: [
                "TokenAuth",
                "TokenPool",
                "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP server: the native API of docs/serve.md on Hummingbird 2.
        .target(
            name: "TokenAuthServer",
            dependencies: [
                "TokenAuth",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Results on files alone: the result schema, verdicts, SLOs, comparison, merge, the
        // HdrHistogram codec and .hlog, units. No NIO, no driver, no TokenAuth: `merge`,
        // `compare` and `report` read files and nothing else.
        .target(
            name: "TokenResults",
            dependencies: [
                "CZlib",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ]
        ),
        // Console tables, the HTML report and its SVG charts, over TokenResults only.
        .target(
            name: "TokenReport",
            dependencies: ["TokenResults"]
        ),
        // The driver's HTTP/1 client: connections, TLS settings, requests and answers. No
        // TokenAuth; TokenResults for the one latency histogram and clock of connection timings.
        .target(
            name: "TokenHTTPClient",
            dependencies: [
                "TokenResults",
                "TokenPool",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // The load driver: virtual users, workers, targets, configuration, faults, capacity
        // search. Does not import the server.
        .target(
            name: "TokenLoad",
            dependencies: [
                "TokenAuth",
                "TokenPool",
                "TokenResults",
                "TokenHTTPClient",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "SwiftCSV", package: "SwiftCSV"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
            ]
        ),
        // The probe (the conformance table of a server) and the preflight of HTTP runs.
        .target(
            name: "TokenProbe",
            dependencies: [
                "TokenLoad",
                "TokenResults",
                "TokenHTTPClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The thin CLI: parses arguments and wires targets together (a library, so that the
        // two executables below share it).
        .target(
            name: "TokenBenchCLI",
            dependencies: [
                "TokenAuth",
                "TokenAuthOpenSSL",
                "TokenAuthServer",
                "TokenResults",
                "TokenReport",
                "TokenHTTPClient",
                "TokenLoad",
                "TokenProbe",
                "TokenAuthSQLite",
                "TokenAuthPostgres",
                "TokenAuthRedis",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `tokenbench`: the CLI on glibc's malloc.
        .executableTarget(
            name: "tokenbench",
            dependencies: ["TokenBenchCLI"]
        ),
        // `tokenbench-jemalloc`: the same CLI linked with Debian's jemalloc (libjemalloc-dev),
        // which then serves every allocation of the process (docs/crypto-and-allocators.md, "Allocators").
        .executableTarget(
            name: "tokenbench-jemalloc",
            dependencies: ["TokenBenchCLI"],
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),
        .testTarget(
            name: "TokenLoadTests",
            dependencies: [
                "TokenLoad", "TokenResults", "TokenReport", "TokenHTTPClient", "TokenProbe", "TokenAuth",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "TokenPoolTests",
            dependencies: ["TokenPool", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")]
        ),
        .testTarget(
            name: "TokenResultsTests",
            dependencies: ["TokenResults"]
        ),
        .testTarget(
            name: "TokenReportTests",
            dependencies: ["TokenReport", "TokenResults", "TokenLoad", "TokenAuth"]
        ),
        .testTarget(
            name: "TokenAuthServerTests",
            dependencies: [
                "TokenAuthServer",
                "TokenAuth",
                "TokenAuthTesting",
                "TokenLoad",
                "TokenResults",
                "TokenReport",
                "TokenHTTPClient",
                "TokenProbe",
                "TokenAuthRedis",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "TokenAuthStoreTests",
            dependencies: [
                "TokenAuth",
                "TokenAuthTesting",
                "TokenLoad",
                "TokenResults",
                "TokenAuthSQLite",
                "TokenAuthPostgres",
                "TokenAuthRedis",
            ]
        ),
        .testTarget(
            name: "tokenbenchTests",
            dependencies: [
                "tokenbench", "tokenbench-jemalloc", "TokenAuthTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            // Result files the compare tests read by path (see Fixtures/compare/README.md).
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "TokenAuthTests",
            dependencies: [
                "TokenAuth",
                "TokenAuthOpenSSL",
                .product(name: "JWTKit", package: "jwt-kit"),
                "TokenAuthTesting",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]
        ),
        // The reference of Benchmarks/http-reference.sh: a bare Hummingbird 2 app answering
        // GET /healthz as `serve` does, without its middleware.
        .executableTarget(
            name: "bare-hummingbird",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Benchmarks/BareHummingbird"
        ),
        // package-benchmark micro-benchmarks (Benchmarks/<Target>/).
        .executableTarget(
            name: "TokenAuthBenchmarks",
            dependencies: [
                "TokenAuth",
                "TokenAuthOpenSSL",
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Benchmarks/TokenAuthBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
    ]
)

// The libFuzzer targets (Tests/Fuzz; docs/fuzzing-and-sanitizers.md), built by script/fuzz; a plain build has none
// (libFuzzer supplies their `main`, a plain link would fail).
// - TOKENBENCH_FUZZ=1 (CI's smoke): only TokenBench's own modules are compiled with
//   `-sanitize=fuzzer,address`, in the usual .build: the dependencies already built there
//   are reused, so the smoke costs minutes, not a second full build.
// - TOKENBENCH_FUZZ=full (the campaigns): with `--sanitize=fuzzer --sanitize=address` in
//   .build-fuzz, every module instrumented. The benchmark target goes: its plugin's tools would
//   be instrumented too, and libFuzzer's `main` clashes with theirs.
let fuzzMode = Context.environment["TOKENBENCH_FUZZ"]
let ourModules: Set<String> = [
    "TokenAuth", "TokenAuthServer", "TokenResults", "TokenReport", "TokenPool", "TokenHTTPClient", "TokenLoad", "TokenProbe",
    "TokenBenchCLI",
]
if fuzzMode == "1" || fuzzMode == "full" {
    var swiftSettings: [SwiftSetting] = []
    var linkerSettings: [LinkerSetting] = []
    if fuzzMode == "1" {
        swiftSettings = [.unsafeFlags(["-sanitize=fuzzer,address"])]
        linkerSettings = [.unsafeFlags(["-sanitize=fuzzer,address"])]
        for target in package.targets where ourModules.contains(target.name) {
            target.swiftSettings = (target.swiftSettings ?? []) + swiftSettings
        }
    } else {
        package.targets.removeAll { $0.name == "TokenAuthBenchmarks" }
    }
    package.targets.append(.executableTarget(
        name: "tokenbench-fuzz",
        dependencies: [
            "TokenAuth", "TokenAuthServer", "TokenResults", "TokenReport", "TokenLoad", "TokenProbe", "TokenHTTPClient", "TokenBenchCLI",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "ExtrasBase64", package: "swift-extras-base64"),
        ],
        path: "Tests/Fuzz/TokenBenchFuzz",
        // The smoke build links like any executable (SwiftPM points `main` at the module's
        // entry point): the file then defines that entry point, which runs libFuzzer's driver.
        swiftSettings: swiftSettings + (fuzzMode == "1" ? [.unsafeFlags(["-parse-as-library"]), .define("TOKENBENCH_FUZZ_ENTRY")] : []),
        linkerSettings: linkerSettings
    ))
}

// Warnings are errors in every target of ours (swift-nio's CI does the same): a release or
// test build that prints a warning from our code fails, so none accumulates. Dependencies
// keep their own settings.
for target in package.targets where target.type != .system && target.type != .plugin && target.type != .binary {
    target.swiftSettings = (target.swiftSettings ?? []) + [.treatAllWarnings(as: .error)]
}
