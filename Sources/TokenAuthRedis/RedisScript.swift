import TokenAuth

/// The Lua scripts of the Redis stores, single node and cluster, built from shared fragments so
/// that each rule (the rotation compare-and-swap, revocation, TTLs) is written once.
///
/// Every script names only the keys it is given (`KEYS[…]`) except the single-node
/// ``revokeAll``, which computes the family keys from the user's set (Redis Cluster forbids
/// that; the cluster store revokes family by family instead). `F` is ``FamilyRecord/luaFormat``;
/// the record's tail (subject, client id) starts at byte 116.
enum RedisScript: CaseIterable, Sendable {
    /// Single node: KEYS family, user set; ARGV ttl ms, id, record → 1 created, 0 exists.
    case create
    /// KEYS family; ARGV now, generation, presented digest, successor digest, grace s, idle
    /// deadline or "" → `{decision[, record]}`.
    case rotate
    /// KEYS family; ARGV now, reason code → 1 revoked, 0 already revoked, −1 no such family.
    case revoke
    /// Single node: KEYS user set; ARGV now, family key prefix → families revoked.
    case revokeAll
    /// Cluster: KEYS family; ARGV ttl ms, record → 1 created, 0 exists.
    case clusterCreateFamily
    /// Cluster: KEYS user index (sorted set, score = family expiry in ms since 1970); ARGV ttl
    /// ms, id, score → 1.
    case clusterIndexAdd

    private static let head = "local F = '\(FamilyRecord.luaFormat)'\n"

    /// Creates the family with a TTL of its remaining life, or returns 0 if the key exists.
    private static let setFamily = "if not redis.call('SET', KEYS[1], ARGV[%record], 'NX', 'PX', ARGV[1]) then return 0 end\n"

    /// Raises the TTL of `key` to ARGV[1] ms, never lowers it (case X3).
    private static func raiseTTL(_ key: String) -> String {
        "local t = redis.call('PTTL', \(key))\nif t < tonumber(ARGV[1]) then redis.call('PEXPIRE', \(key), ARGV[1]) end\n"
    }

    /// `revoke(key, now, reason)`: 1 revoked now, 0 already revoked, −1 no such key. The record
    /// is rewritten with `SET … KEEPTTL`, so the key's expiry never moves.
    private static let revokeFunction = """
        local function revoke(key, now, reason)
          local v = redis.call('GET', key)
          if not v then return -1 end
          local ver, flags, ca, ea, ia, is, ra, g, cd, pd, rr = struct.unpack(F, v)
          if bit.band(flags, 4) ~= 0 then return 0 end
          local nv = struct.pack(F, ver, bit.bor(flags, 4), ca, ea, ia, is, now, g, cd, pd, reason)
          redis.call('SET', key, nv .. string.sub(v, 116), 'KEEPTTL')
          return 1
        end

        """

    var source: String {
        switch self {
        case .create:
            return Self.setFamily.replacingOccurrences(of: "%record", with: "3")
                + "redis.call('SADD', KEYS[2], ARGV[2])\n" + Self.raiseTTL("KEYS[2]") + "return 1\n"
        case .clusterCreateFamily:
            return Self.setFamily.replacingOccurrences(of: "%record", with: "2") + "return 1\n"
        case .clusterIndexAdd:
            return "redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])\n" + Self.raiseTTL("KEYS[1]") + "return 1\n"
        case .revoke:
            return Self.head + Self.revokeFunction + "return revoke(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))\n"
        case .revokeAll:
            return Self.head + Self.revokeFunction + """
                local n = 0
                for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
                  local r = revoke(ARGV[2] .. id, tonumber(ARGV[1]), 2)
                  if r == -1 then redis.call('SREM', KEYS[1], id) elseif r == 1 then n = n + 1 end
                end
                return n
                """
        // The rules of RefreshFamily.decide, in order; the reply is the decision and the
        // record after the step. SET … KEEPTTL never touches the key's expiry.
        case .rotate: return Self.head + """
            local v = redis.call('GET', KEYS[1])
            if not v then return {'notfound'} end
            local ver, flags, ca, ea, ia, is, ra, g, cd, pd, rr = struct.unpack(F, v)
            local now = tonumber(ARGV[1])
            if bit.band(flags, 4) ~= 0 then return {'revoked', v} end
            if now >= ea or (bit.band(flags, 2) ~= 0 and now >= ia) then return {'expired', v} end
            local pg = tonumber(ARGV[2])
            if pg == g then
              if ARGV[3] ~= cd then return {'mismatch'} end
              flags = bit.bor(flags, 1)
              if ARGV[6] ~= '' then
                ia = tonumber(ARGV[6])
                if ia > ea then ia = ea end
                flags = bit.bor(flags, 2)
              end
              local nv = struct.pack(F, ver, flags, ca, ea, ia, now, ra, g + 1, ARGV[4], cd, rr) .. string.sub(v, 116)
              redis.call('SET', KEYS[1], nv, 'KEEPTTL')
              return {'rotate', nv}
            elseif pg < g then
              if pg == g - 1 and bit.band(flags, 1) ~= 0 and pd == ARGV[3] and now - is < tonumber(ARGV[5]) then
                return {'grace', v}
              end
              local nv = struct.pack(F, ver, bit.bor(flags, 4), ca, ea, ia, is, now, g, cd, pd, 3) .. string.sub(v, 116)
              redis.call('SET', KEYS[1], nv, 'KEEPTTL')
              return {'reuse', nv}
            end
            return {'mismatch'}
            """
        }
    }
}

/// The SHA-1 of each script as the server reported it (`SCRIPT LOAD`; the same on every node,
/// since it is the digest of the source), and `EVALSHA` with the `NOSCRIPT` rule.
final class RedisScriptCache: Sendable {
    private let shas = Locked<[RedisScript: [UInt8]]>([:])

    /// Runs `script` through `send`, which carries one command to one server and returns its
    /// reply, error replies included. When that server answers `NOSCRIPT` (restarted, flushed,
    /// or a cluster node that never saw the script) the script is loaded on it and run again,
    /// once: nothing ran. Other error replies are returned for the caller to judge (a cluster's
    /// `MOVED`/`ASK`).
    /// - Throws: ``StoreError`` from `send`; `.corrupted` if `SCRIPT LOAD` answers oddly.
    func evaluate(_ script: RedisScript, keys: [[UInt8]], arguments: [[UInt8]], statistics: StoreStatistics,
                  send: ([[UInt8]]) async throws(StoreError) -> RedisReply) async throws(StoreError) -> RedisReply {
        var attempt = 0
        while true {
            let sha: [UInt8]
            if let known = shas.withLock({ $0[script] }) { sha = known } else {
                let loaded = try await send([Self.scriptCommand, Self.loadCommand, Array(script.source.utf8)])
                guard case .string(let digest) = loaded else {
                    if case .error = loaded { return loaded }
                    throw StoreError(.corrupted, "redis SCRIPT LOAD: unexpected reply")
                }
                shas.withLock { $0[script] = digest }
                sha = digest
            }
            let reply = try await send([Self.evalshaCommand, sha, Array(String(keys.count).utf8)] + keys + arguments)
            if case .error(let message) = reply, message.hasPrefix("NOSCRIPT"), attempt == 0 {
                shas.withLock { _ = $0.removeValue(forKey: script) }
                statistics.countRetry()
                attempt += 1
                continue
            }
            return reply
        }
    }

    static let evalshaCommand = Array("EVALSHA".utf8)
    static let scriptCommand = Array("SCRIPT".utf8), loadCommand = Array("LOAD".utf8)
}
