package io.converge.server.command;

/**
 * Command flags, with the names Redis reports in {@code COMMAND INFO}.
 *
 * <p>The declaration order is the order Redis lists them in. Flags whose {@link #redisName()} is
 * null are Converge-internal and never reported.
 */
public enum CommandFlag {
    /** May modify the keyspace. */
    WRITE("write"),
    /** Only reads the keyspace. */
    READONLY("readonly"),
    /** May grow memory use: refused when maxmemory is reached. */
    DENYOOM("denyoom"),
    /** Administrative command. */
    ADMIN("admin"),
    /** Pub/sub related. */
    PUBSUB("pubsub"),
    /** Not allowed in scripts. */
    NOSCRIPT("noscript"),
    /** May block the client. */
    BLOCKING("blocking"),
    /** Allowed while the node is loading its data. */
    LOADING("loading"),
    /** Allowed on a stale replica. */
    STALE("stale"),
    /** Not shown by MONITOR. */
    SKIP_MONITOR("skip_monitor"),
    /** Not recorded in the slow log. */
    SKIP_SLOWLOG("skip_slowlog"),
    /** O(1) or O(log N): never delays the server. */
    FAST("fast"),
    /** Allowed before authentication. */
    NO_AUTH("no_auth"),
    /** May replicate even though it is not a write. */
    MAY_REPLICATE("may_replicate"),
    /** Not allowed inside MULTI (it answers an error instead of QUEUED). */
    NO_MULTI("no_multi"),
    /** Allowed while a script is busy. */
    ALLOW_BUSY("allow_busy"),
    /** May be called with no keys although it takes key arguments (EVAL with numkeys 0). */
    NO_MANDATORY_KEYS("no_mandatory_keys"),
    /** Executed immediately even inside MULTI (MULTI, EXEC, DISCARD, WATCH, QUIT, RESET), never queued. */
    TRANSACTION_CONTROL(null),
    /**
     * Ends the client's transaction (EXEC, DISCARD, QUIT, RESET): the only commands Redis accepts
     * inside MULTI once memory is over {@code maxmemory} (everything else is refused with OOM).
     */
    ENDS_TRANSACTION(null),
    /**
     * A list command: in a cluster it runs on the key's first live replica, not on any replica, so
     * that one replica hands out each element (pops) and sees every push made through it.
     */
    ON_PRIMARY(null),
    /**
     * Runs a Lua script (EVAL, FCALL and their variants), which holds the whole keyspace: a
     * transaction that queues one locks the whole keyspace from its start.
     */
    RUNS_SCRIPT(null),
    /**
     * May read keys that no argument names, formed from the data by patterns (SORT's BY and GET):
     * it then holds the whole keyspace while it runs, and a transaction that queues one locks the
     * whole keyspace from its start.
     */
    READS_PATTERN_KEYS(null);

    private final String redisName;

    CommandFlag(String redisName) {
        this.redisName = redisName;
    }

    /** The name in COMMAND INFO, or null for internal flags. */
    public String redisName() {
        return redisName;
    }

    /** This flag's bit in a flag set. */
    public long bit() {
        return 1L << ordinal();
    }
}
