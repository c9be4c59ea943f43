import ArgumentParser
import Foundation
import TokenLoad
import TokenResults
import TokenReport
import TokenHTTPClient
import TokenProbe

struct ProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Check a server against every refresh-token case with an HTTP face (pass / fail / n/a).",
        discussion: """
            Before the cases, a preflight sends one session through every endpoint of the profile \
            (login, resource, refresh, revoke): a wrong path, field or credential stops the probe at once. \
            --grace and --leeway describe the server: a case that depends on one not given is not applicable, \
            never judged against TokenBench's own defaults. Exit codes: 0 every applicable case passes; \
            1 a case fails; 64 invalid flags or files, or a certificate that does not verify; 69 the server \
            refused the preflight or is not there.
            """)

    @Argument(help: "The server, e.g. http://127.0.0.1:8080 or https://auth.example.com.")
    var url: String
    @Option(help: "The server's grace window (C1–C3 depend on it; C3 waits grace + 1 s). Unknown unless given.")
    var grace: String?
    @Option(help: "The server's clock-skew leeway (E1 waits past exp + leeway). Unknown unless given.")
    var leeway: String?
    @Option(name: .customLong("access-ttl"), help: "The server's access-token lifetime, when its answers have no expires_in and its tokens are not JWTs.")
    var accessTTL: String?
    @Option(name: .customLong("refresh-ttl"), help: "The server's refresh-token lifetime (recorded; no case waits for it).")
    var refreshTTL: String?
    @Option(name: .customLong("max-wait"), help: "E1 runs only when an access token expires, with leeway, within this long.")
    var maxWait: String = "30s"
    @Option(help: "Write the results as JSON to this file.")
    var json: String?
    @Option(name: .customLong("write-profile"), help: ArgumentHelp("Write what the preflight and the probe learned (paths, transports, rotation, lifetimes, what was given of grace and leeway) as a profile file that run --profile takes. Secrets become ${TOKENBENCH_CLIENT_SECRET} and ${TOKENBENCH_HEADER_<NAME>}.", valueName: "file"))
    var writeProfile: String?
    @Option(name: .customLong("admin-secret-file"), help: ArgumentHelp("tokenbench serve's admin secret (its --admin-secret-file): case U1 then disables a user through POST /admin/users/disable and checks that its session is refused. Without it U1 is not applicable.", valueName: "file"))
    var adminSecretFile: String?

    /// The admin secret of `--admin-secret-file`, trimmed.
    /// - Throws: `ValidationError` for an unreadable or empty file.
    func adminSecret() throws -> String? {
        guard let adminSecretFile else { return nil }
        guard let data = FileManager.default.contents(atPath: adminSecretFile), let text = String(data: data, encoding: .utf8) else {
            throw ValidationError("--admin-secret-file: cannot read '\(adminSecretFile)'")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty, !secret.contains(where: { $0.isWhitespace }) else {
            throw ValidationError("--admin-secret-file: '\(adminSecretFile)' holds no secret (one word, as serve reads it)")
        }
        return secret
    }
    @OptionGroup(title: "HTTP target") var http: HTTPOptions

    func seconds(_ text: String?, _ flag: String, _ range: ClosedRange<Double>, _ accepted: String) throws -> Double? {
        guard let text else { return nil }
        let v = try Flags.seconds(text, flag)
        guard range.contains(v) else { throw ValidationError("\(flag): expected \(accepted) (got '\(text)')") }
        return v
    }

    func validate() throws {
        guard url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") else {
            throw ValidationError("url: expected a URL such as http://127.0.0.1:8080 (got '\(url)')")
        }
        _ = try seconds(grace, "--grace", 0...300, "a duration of 0 ... 300s")
        _ = try seconds(leeway, "--leeway", 0...3600, "a duration of 0 ... 1h")
        _ = try seconds(accessTTL, "--access-ttl", 1...86_400, "a duration of 1s ... 24h")
        _ = try seconds(refreshTTL, "--refresh-ttl", 1...(400 * 86_400), "a duration of 1s ... 400 days")
        _ = try seconds(maxWait, "--max-wait", 0...3600, "a duration of 0 ... 1h")
        _ = try http.target(url: url, users: 64, accessTTL: 300)
        _ = try http.credentials()
        if let json, json.isEmpty { throw ValidationError("--json: expected a file path") }
        if let writeProfile {
            let folder = URL(fileURLWithPath: writeProfile).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard !writeProfile.isEmpty, !writeProfile.hasSuffix("/"), FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory),
                  isDirectory.boolValue else {
                throw ValidationError("--write-profile: expected a file path in an existing directory (got '\(writeProfile)')")
            }
        }
        _ = try adminSecret()
    }

    func run() async throws {
        // Enough connections on each event loop for C1's ten concurrent refreshes.
        let discovered = try await http.discover(url: url)
        var (target, _) = try http.target(url: url, users: 64, accessTTL: 300, discovered: discovered)
        let credentials = try http.credentials()
        let accessTTL = try seconds(accessTTL, "--access-ttl", 1...86_400, "")
        let findings: Preflight.Findings
        switch await Preflight.run(target, credentials: credentials, accessTTL: accessTTL) {
        case .success(let f):
            findings = f
            target.defaultExpiresIn = findings.accessLifetime
            FileHandle.standardError.write(Data(
                "preflight: login, resource, refresh\(target.canRevoke ? ", revoke" : "") answered; access tokens live \(Units.figure(findings.accessLifetime)) s (from \(findings.accessLifetimeSource))\n".utf8))
        case .failure(let failure):
            await target.shutdown()
            FileHandle.standardError.write(Data("tokenbench: preflight: \(failure.message)\n".utf8))
            throw ExitCode(failure.exitCode)
        }
        var probe = Probe(target: target, credentials: credentials,
                          grace: try seconds(grace, "--grace", 0...300, ""), leeway: try seconds(leeway, "--leeway", 0...3600, ""),
                          maxWait: try Flags.seconds(maxWait, "--max-wait"))
        probe.adminSecret = try adminSecret()
        let results = await probe.run { id in FileHandle.standardError.write(Data("probing \(id)…\n".utf8)) }
        await target.shutdown()
        print(ProbeResult.table(results))
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(results).write(to: URL(fileURLWithPath: json))
        }
        if let writeProfile {
            try writeAtomically(profileDocument(target: target, findings: findings, results: results), to: URL(fileURLWithPath: writeProfile))
            FileHandle.standardError.write(Data("profile written to \(writeProfile): give it to run --profile\n".utf8))
        }
        if results.contains(where: { $0.verdict == .fail }) { throw ExitCode(1) }
    }

    /// The profile `--write-profile` writes: the target's profile, and what is known of the
    /// server: rotation as R1 found it (always when every refresh rotated, never when none did),
    /// the lifetimes and where they came from, grace and leeway as given.
    func profileDocument(target: HTTPTarget, findings: Preflight.Findings, results: [ProbeResult]) throws -> Data {
        let r1 = results.first { $0.id == "R1" }
        let rotation = r1?.verdict == .pass ? "always" : (findings.rotates ? "auto" : "never")
        var known: [(String, String)] = [("rotation", rotation)]
        if let grace { known.append(("grace", grace)) }
        if let leeway { known.append(("leeway", leeway)) }
        if findings.accessLifetimeSource == "--access-ttl", let accessTTL { known.append(("access-ttl", accessTTL)) }
        if let refreshTTL {
            known.append(("refresh-ttl", refreshTTL))
        } else if let lifetime = findings.refreshLifetime {
            known.append(("refresh-ttl", "\(Int(lifetime))s"))
        }
        var facts = ["written by tokenbench probe \(url)",
                     "access tokens live \(Units.figure(findings.accessLifetime)) s (from \(findings.accessLifetimeSource))",
                     "rotation \(rotation) (R1: \(r1?.evidence ?? "not run"))"]
        if grace == nil { facts.append("grace window unknown (give \"grace\")") }
        if leeway == nil { facts.append("leeway unknown (give \"leeway\")") }
        if let t1 = results.first(where: { $0.id == "T1" }), t1.verdict != .notApplicable { facts.append("a refresh token at the resource: \(t1.evidence)") }
        return ProfileFile.document(describing: target.profile, description: facts.joined(separator: "; "), known: known, issuer: http.issuer)
    }
}
