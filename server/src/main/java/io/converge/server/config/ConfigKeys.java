package io.converge.server.config;

import io.converge.server.cluster.ConsistencyLevel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Every configuration key: its name (as in YAML, on the command line and in CONFIG GET/SET), its
 * default, whether CONFIG SET may change it while running, one line of documentation, and how
 * to parse and print it. The YAML loader, the CLI, CONFIG GET/SET and docs/configuration.md all
 * follow this one table.
 *
 * <p>Parse errors use Redis's CONFIG SET wording ("argument must be a memory value", ...), so the
 * same text serves the startup error and the CONFIG SET error.
 */
public final class ConfigKeys {
    private ConfigKeys() {}

    /**
     * One configuration key.
     *
     * @param name key name
     * @param defaultValue default in textual form (null: no default value to apply)
     * @param mutable whether CONFIG SET may change it at run time
     * @param exposed whether CONFIG GET/SET know it (users are not exposed)
     * @param doc one line of documentation
     * @param setter parses text into the builder, throwing ConfigException with the reason
     * @param getter prints the current value for CONFIG GET
     */
    public record Key(String name, String defaultValue, boolean mutable, boolean exposed, String doc,
                      BiConsumer<ConvergeConfig.Builder, String> setter, Function<ConvergeConfig, String> getter) {
        /** Parses {@code value} into {@code b}. */
        public void apply(ConvergeConfig.Builder b, String value) {
            setter.accept(b, value);
        }

        /** The value in {@code config}, as CONFIG GET prints it. */
        public String format(ConvergeConfig config) {
            return getter.apply(config);
        }
    }

    private static final List<Key> KEYS = new ArrayList<>();

    static {
        immutable("bind", "127.0.0.1",
                "Addresses to listen on, separated by spaces (a YAML list also works). Use 0.0.0.0 to listen everywhere.",
                (b, v) -> b.bind = parseBind(v), c -> String.join(" ", c.bind()));
        immutable("port", "7001",
                "TCP port for plaintext clients; 0 picks a free port (tests), except with tls-port set: then 0 means no plaintext port, TLS only (Redis's meaning of port 0).",
                (b, v) -> b.port = (int) parseInt(v, 0, 65535), c -> Integer.toString(c.port()));
        immutable("admin-port", "0",
                "TCP port of the HTTP admin endpoint (/metrics for Prometheus, /health, /ready); 0: none.",
                (b, v) -> b.adminPort = (int) parseInt(v, 0, 65535), c -> Integer.toString(c.adminPort()));
        immutable("tls-port", "0",
                "TCP port for TLS clients, next to port (same addresses); 0: no TLS port. Needs tls-cert-file, tls-key-file and tls-ca-cert-file or tls-ca-cert-dir. Unlike port, 0 never picks a free port.",
                (b, v) -> b.tlsPort = (int) parseInt(v, 0, 65535), c -> Integer.toString(c.tlsPort()));
        tls("tls-cert-file", "",
                "PEM file with the certificate (then its chain) the node presents to TLS clients (and, without tls-client-cert-file, to peers it dials). CONFIG SET reloads it for new connections.",
                (b, v) -> b.tlsCertFile = v.trim(), c -> c.tls().certFile());
        tls("tls-key-file", "",
                "PEM file with the private key of tls-cert-file: PKCS#8 (BEGIN PRIVATE KEY), or encrypted PKCS#8 (BEGIN ENCRYPTED PRIVATE KEY) with tls-key-file-pass. CONFIG SET reloads it for new connections.",
                (b, v) -> b.tlsKeyFile = v.trim(), c -> c.tls().keyFile());
        tls("tls-key-file-pass", "", "Password of an encrypted tls-key-file.",
                (b, v) -> b.tlsKeyFilePass = v, c -> c.tls().keyFilePass());
        tls("tls-client-cert-file", "",
                "PEM certificate the node presents when it dials a peer over TLS (cluster tls: yes); empty: tls-cert-file.",
                (b, v) -> b.tlsClientCertFile = v.trim(), c -> c.tls().clientCertFile());
        tls("tls-client-key-file", "", "PEM private key of tls-client-cert-file.",
                (b, v) -> b.tlsClientKeyFile = v.trim(), c -> c.tls().clientKeyFile());
        tls("tls-client-key-file-pass", "", "Password of an encrypted tls-client-key-file.",
                (b, v) -> b.tlsClientKeyFilePass = v, c -> c.tls().clientKeyFilePass());
        tls("tls-ca-cert-file", "",
                "PEM file of the CA certificates that client (and peer) certificates must chain to. Required with TLS, as in Redis, even with tls-auth-clients no.",
                (b, v) -> b.tlsCaCertFile = v.trim(), c -> c.tls().caCertFile());
        tls("tls-ca-cert-dir", "",
                "Directory of CA certificates, used with or instead of tls-ca-cert-file: every file in it holding PEM certificates is read (OpenSSL's hashed names work; other files are skipped).",
                (b, v) -> b.tlsCaCertDir = v.trim(), c -> c.tls().caCertDir());
        tls("tls-auth-clients", "yes",
                "yes: a TLS client must present a certificate signed by the CA, else the handshake fails; optional: a certificate is asked for and verified if sent; no: none is asked for. Applies to connections made after a change.",
                (b, v) -> b.tlsAuthClients = TlsOptions.AuthClients.valueOf(parseEnum(v, "no", "yes", "optional").toUpperCase(Locale.ROOT)),
                c -> c.tls().authClients().configName());
        tls("tls-protocols", "",
                "TLS versions accepted, separated by spaces, from TLSv1.2 and TLSv1.3 (TLSv1 and TLSv1.1 are named as in Redis but the JDK disables them); empty: TLSv1.2 and TLSv1.3.",
                (b, v) -> b.tlsProtocols = v.trim(), c -> c.tls().protocols());
        tls("tls-ciphers", "",
                "TLSv1.2 cipher suites, separated by ':', in OpenSSL's names (ECDHE-RSA-AES256-GCM-SHA384) or IANA's (TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384); OpenSSL's keywords (DEFAULT, HIGH, !aNULL) are not supported. Empty: the JDK's defaults.",
                (b, v) -> b.tlsCiphers = v.trim(), c -> c.tls().ciphers());
        tls("tls-ciphersuites", "",
                "TLSv1.3 cipher suites, separated by ':' (TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, TLS_CHACHA20_POLY1305_SHA256). Empty: the JDK's defaults.",
                (b, v) -> b.tlsCiphersuites = v.trim(), c -> c.tls().ciphersuites());
        tls("tls-prefer-server-ciphers", "no",
                "yes: the server's order of cipher suites decides which one a handshake uses; no: the client's.",
                (b, v) -> b.tlsPreferServerCiphers = parseBool(v), c -> c.tls().preferServerCiphers() ? "yes" : "no");
        tls("tls-session-caching", "yes",
                "Whether TLS sessions may be resumed by returning clients (a shorter handshake). no: each session expires one second after it is made, so in practice none is resumed.",
                (b, v) -> b.tlsSessionCaching = parseBool(v), c -> c.tls().sessionCaching() ? "yes" : "no");
        tls("tls-session-cache-size", "20480", "TLS sessions the server keeps for resumption (0: no limit).",
                (b, v) -> b.tlsSessionCacheSize = (int) parseInt(v, 0, Integer.MAX_VALUE),
                c -> Integer.toString(c.tls().sessionCacheSize()));
        tls("tls-session-cache-timeout", "300", "Seconds a TLS session stays resumable.",
                (b, v) -> b.tlsSessionCacheTimeout = (int) parseInt(v, 0, Integer.MAX_VALUE),
                c -> Integer.toString(c.tls().sessionCacheTimeout()));
        immutable("data-dir", null,
                "Directory for the node's files (node id, engine log and snapshots). Default: data/node-<port> under the working directory.",
                (b, v) -> b.dataDir = v.isEmpty() ? null : Path.of(v), c -> c.effectiveDataDir().toString());
        mutable("requirepass", "",
                "Password of the default user. Empty: clients need not authenticate (unless the users list defines 'default').",
                (b, v) -> b.requirepass = v, ConvergeConfig::requirepass);
        KEYS.add(new Key("users", null, false, false,
                "Named users: a YAML list of {name, password, rules}; they authenticate with AUTH <name> <password> or HELLO ... AUTH. Without rules a user may run everything; rules are Redis ACL rules (e.g. 'on ~cache:* +@read').",
                (b, v) -> {
                    throw new ConfigException("users can only be set in the YAML file");
                }, c -> ""));
        immutable("aclfile", "",
                "Redis's ACL file: 'user <name> <rules>' lines, loaded at start and by ACL LOAD, written by ACL SAVE. Empty: none (then users come from requirepass and the users list).",
                (b, v) -> b.aclfile = v.trim(), ConvergeConfig::aclfile);
        mutable("acllog-max-len", "128", "Entries ACL LOG keeps (the newest ones).",
                (b, v) -> b.acllogMaxLen = parseInt(v, 0, Long.MAX_VALUE), c -> Long.toString(c.acllogMaxLen()));
        mutable("acl-pubsub-default", "resetchannels",
                "Channel permission of new ACL users: resetchannels (none, as Redis 7) or allchannels.",
                (b, v) -> b.aclPubsubDefault = parseEnum(v, "resetchannels", "allchannels"), ConvergeConfig::aclPubsubDefault);
        mutable("protected-mode", "yes",
                "Redis's protected mode: while the default user has no password (requirepass empty, no 'default' in users), clients connecting from any address but 127.0.0.1 and ::1 get Redis's -DENIED error and are disconnected.",
                (b, v) -> b.protectedMode = parseBool(v), c -> c.protectedMode() ? "yes" : "no");
        mutable("maxmemory", "0",
                "Memory limit for data in bytes (units: k, kb, m, mb, g, gb). 0: no limit. Writes that would grow memory past it are refused with OOM.",
                (b, v) -> b.maxmemory = MemorySize.parse(v), c -> Long.toString(c.maxmemory()));
        mutable("maxmemory-policy", "noeviction",
                "What to do at maxmemory. Only noeviction (refuse writes with OOM) exists.",
                (b, v) -> b.maxmemoryPolicy = parseEnum(v, "noeviction"), ConvergeConfig::maxmemoryPolicy);
        mutable("timeout", "0", "Close a client connection after this many seconds without a command. 0: never.",
                (b, v) -> b.timeout = parseInt(v, 0, Integer.MAX_VALUE), c -> Long.toString(c.timeout()));
        mutable("proto-max-bulk-len", "512mb",
                "Largest bulk string (argument) a client may send; larger requests get 'Protocol error: invalid bulk length' and are disconnected. At least 1mb.",
                (b, v) -> b.protoMaxBulkLen = parseMemoryInRange(v, 1024 * 1024, Integer.MAX_VALUE - 16),
                c -> Long.toString(c.protoMaxBulkLen()));
        mutable("client-query-buffer-limit", "1gb",
                "Most bytes of not yet executed input a client may have buffered; past it the client is disconnected. At least 1mb.",
                (b, v) -> b.clientQueryBufferLimit = parseMemoryInRange(v, 1024 * 1024, Long.MAX_VALUE),
                c -> Long.toString(c.clientQueryBufferLimit()));
        mutable("client-output-buffer-limit", ClientOutputLimits.DEFAULT.redisForm(),
                "Pending-reply limits per client class, as Redis writes them: '<class> <hard> <soft> <soft-seconds>' for normal, pubsub (subscribed clients) and replica. A client over <hard> bytes, or over <soft> bytes for <soft-seconds>, is disconnected. 0 disables a limit; the classes not named keep theirs.",
                (b, v) -> b.clientOutputBufferLimit = ClientOutputLimits.parse(v, b.clientOutputBufferLimit),
                c -> c.clientOutputBufferLimit().redisForm());
        mutable("maxclients", "10000",
                "Most simultaneous client connections; more are refused with 'ERR max number of clients reached'.",
                (b, v) -> b.maxclients = (int) parseInt(v, 1, Integer.MAX_VALUE), c -> Integer.toString(c.maxclients()));
        immutable("io-threads", "0", "Network threads that read, execute and reply. 0: half the CPU cores (at least one).",
                (b, v) -> b.ioThreads = (int) parseInt(v, 0, 1024), c -> Integer.toString(c.ioThreads()));
        immutable("node-id", "",
                "Unique, stable id of this node (used to break timestamp ties between replicas). Empty: generated once and kept in data-dir/node-id.",
                (b, v) -> b.nodeId = parseNodeId(v), ConvergeConfig::nodeId);
        immutable("engine", "embedded", "Storage engine. embedded: in-memory CRDT states with an append-only log.",
                (b, v) -> b.engine = parseEnum(v, "embedded"), ConvergeConfig::engine);
        immutable("appendonly", "yes",
                "Whether the embedded engine logs every write to data-dir/appendonly and loads the log (and its snapshot) at start. no: data lives in memory only.",
                (b, v) -> b.appendonly = parseBool(v), c -> c.appendonly() ? "yes" : "no");
        mutable("appendfsync", "everysec",
                "When the engine's log is flushed to disk: always (before the reply to a write is sent), everysec (once a second, in the background), or no (left to the OS).",
                (b, v) -> b.appendfsync = parseEnum(v, "always", "everysec", "no"), ConvergeConfig::appendfsync);
        mutable("auto-aof-rewrite-percentage", "100",
                "Rewrite the log (write a snapshot, drop the older log) when it grew by this percentage of the last snapshot's size. 0: never automatically (BGREWRITEAOF still works).",
                (b, v) -> b.autoAofRewritePercentage = (int) parseInt(v, 0, Integer.MAX_VALUE),
                c -> Integer.toString(c.autoAofRewritePercentage()));
        mutable("auto-aof-rewrite-min-size", "64mb",
                "No automatic rewrite while the snapshot plus the log are smaller than this (units: k, kb, m, mb, g, gb).",
                (b, v) -> b.autoAofRewriteMinSize = MemorySize.parse(v), c -> Long.toString(c.autoAofRewriteMinSize()));
        mutable("aof-load-truncated", "yes",
                "At start, a log whose last record is incomplete (the node or machine stopped mid-write) is cut back to its last complete record and loaded (yes), or the node refuses to start (no).",
                (b, v) -> b.aofLoadTruncated = parseBool(v), c -> c.aofLoadTruncated() ? "yes" : "no");
        mutable("aof-load-skip-corrupt", "no",
                "At start, damage in the middle of the log or in a snapshot makes the node refuse to start (no), or is skipped so the intact records load and the log is then rewritten (yes).",
                (b, v) -> b.aofLoadSkipCorrupt = parseBool(v), c -> c.aofLoadSkipCorrupt() ? "yes" : "no");
        mutable("max-clock-drift-ms", "1000",
                "Largest amount a remote hybrid-logical-clock timestamp may be ahead of local time; writes further ahead are refused.",
                (b, v) -> b.maxClockDriftMs = parseInt(v, 1, Long.MAX_VALUE), c -> Long.toString(c.maxClockDriftMs()));
        mutable("hz", "10", "Frequency (per second) of background tasks such as active expiry and client timeouts, 1 to 500.",
                (b, v) -> b.hz = (int) parseInt(v, 1, 500), c -> Integer.toString(c.hz()));
        mutable("active-expire", "yes",
                "Whether expired keys are also removed in the background by sampling (yes), or only when accessed (no).",
                (b, v) -> b.activeExpire = parseBool(v), c -> c.activeExpire() ? "yes" : "no");
        immutable("cluster", "",
                "Cluster description file (YAML, see docs/cluster.md) this node is part of; node-id must then be one of its node ids, and the client port and peer port come from that node's entry. Empty: a single node.",
                (b, v) -> b.cluster = v.trim(), ConvergeConfig::cluster);
        mutable("read-consistency", "ONE",
                "Default consistency level of reads in a cluster: ONE, LOCAL_QUORUM, EACH_QUORUM or ALL (Dynomite names DC_ONE, DC_QUORUM, DC_SAFE_QUORUM, DC_EACH_SAFE_QUORUM also work). A connection may override it with CONSISTENCY.",
                (b, v) -> b.readConsistency = parseLevel(v), ConvergeConfig::readConsistency);
        mutable("write-consistency", "LOCAL_QUORUM",
                "Default consistency level of writes in a cluster (same names as read-consistency). A connection may override it with CONSISTENCY.",
                (b, v) -> b.writeConsistency = parseLevel(v), ConvergeConfig::writeConsistency);
        mutable("cross-slot-transactions", "refuse",
                "In a cluster, what happens to a MULTI/EXEC transaction whose keys live on several replica sets (more nodes than the replication factor): refuse (as Redis Cluster: CROSSSLOT, then EXECABORT) or split (one sub-transaction per replica set, each atomic on one replica of its set, not atomic across them; see docs/cluster.md). Cluster-wide: CONFIG SET on any node sets it on every node.",
                (b, v) -> b.crossSlotTransactions = parseEnum(v, "refuse", "split"), ConvergeConfig::crossSlotTransactions);
        immutable("request-timeout-ms", "1000",
                "In a cluster, how long a read or write waits for the replicas its consistency level needs before it fails with an error (a command forwarded to another node waits up to twice this).",
                (b, v) -> b.requestTimeoutMs = parseInt(v, 1, 3_600_000), c -> Long.toString(c.requestTimeoutMs()));
        immutable("enable-debug-command", "no",
                "Whether the commands that exist for testing and chaos experiments (CONVERGE PARTITION, CONVERGE HEAL and CONVERGE DIVERGE) may run: no, yes, or local (only from loopback connections). As in Redis, it can only be set at start.",
                (b, v) -> b.enableDebugCommand = parseEnum(v, "no", "yes", "local"), ConvergeConfig::enableDebugCommand);
        mutable("repair-interval-ms", "60000",
                "In a cluster, how often a node compares its hash trees with each peer in the background, to find and repair divergence from any cause (deltas dropped, lost, or a bug). 0: no background passes (repairs owed after a buffer overflow or a restart, and CONVERGE REPAIR, still run).",
                (b, v) -> b.repairIntervalMs = parseInt(v, 0, 86_400_000), c -> Long.toString(c.repairIntervalMs()));
        mutable("repair-max-bytes-per-sec", "128mb",
                "Hash-tree repair traffic a node lets through per second, both ways (states and key lists; units: k, kb, m, mb, g, gb). 0: unlimited.",
                (b, v) -> b.repairMaxBytesPerSec = MemorySize.parse(v), c -> Long.toString(c.repairMaxBytesPerSec()));
        mutable("read-repair-chance", "0.1",
                "Probability (0 to 1) that a read at ONE is followed, in the background, by a check of the other replicas' digests of the key, which repairs it when they differ.",
                (b, v) -> b.readRepairChance = parseChance(v), c -> Double.toString(c.readRepairChance()));
        immutable("repair-hash-trees", "yes",
                "Whether hash-tree anti-entropy runs: yes, or no only to measure what keeping the trees costs (replicas that drift apart then stay apart until a quorum read or a rewrite).",
                (b, v) -> b.repairHashTrees = parseBool(v), c -> c.repairHashTrees() ? "yes" : "no");
        mutable("gc-grace-ms", "21600000",
                "In a cluster, how long a node waits for a peer it no longer hears from before tombstone garbage collection goes on without it (Cassandra's gc_grace_seconds, enforced): a peer away longer discards its state when it returns and rebuilds it from the others, so deletes it missed cannot come back. A node expels peers only while it hears from a majority of the cluster, and never a quorum of any replica set. Default six hours.",
                (b, v) -> b.gcGraceMs = parseInt(v, 1_000, 30L * 86_400_000), c -> Long.toString(c.gcGraceMs()));
        mutable("slowlog-log-slower-than", "10000",
                "Commands that run this many microseconds or longer are recorded in the slow log (SLOWLOG GET). -1: none, 0: every command.",
                (b, v) -> b.slowlogLogSlowerThan = parseInt(v, -1, Long.MAX_VALUE), c -> Long.toString(c.slowlogLogSlowerThan()));
        mutable("latency-monitor-threshold", "0",
                "Commands that take this many milliseconds or longer are recorded by the latency monitor (LATENCY LATEST, HISTORY, GRAPH, DOCTOR). 0: off.",
                (b, v) -> b.latencyMonitorThreshold = parseInt(v, 0, Long.MAX_VALUE), c -> Long.toString(c.latencyMonitorThreshold()));
        mutable("slowlog-max-len", "128", "Entries the slow log keeps (the oldest go first).",
                (b, v) -> b.slowlogMaxLen = parseInt(v, 0, Long.MAX_VALUE), c -> Long.toString(c.slowlogMaxLen()));
        mutable("notify-keyspace-events", "",
                "Keyspace event classes published to __keyspace@0__:<key> and __keyevent@0__:<event>, in Redis's characters (K, E, g, $, s, h, z, x, n, A ...); empty: none. In a cluster each event is published once, cluster-wide, by the node that ran the command (an expiry by one replica of the key).",
                (b, v) -> b.notifyKeyspaceEvents = NotifyFlags.parse(v), c -> NotifyFlags.format(c.notifyKeyspaceEvents()));
        mutable("busy-reply-threshold", "5000",
                "Milliseconds a Lua script or function may run before the node answers other clients' commands with BUSY (only SCRIPT KILL, FUNCTION KILL and SHUTDOWN NOSAVE run then). Until then their commands wait, as in Redis. Alias: lua-time-limit.",
                (b, v) -> b.busyReplyThresholdMs = parseInt(v, 0, Long.MAX_VALUE), c -> Long.toString(c.busyReplyThresholdMs()));
        KEYS.add(new Key("lua-time-limit", null, true, true, "Alias of busy-reply-threshold.",
                (b, v) -> b.busyReplyThresholdMs = parseInt(v, 0, Long.MAX_VALUE), c -> Long.toString(c.busyReplyThresholdMs())));
        mutable("shutdown-timeout", "10",
                "Seconds SHUTDOWN (without NOW) and SIGTERM wait, once clients are disconnected, for connected peers to acknowledge this node's buffered deltas before the node stops (Redis's wait for lagging replicas).",
                (b, v) -> b.shutdownTimeout = (int) parseInt(v, 0, Integer.MAX_VALUE), c -> Integer.toString(c.shutdownTimeout()));

        // Redis's encoding parameters: clients and test suites set them (Redis's own test units
        // start with CONFIG SET hash-max-ziplist-value ...). Converge has no listpack or intset
        // encodings, so they change nothing; each is validated as Redis does and reported back,
        // under its Redis 7 name and its older ziplist alias alike.
        redisEncoding("hash-max-listpack-entries", "hash-max-ziplist-entries", "512", false, 0, Long.MAX_VALUE);
        redisEncoding("hash-max-listpack-value", "hash-max-ziplist-value", "64", true, 0, Long.MAX_VALUE);
        redisEncoding("zset-max-listpack-entries", "zset-max-ziplist-entries", "128", false, 0, Long.MAX_VALUE);
        redisEncoding("zset-max-listpack-value", "zset-max-ziplist-value", "64", true, 0, Long.MAX_VALUE);
        redisEncoding("set-max-intset-entries", null, "512", false, 0, Long.MAX_VALUE);
        redisEncoding("list-max-listpack-size", "list-max-ziplist-size", "-2", false, Integer.MIN_VALUE,
                Integer.MAX_VALUE);
        redisEncoding("list-compress-depth", null, "0", false, 0, Integer.MAX_VALUE);
        redisEncoding("stream-node-max-bytes", null, "4096", true, 0, Long.MAX_VALUE);
        redisEncoding("stream-node-max-entries", null, "100", false, 0, Long.MAX_VALUE);
        redisEncoding("hll-sparse-max-bytes", null, "3000", true, 0, Long.MAX_VALUE);
    }

    /** All keys in documentation order. */
    public static List<Key> all() {
        return List.copyOf(KEYS);
    }

    /** The key named {@code name} (any case), or null. */
    public static Key find(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (Key k : KEYS) {
            if (k.name().equals(n)) {
                return k;
            }
        }
        return null;
    }

    private static void mutable(String name, String def, String doc, BiConsumer<ConvergeConfig.Builder, String> setter,
                                Function<ConvergeConfig, String> getter) {
        KEYS.add(new Key(name, def, true, true, doc, setter, getter));
    }

    /** A TLS key: mutable; a CONFIG SET that changes it rebuilds the TLS context ({@code TlsContexts}). */
    private static void tls(String name, String def, String doc, BiConsumer<ConvergeConfig.Builder, String> setter,
                            Function<ConvergeConfig, String> getter) {
        mutable(name, def, doc, setter, getter);
    }

    private static void immutable(String name, String def, String doc, BiConsumer<ConvergeConfig.Builder, String> setter,
                                  Function<ConvergeConfig, String> getter) {
        KEYS.add(new Key(name, def, false, true, doc, setter, getter));
    }

    /**
     * A Redis encoding parameter {@code name} (and its {@code alias}, or null), accepted and reported
     * back without effect: an integer in {@code [min, max]}, or with {@code memory} a memory value.
     */
    private static void redisEncoding(String name, String alias, String def, boolean memory, long min, long max) {
        String doc = "Redis's encoding parameter, accepted and reported back for clients and test suites that set it; "
                + "Converge has no such encodings, so it changes nothing." + (alias == null ? "" : " Alias: " + alias + ".");
        BiConsumer<ConvergeConfig.Builder, String> setter = (b, v) -> b.redisEncodings.put(name,
                Long.toString(memory ? parseMemoryInRange(v, min, max) : parseInt(v, min, max)));
        Function<ConvergeConfig, String> getter = c -> c.redisEncodings().get(name);
        mutable(name, def, doc, setter, getter);
        if (alias != null) {
            KEYS.add(new Key(alias, null, true, true, "Alias of " + name + ".", setter, getter));
        }
    }

    private static double parseChance(String v) {
        double d;
        try {
            d = Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("argument must be a number between 0 and 1");
        }
        if (!(d >= 0 && d <= 1)) {
            throw new ConfigException("argument must be a number between 0 and 1");
        }
        return d;
    }

    private static long parseInt(String v, long min, long max) {
        long n;
        try {
            n = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("argument couldn't be parsed into an integer");
        }
        if (n < min || n > max) {
            throw new ConfigException("argument must be between " + min + " and " + max + " inclusive");
        }
        return n;
    }

    private static long parseMemoryInRange(String v, long min, long max) {
        long n = MemorySize.parse(v);
        if (n < min || n > max) {
            throw new ConfigException("argument must be between " + min + " and " + max + " inclusive");
        }
        return n;
    }

    private static boolean parseBool(String v) {
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "yes", "true" -> true;
            case "no", "false" -> false;
            default -> throw new ConfigException("argument must be 'yes' or 'no'");
        };
    }

    private static String parseEnum(String v, String... allowed) {
        String t = v.trim().toLowerCase(Locale.ROOT);
        if (!Arrays.asList(allowed).contains(t)) {
            throw new ConfigException("argument(s) must be one of the following: " + String.join(", ", allowed));
        }
        return t;
    }

    private static String parseLevel(String v) {
        ConsistencyLevel level = ConsistencyLevel.tryParse(v);
        if (level == null) {
            throw new ConfigException("argument must be one of the following: " + ConsistencyLevel.ACCEPTED_NAMES);
        }
        return level.name();
    }

    private static List<String> parseBind(String v) {
        List<String> out = new ArrayList<>();
        for (String part : v.trim().split("\\s+")) {
            if (!part.isEmpty()) {
                out.add(part);
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException("at least one address is needed");
        }
        return out;
    }

    private static String parseNodeId(String v) {
        String t = v.trim();
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (!(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.')) {
                throw new ConfigException("node-id may contain only letters, digits, '-', '_' and '.'");
            }
        }
        return t;
    }
}
