import ArgumentParser
import Foundation
import TokenAuth
import TokenLoad
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

extension HTTPOptions {
    /// An HTTP target, after its preflight (``Preflight``): the session through every endpoint
    /// the run will use. What the preflight learned of the server (the access-token lifetime,
    /// a JWS refresh token's lifetime) goes into `configuration`. `nil` for other targets.
    /// - Throws: `ExitCode(69)` when the server refuses or is not there, `ExitCode(64)` when the
    ///   settings cannot work (a certificate that does not verify, a lifetime nobody gave, a
    ///   refresh lead longer than the server's access tokens live), each after one line.
    func prepareTarget(_ configuration: inout LoadConfiguration) async throws -> HTTPTarget? {
        guard configuration.target.hasPrefix("http") else { return nil }
        let discovered = try await discover(url: configuration.target)
        var (target, description) = try target(url: configuration.target, users: configuration.users,
                                                    accessTTL: configuration.accessTTL ?? 300, discovered: discovered)
        let findings: Preflight.Findings
        let givenAccessTTL = configuration.accessTTL
        switch await Preflight.run(target, credentials: try credentials(), accessTTL: configuration.accessTTL,
                                   users: configuration.users) {
        case .success(let f): findings = f
        case .failure(let failure):
            await target.shutdown()
            FileHandle.standardError.write(Data("tokenbench: preflight: \(failure.message)\n".utf8))
            throw ExitCode(failure.exitCode)
        }
        target.defaultExpiresIn = findings.accessLifetime
        configuration.accessTTL = findings.accessLifetime
        if let given = givenAccessTTL, findings.accessLifetimeSource != "--access-ttl", given != findings.accessLifetime {
            // The server's own answers win over the flag: say so, here and in the result's notes.
            description.accessTTLIgnored = given
            FileHandle.standardError.write(Data(
                "tokenbench: access tokens live \(Units.figure(findings.accessLifetime)) s (from \(findings.accessLifetimeSource); --access-ttl \(DurationValue.text(given)) ignored)\n".utf8))
        }
        description.accessLifetimeSource = findings.accessLifetimeSource
        if configuration.refreshTTL != nil {
            description.refreshLifetimeSource = "--refresh-ttl"
        } else if let lifetime = findings.refreshLifetime {
            configuration.refreshTTL = lifetime
            description.refreshLifetimeSource = "jwt"
        } else {
            description.refreshLifetimeSource = "unknown"
        }
        description.rotation = findings.rotates ? "rotates" : "keeps"
        configuration.http = description
        if !findings.rotates, configuration.replayRatio > 0 {
            await target.shutdown()
            FileHandle.standardError.write(Data(
                "tokenbench: --replay-ratio: the server keeps its refresh tokens (its refresh answer in the preflight kept the token, RFC 6749 §6): no token is ever spent, so there is nothing to replay\n".utf8))
            throw ExitCode(Verdict.badInput.exitCode)
        }
        if configuration.refreshLead >= findings.accessLifetime {
            await target.shutdown()
            FileHandle.standardError.write(Data(
                "tokenbench: --refresh-lead: expected a duration below the server's access-token lifetime (\(Units.figure(findings.accessLifetime)) s, from \(findings.accessLifetimeSource))\n".utf8))
            throw ExitCode(64)
        }
        if configuration.refreshRate != nil {
            // Each user's refresh interval (users ÷ refresh rate) against the server's lifetime.
            do throws(ConfigurationError) { try configuration.validate() } catch {
                await target.shutdown()
                FileHandle.standardError.write(Data("tokenbench: \(error.setting): expected \(error.accepted) (the server's access tokens live \(Units.figure(findings.accessLifetime)) s, from \(findings.accessLifetimeSource))\n".utf8))
                throw ExitCode(64)
            }
        }
        if var metrics = configuration.targetMetrics {
            // Read once now: a wrong URL fails here, not as a missing figure after the run.
            metrics.tls = tls
            configuration.targetMetrics = metrics
            let reader = try TargetMetricsReader(metrics)
            let read = await reader.cpuSeconds()
            await reader.shutdown()
            if case .failure(let failure) = read {
                await target.shutdown()
                FileHandle.standardError.write(Data("tokenbench: preflight: \(failure) (expected the server's Prometheus text with \(TargetMetricsSource.metric))\n".utf8))
                throw ExitCode(Verdict.unreachable.exitCode)
            }
        }
        return target
    }

}

extension OutputOptions {
    /// Creates the result directory before the run, so an unusable path fails at once (exit 64)
    /// instead of after the whole run. Results of an earlier run in it (the files `stale`
    /// names) are removed: they would join this run's in compare's medians.
    /// - Returns: the directory, or `nil` without `--out`.
    /// - Throws: `ValidationError` when it cannot be written.
    func prepareDirectory(removing stale: (String) -> Bool) throws -> URL? {
        guard let out else { return nil }
        let url = URL(fileURLWithPath: out)
        let probe = url.appendingPathComponent(".tokenbench-write-check")
        let existed = FileManager.default.fileExists(atPath: out)
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try Data().write(to: probe)
            try? FileManager.default.removeItem(at: probe)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? [] where stale(name) {
                try FileManager.default.removeItem(at: url.appendingPathComponent(name))
            }
        } catch {
            if !existed { try? FileManager.default.removeItem(at: url) }
            throw ValidationError("--out: expected a writable directory path (cannot write into '\(out)')")
        }
        return url
    }
}

/// Writes a file whole or not at all: into a temporary file beside it, then renamed.
func writeAtomically(_ data: Data, to url: URL) throws {
    try data.write(to: url, options: .atomic)
}

/// The checks `run` and `capacity` share: the store, HTTP and SLO flags fit the target, and
/// `--out` can be a directory.
/// - Throws: `ValidationError` naming the flag.
func validateTargetFlags(_ c: LoadConfiguration, store storeOptions: StoreOptions, http: HTTPOptions, slos: [SLO],
                         output: OutputOptions) throws {
    let spec = try storeOptions.spec()
    if c.target != "in-process", spec != .memory || storeOptions.storeConnections != nil {
        throw ValidationError("--store: applies to the in-process target only (a server picks its own: tokenbench serve --store)")
    }
    if c.target.hasPrefix("http") {
        _ = try http.target(url: c.target, users: c.users, accessTTL: c.accessTTL ?? 300)
        _ = try http.credentials()
    } else if http.profileFile != nil || http.caCertificate != nil || http.insecure || !http.headers.isEmpty {
        throw ValidationError("--profile, --cacert, --insecure, --header: apply to HTTP targets only (--target http://… or https://…)")
    }
    if c.target != "in-process", let phase = slos.first(where: { Operation(rawValue: $0.operation) == nil }) {
        throw ValidationError("--slo: phases such as '\(phase.operation)' are measured only with --target in-process")
    }
    if let out = output.out {
        if out.isEmpty { throw ValidationError("--out: expected a directory path (got an empty string)") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--out: expected a directory path (got the file '\(out)')")
        }
    }
}
