import Foundation
import SwiftCSV
import TokenAuth
import TokenResults

/// The username and password of virtual user `n`: a pattern (`user{n}` / `pw-{n}`, the
/// synthetic users of `tokenbench serve`) or the rows of a CSV file with the columns
/// `username,password` (user `n` takes row `n mod rows`).
public struct Credentials: Sendable, Hashable {
    package enum Source: Sendable, Hashable {
        case pattern(username: [String], password: [String])
        case rows(usernames: [String], passwords: [String])
    }

    package let source: Source

    /// Patterns in which `{n}` stands for the user number.
    public init(usernamePattern: String = "user{n}", passwordPattern: String = "pw-{n}") {
        source = .pattern(username: usernamePattern.components(separatedBy: "{n}"),
                          password: passwordPattern.components(separatedBy: "{n}"))
    }

    /// Reads a CSV file with a header naming the columns `username` and `password`.
    /// - Throws: ``ConfigurationError`` (setting `--users-csv`) when the file cannot be read,
    ///   does not parse, lacks either column or has no rows.
    public init(csvFile path: String) throws(ConfigurationError) {
        let accepted = "a readable CSV file with a header row naming the columns username and password, and at least one row"
        let csv: CSV<Named>
        do {
            csv = try CSV<Named>(url: URL(fileURLWithPath: path), delimiter: .comma, loadColumns: false)
        } catch {
            throw ConfigurationError(setting: "--users-csv", accepted: accepted)
        }
        guard csv.header.contains("username"), csv.header.contains("password") else {
            throw ConfigurationError(setting: "--users-csv", accepted: accepted)
        }
        var usernames: [String] = []
        var passwords: [String] = []
        for row in csv.rows {
            guard let u = row["username"], let p = row["password"], !u.isEmpty else { continue }
            usernames.append(u)
            passwords.append(p)
        }
        guard !usernames.isEmpty else { throw ConfigurationError(setting: "--users-csv", accepted: accepted) }
        source = .rows(usernames: usernames, passwords: passwords)
    }

    /// Username and password of virtual user `n`.
    public func credentials(_ n: Int) -> (username: String, password: String) {
        switch source {
        case let .pattern(username, password):
            return (username.joined(separator: String(n)), password.joined(separator: String(n)))
        case let .rows(usernames, passwords):
            return (usernames[n % usernames.count], passwords[n % passwords.count])
        }
    }
}
