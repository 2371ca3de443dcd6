package io.converge.server.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The whole configuration of a node, immutable. Built from defaults, then the YAML file, then
 * command-line flags ({@link ConfigLoader}); changed at run time only by replacing it as a whole
 * ({@link LiveConfig}, CONFIG SET). Every key is described in {@link ConfigKeys} and
 * docs/configuration.md.
 *
 * @param bind addresses to listen on
 * @param port TCP port for clients (0 picks a free one; with {@code tlsPort} set, 0 means no plaintext listener)
 * @param tlsPort TLS port for clients, 0 for none
 * @param tls the TLS context's settings (certificates, CA, protocols...)
 * @param dataDir where the node keeps its files; null means {@code data/node-<port>}
 * @param requirepass password of the default user, or "" for none
 * @param users named users
 * @param maxmemory memory limit in bytes, 0 for none
 * @param maxmemoryPolicy what happens at the limit (noeviction)
 * @param timeout seconds of client idleness before disconnecting, 0 for never
 * @param protoMaxBulkLen largest bulk string a client may send
 * @param clientQueryBufferLimit largest unparsed input per client
 * @param clientOutputBufferLimit pending reply limits per client class
 * @param maxclients most simultaneous clients
 * @param ioThreads network threads, 0 for half the cores (at least one)
 * @param nodeId unique id of the node in a cluster, "" to generate (persisted in dataDir)
 * @param engine storage engine (embedded)
 * @param appendfsync durability of the engine's log (always, everysec, no)
 * @param maxClockDriftMs largest accepted skew of remote timestamps
 * @param hz frequency of background tasks (active expiry), per second
 * @param activeExpire whether expired keys are also removed by sampling in the background
 * @param appendonly whether the engine logs writes to its append-only log (and loads it at start)
 * @param autoAofRewritePercentage rewrite the log when it grew by this percentage of the last snapshot (0: never automatically)
 * @param autoAofRewriteMinSize no automatic rewrite while the log and snapshot are smaller than this
 * @param aofLoadTruncated whether a torn tail of the log (crash mid-write) is cut off at start instead of refusing to start
 * @param aofLoadSkipCorrupt whether damaged records in the middle of the log are skipped at start instead of refusing to start
 * @param cluster path of the cluster description (YAML) this node is part of, or "" for a single node
 * @param readConsistency default consistency level of reads in a cluster (a {@code ConsistencyLevel} name)
 * @param writeConsistency default consistency level of writes in a cluster
 * @param requestTimeoutMs how long a cluster read or write waits for its replicas before failing
 * @param enableDebugCommand who may run the testing commands (CONVERGE PARTITION/HEAL/DIVERGE): no, yes, local
 * @param repairIntervalMs how often a clustered node compares its hash trees with each peer (0: no background passes)
 * @param repairMaxBytesPerSec hash-tree repair traffic allowed per second, both ways (0: unlimited)
 * @param readRepairChance probability that a read at ONE is followed by a digest check of the other replicas
 * @param repairHashTrees whether hash-tree anti-entropy runs at all (no: only for measuring its cost)
 * @param gcGraceMs how long a clustered node waits for an absent peer before tombstone GC goes on
 *                  without it (the peer then rebuilds its state from the others when it returns)
 * @param slowlogLogSlowerThan microseconds from which a command is recorded in the slow log (-1: none, 0: all)
 * @param slowlogMaxLen entries the slow log keeps
 * @param notifyKeyspaceEvents the keyspace event classes published ({@link NotifyFlags}; 0: none)
 * @param busyReplyThresholdMs milliseconds a script runs before other clients get BUSY replies (and SCRIPT KILL is read)
 * @param protectedMode whether, while the default user has no password, clients from addresses
 *                      other than 127.0.0.1 and ::1 are refused (Redis's protected mode)
 * @param shutdownTimeout seconds SHUTDOWN and SIGTERM wait for the node to hand over its replication
 *                        (deltas acknowledged by connected peers) before it stops
 * @param redisEncodings Redis's encoding parameters ({@code hash-max-listpack-entries}, ...), by
 *                       their Redis 7 names, as CONFIG GET prints them: accepted and reported
 *                       back, they change nothing here ({@link ConfigKeys})
 * @param adminPort the HTTP admin endpoint's port (/metrics, /health, /ready); 0: none
 * @param latencyMonitorThreshold milliseconds from which commands are recorded by the latency monitor (0: off)
 * @param aclfile the ACL file (Redis's format: {@code user <name> <rules>...} lines), or "" for none
 * @param acllogMaxLen entries ACL LOG keeps
 * @param aclPubsubDefault channel permission of new users: {@code resetchannels} or {@code allchannels}
 * @param crossSlotTransactions what a cluster does with a transaction whose keys live on several
 *                              replica sets: {@code refuse} (CROSSSLOT) or {@code split} (one
 *                              sub-transaction per replica set)
 */
public record ConvergeConfig(
        List<String> bind,
        int port,
        int tlsPort,
        TlsOptions tls,
        Path dataDir,
        String requirepass,
        List<UserSpec> users,
        long maxmemory,
        String maxmemoryPolicy,
        long timeout,
        long protoMaxBulkLen,
        long clientQueryBufferLimit,
        ClientOutputLimits clientOutputBufferLimit,
        int maxclients,
        int ioThreads,
        String nodeId,
        String engine,
        String appendfsync,
        long maxClockDriftMs,
        int hz,
        boolean activeExpire,
        boolean appendonly,
        int autoAofRewritePercentage,
        long autoAofRewriteMinSize,
        boolean aofLoadTruncated,
        boolean aofLoadSkipCorrupt,
        String cluster,
        String readConsistency,
        String writeConsistency,
        long requestTimeoutMs,
        String enableDebugCommand,
        long repairIntervalMs,
        long repairMaxBytesPerSec,
        double readRepairChance,
        boolean repairHashTrees,
        long gcGraceMs,
        long slowlogLogSlowerThan,
        long slowlogMaxLen,
        int notifyKeyspaceEvents,
        long busyReplyThresholdMs,
        boolean protectedMode,
        int shutdownTimeout,
        Map<String, String> redisEncodings,
        int adminPort,
        long latencyMonitorThreshold,
        String aclfile,
        long acllogMaxLen,
        String aclPubsubDefault,
        String crossSlotTransactions) {

    /** Validates and freezes the lists. */
    public ConvergeConfig {
        bind = List.copyOf(bind);
        users = List.copyOf(users);
        redisEncodings = Map.copyOf(redisEncodings);
        Objects.requireNonNull(requirepass, "requirepass");
        Objects.requireNonNull(tls, "tls");
        Set<String> names = new HashSet<>();
        for (UserSpec u : users) {
            if (!names.add(u.name())) {
                throw new ConfigException("users: user '" + u.name() + "' is defined twice");
            }
            if (u.name().equals("default") && !requirepass.isEmpty() && u.password() != null) {
                throw new ConfigException("users: the 'default' user's password is set by requirepass; do not define both");
            }
        }
        if (aclfile != null && !aclfile.isEmpty() && !users.isEmpty()) {
            throw new ConfigException("users and aclfile: define users either in the users list or in the ACL file, "
                    + "not both (as Redis refuses users in redis.conf together with an aclfile)");
        }
    }

    /** Whether this node is part of a cluster (the {@code cluster} key names a description file). */
    public boolean clustered() {
        return cluster != null && !cluster.isEmpty();
    }

    /**
     * Whether the plaintext port is off: {@code port 0} with a {@code tls-port} (Redis's TLS-only
     * setup). Without a TLS port, {@code port 0} keeps meaning "any free port".
     */
    public boolean tlsOnly() {
        return port == 0 && tlsPort > 0;
    }

    /** The data directory, resolving the default {@code data/node-<port>} (the TLS port's number when TLS-only). */
    public Path effectiveDataDir() {
        return dataDir != null ? dataDir : Path.of("data", "node-" + (tlsOnly() ? tlsPort : port));
    }

    /** The default user's password, or null when the default user needs none. */
    public String defaultUserPassword() {
        if (!requirepass.isEmpty()) {
            return requirepass;
        }
        for (UserSpec u : users) {
            if (u.name().equals("default")) {
                return u.password();
            }
        }
        return null;
    }

    /** Whether an ACL file is configured. */
    public boolean hasAclfile() {
        return aclfile != null && !aclfile.isEmpty();
    }

    /** A config with every key at its default. */
    public static ConvergeConfig defaults() {
        return builder().build();
    }

    /** A builder initialised with the defaults. */
    public static Builder builder() {
        Builder b = new Builder();
        for (ConfigKeys.Key key : ConfigKeys.all()) {
            if (key.defaultValue() != null) {
                key.apply(b, key.defaultValue());
            }
        }
        return b;
    }

    /** A builder initialised with this config's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.bind = new ArrayList<>(bind);
        b.port = port;
        b.tlsPort = tlsPort;
        b.tlsCertFile = tls.certFile();
        b.tlsKeyFile = tls.keyFile();
        b.tlsKeyFilePass = tls.keyFilePass();
        b.tlsClientCertFile = tls.clientCertFile();
        b.tlsClientKeyFile = tls.clientKeyFile();
        b.tlsClientKeyFilePass = tls.clientKeyFilePass();
        b.tlsCaCertFile = tls.caCertFile();
        b.tlsCaCertDir = tls.caCertDir();
        b.tlsAuthClients = tls.authClients();
        b.tlsProtocols = tls.protocols();
        b.tlsCiphers = tls.ciphers();
        b.tlsCiphersuites = tls.ciphersuites();
        b.tlsPreferServerCiphers = tls.preferServerCiphers();
        b.tlsSessionCaching = tls.sessionCaching();
        b.tlsSessionCacheSize = tls.sessionCacheSize();
        b.tlsSessionCacheTimeout = tls.sessionCacheTimeout();
        b.dataDir = dataDir;
        b.requirepass = requirepass;
        b.users = new ArrayList<>(users);
        b.maxmemory = maxmemory;
        b.maxmemoryPolicy = maxmemoryPolicy;
        b.timeout = timeout;
        b.protoMaxBulkLen = protoMaxBulkLen;
        b.clientQueryBufferLimit = clientQueryBufferLimit;
        b.clientOutputBufferLimit = clientOutputBufferLimit;
        b.maxclients = maxclients;
        b.ioThreads = ioThreads;
        b.nodeId = nodeId;
        b.engine = engine;
        b.appendfsync = appendfsync;
        b.maxClockDriftMs = maxClockDriftMs;
        b.hz = hz;
        b.activeExpire = activeExpire;
        b.appendonly = appendonly;
        b.autoAofRewritePercentage = autoAofRewritePercentage;
        b.autoAofRewriteMinSize = autoAofRewriteMinSize;
        b.aofLoadTruncated = aofLoadTruncated;
        b.aofLoadSkipCorrupt = aofLoadSkipCorrupt;
        b.cluster = cluster;
        b.readConsistency = readConsistency;
        b.writeConsistency = writeConsistency;
        b.requestTimeoutMs = requestTimeoutMs;
        b.enableDebugCommand = enableDebugCommand;
        b.repairIntervalMs = repairIntervalMs;
        b.repairMaxBytesPerSec = repairMaxBytesPerSec;
        b.readRepairChance = readRepairChance;
        b.repairHashTrees = repairHashTrees;
        b.gcGraceMs = gcGraceMs;
        b.slowlogLogSlowerThan = slowlogLogSlowerThan;
        b.slowlogMaxLen = slowlogMaxLen;
        b.notifyKeyspaceEvents = notifyKeyspaceEvents;
        b.busyReplyThresholdMs = busyReplyThresholdMs;
        b.protectedMode = protectedMode;
        b.shutdownTimeout = shutdownTimeout;
        b.redisEncodings = new HashMap<>(redisEncodings);
        b.adminPort = adminPort;
        b.latencyMonitorThreshold = latencyMonitorThreshold;
        b.aclfile = aclfile;
        b.acllogMaxLen = acllogMaxLen;
        b.aclPubsubDefault = aclPubsubDefault;
        b.crossSlotTransactions = crossSlotTransactions;
        return b;
    }

    /** Mutable staging area for a {@link ConvergeConfig}. */
    public static final class Builder {
        List<String> bind = new ArrayList<>();
        int port;
        int tlsPort;
        String tlsCertFile = "";
        String tlsKeyFile = "";
        String tlsKeyFilePass = "";
        String tlsClientCertFile = "";
        String tlsClientKeyFile = "";
        String tlsClientKeyFilePass = "";
        String tlsCaCertFile = "";
        String tlsCaCertDir = "";
        TlsOptions.AuthClients tlsAuthClients = TlsOptions.AuthClients.YES;
        String tlsProtocols = "";
        String tlsCiphers = "";
        String tlsCiphersuites = "";
        boolean tlsPreferServerCiphers;
        boolean tlsSessionCaching = true;
        int tlsSessionCacheSize;
        int tlsSessionCacheTimeout;
        Path dataDir;
        String requirepass = "";
        List<UserSpec> users = new ArrayList<>();
        long maxmemory;
        String maxmemoryPolicy;
        long timeout;
        long protoMaxBulkLen;
        long clientQueryBufferLimit;
        ClientOutputLimits clientOutputBufferLimit = ClientOutputLimits.DEFAULT;
        int maxclients;
        int ioThreads;
        String nodeId = "";
        String engine;
        String appendfsync;
        long maxClockDriftMs;
        int hz;
        boolean activeExpire;
        boolean appendonly;
        int autoAofRewritePercentage;
        long autoAofRewriteMinSize;
        boolean aofLoadTruncated;
        boolean aofLoadSkipCorrupt;
        String cluster = "";
        long slowlogLogSlowerThan;
        long slowlogMaxLen;
        int notifyKeyspaceEvents;
        long busyReplyThresholdMs;
        boolean protectedMode;
        int shutdownTimeout;
        Map<String, String> redisEncodings = new HashMap<>();
        int adminPort;
        long latencyMonitorThreshold;
        String aclfile = "";
        long acllogMaxLen;
        String aclPubsubDefault;
        String crossSlotTransactions;
        String readConsistency;
        String writeConsistency;
        long requestTimeoutMs;
        String enableDebugCommand;
        long repairIntervalMs;
        long repairMaxBytesPerSec;
        double readRepairChance;
        boolean repairHashTrees;
        long gcGraceMs;

        Builder() {}

        /** Sets a key from its textual form, as in the YAML file or CONFIG SET. */
        public Builder set(String key, String value) {
            ConfigKeys.Key k = ConfigKeys.find(key);
            if (k == null) {
                throw new ConfigException("unknown configuration key '" + key + "'");
            }
            k.apply(this, value);
            return this;
        }

        /** Addresses to listen on. */
        public Builder bind(List<String> addresses) {
            this.bind = new ArrayList<>(addresses);
            return this;
        }

        /** TCP port (0: any free port). */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Data directory. */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        /** The admin endpoint's port (0: none). */
        public Builder adminPort(int port) {
            this.adminPort = port;
            return this;
        }

        /** Default user's password ("" for none). */
        public Builder requirepass(String password) {
            this.requirepass = password == null ? "" : password;
            return this;
        }

        /** Adds a named user. */
        public Builder user(String name, String password) {
            this.users.add(new UserSpec(name, password));
            return this;
        }

        /** Adds a named user with ACL rules (password may be null). */
        public Builder user(String name, String password, String rules) {
            this.users.add(new UserSpec(name, password, rules));
            return this;
        }

        /** The ACL file ("" or null: none). */
        public Builder aclfile(String path) {
            this.aclfile = path == null ? "" : path;
            return this;
        }

        /** Replaces the named users. */
        public Builder users(List<UserSpec> users) {
            this.users = new ArrayList<>(users);
            return this;
        }

        /** Node id. */
        public Builder nodeId(String nodeId) {
            this.nodeId = nodeId == null ? "" : nodeId;
            return this;
        }

        /** Cluster description file ("" or null: a single node). */
        public Builder cluster(String path) {
            this.cluster = path == null ? "" : path;
            return this;
        }

        /** Builds (and validates) the config. */
        public ConvergeConfig build() {
            TlsOptions tls = new TlsOptions(tlsCertFile, tlsKeyFile, tlsKeyFilePass, tlsClientCertFile, tlsClientKeyFile,
                    tlsClientKeyFilePass, tlsCaCertFile, tlsCaCertDir, tlsAuthClients, tlsProtocols, tlsCiphers,
                    tlsCiphersuites, tlsPreferServerCiphers, tlsSessionCaching, tlsSessionCacheSize, tlsSessionCacheTimeout);
            return new ConvergeConfig(bind, port, tlsPort, tls, dataDir, requirepass, users, maxmemory, maxmemoryPolicy, timeout,
                    protoMaxBulkLen, clientQueryBufferLimit, clientOutputBufferLimit, maxclients, ioThreads, nodeId,
                    engine, appendfsync, maxClockDriftMs, hz, activeExpire, appendonly, autoAofRewritePercentage,
                    autoAofRewriteMinSize, aofLoadTruncated, aofLoadSkipCorrupt, cluster, readConsistency,
                    writeConsistency, requestTimeoutMs, enableDebugCommand, repairIntervalMs, repairMaxBytesPerSec,
                    readRepairChance, repairHashTrees, gcGraceMs, slowlogLogSlowerThan, slowlogMaxLen, notifyKeyspaceEvents,
                    busyReplyThresholdMs, protectedMode,
                    shutdownTimeout, redisEncodings, adminPort, latencyMonitorThreshold, aclfile, acllogMaxLen, aclPubsubDefault,
                    crossSlotTransactions);
        }
    }
}
