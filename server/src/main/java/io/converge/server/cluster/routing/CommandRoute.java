package io.converge.server.cluster.routing;

import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandTable;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * How the cluster router treats one command of the command table: where it runs and how its keys
 * are found. Built once per node from the command table ({@link Table#of}), then looked up per
 * command by spec identity.
 *
 * <p>Keys come from the command table: its key positions {@code (first, last, step)}, or the
 * command's {@code KeyFinder} for those whose keys follow a {@code numkeys} argument ("movable
 * keys" in Redis). Commands of that kind that do not declare a finder are listed here by name.
 * A command without keys runs on the node the client is connected to.
 *
 * @param kind       what the router does with it
 * @param write      whether it writes (its replies wait for the write consistency level)
 * @param numKeysArg for movable-key commands listed here, the index of the {@code numkeys}
 *                   argument (0: none)
 * @param keysBefore for those, key arguments before {@code numkeys} (a destination)
 * @param finder     whether the command table's key finder gives the keys
 */
record CommandRoute(Kind kind, boolean write, int numKeysArg, int keysBefore, boolean finder) {

    /** What the router does with a command. */
    enum Kind {
        /** No keys (PING, CONFIG, CLIENT...): runs on this node. */
        LOCAL,
        /** Keys that must all share one replica set; runs on a replica of it. */
        KEYED,
        /** MGET: split per replica set, replies reassembled in key order. */
        SPLIT_MGET,
        /** MSET: split per replica set (key/value pairs), {@code +OK} once every part is. */
        SPLIT_MSET,
        /** DEL, EXISTS, UNLINK, TOUCH: split per replica set, integer replies summed. */
        SPLIT_SUM,
        /** MULTI and DISCARD: run here; the transaction's placement starts over. */
        TRANSACTION_BOUNDARY,
        /** EXEC: the queued commands run together on a replica of their keys. */
        EXEC,
        /** WATCH: runs here and records the watched keys' replica set. */
        WATCH,
        /** UNWATCH: runs here and forgets the watched keys. */
        UNWATCH,
        /** RESET: runs here and drops the connection's routing state (levels, transaction). */
        RESET,
        /** DBSIZE, KEYS, SCAN, RANDOMKEY, INFO (keyspace), FLUSHALL, FLUSHDB: over the whole cluster (see {@link ClusterKeyspace}). */
        CLUSTER_WIDE
    }

    private static final CommandRoute UNLISTED = new CommandRoute(Kind.LOCAL, false, 0, 0, false);

    /** Whether the command has no keys to place (it runs here, or over the whole cluster). */
    boolean keyless() {
        return kind == Kind.LOCAL || kind == Kind.CLUSTER_WIDE;
    }

    /** Whether the command's keys follow a {@code numkeys} argument (not plain positions). */
    boolean movableKeys() {
        return numKeysArg > 0 || finder;
    }

    /**
     * Number of key arguments of {@code args} for {@code spec} (0 when the arguments do not reach
     * them); for commands with positions or a numkeys listed here (not a key finder).
     */
    int keyCount(CommandSpec spec, byte[][] args) {
        if (numKeysArg > 0) {
            long n = numKeys(args);
            return n < 0 ? 0 : keysBefore + (int) n;
        }
        int first = spec.firstKey();
        if (first <= 0 || first >= args.length) {
            return 0;
        }
        int last = spec.lastKey() >= 0 ? spec.lastKey() : args.length + spec.lastKey();
        last = Math.min(last, args.length - 1);
        int step = Math.max(1, spec.keyStep());
        return last < first ? 0 : (last - first) / step + 1;
    }

    /** Argument index of key {@code i} (0-based) of {@code args}. */
    int keyIndex(CommandSpec spec, int i) {
        if (numKeysArg > 0) {
            return i < keysBefore ? 1 + i : numKeysArg + 1 + (i - keysBefore);
        }
        return spec.firstKey() + i * Math.max(1, spec.keyStep());
    }

    /** The key arguments of {@code args}, in order (duplicates kept). */
    byte[][] keys(CommandSpec spec, byte[][] args) {
        if (finder) {
            return spec.keys(args).toArray(new byte[0][]);
        }
        int n = keyCount(spec, args);
        byte[][] keys = new byte[n][];
        for (int i = 0; i < n; i++) {
            keys[i] = args[keyIndex(spec, i)];
        }
        return keys;
    }

    /**
     * The valid {@code numkeys} of a movable-key command, or -1 when it is not a positive integer
     * or larger than the arguments (the command then runs here and reports its own error).
     */
    private long numKeys(byte[][] args) {
        if (numKeysArg >= args.length) {
            return -1;
        }
        byte[] a = args[numKeysArg];
        if (a.length == 0 || a.length > 9) {
            return -1;
        }
        long n = 0;
        for (byte b : a) {
            if (b < '0' || b > '9') {
                return -1;
            }
            n = n * 10 + (b - '0');
        }
        return n >= 1 && numKeysArg + n < args.length ? n : -1;
    }

    /** The routes of every command (and subcommand) of a command table. */
    static final class Table {
        /** Commands whose keys follow {@code numkeys} at argument 1. */
        private static final List<String> NUMKEYS_FIRST =
                List.of("sintercard", "zinter", "zunion", "zdiff", "zintercard", "lmpop", "zmpop", "eval", "evalsha",
                        "eval_ro", "evalsha_ro", "fcall", "fcall_ro");
        /** Commands with a destination key, then {@code numkeys} at argument 2. */
        private static final List<String> DESTINATION_THEN_NUMKEYS = List.of("zunionstore", "zinterstore", "zdiffstore");

        private final Map<CommandSpec, CommandRoute> routes = new IdentityHashMap<>();

        private Table() {}

        /** Classifies every command of {@code table} (call once every family is registered). */
        static Table of(CommandTable table) {
            Table t = new Table();
            for (CommandSpec spec : table.all()) {
                t.routes.put(spec, classify(spec));
                if (spec.isContainer()) {
                    for (CommandSpec sub : spec.subcommands().all()) {
                        t.routes.put(sub, classify(sub));
                    }
                }
            }
            return t;
        }

        /** The route of {@code spec} (commands registered later run here). */
        CommandRoute of(CommandSpec spec) {
            CommandRoute r = routes.get(spec);
            return r != null ? r : UNLISTED;
        }

        private static CommandRoute classify(CommandSpec spec) {
            // Scripts (read-only ones too) take the write path: they run on the script thread and
            // answer later by themselves, which a read's repair-then-run continuation cannot wait
            // for; a script that wrote waits for the write level, one that did not answers at once.
            boolean write = spec.has(CommandFlag.WRITE) || spec.has(CommandFlag.RUNS_SCRIPT);
            String name = spec.fullName();
            Kind kind = switch (name) {
                case "exec" -> Kind.EXEC;
                case "multi", "discard" -> Kind.TRANSACTION_BOUNDARY;
                case "watch" -> Kind.WATCH;
                case "unwatch" -> Kind.UNWATCH;
                case "reset" -> Kind.RESET;
                case "mget" -> Kind.SPLIT_MGET;
                case "mset" -> Kind.SPLIT_MSET;
                case "del", "exists", "unlink", "touch" -> Kind.SPLIT_SUM;
                case "dbsize", "keys", "scan", "randomkey", "info", "flushall", "flushdb" -> Kind.CLUSTER_WIDE;
                default -> null;
            };
            if (kind != null) {
                return new CommandRoute(kind, write, 0, 0, false);
            }
            if (spec.movableKeys()) {
                return new CommandRoute(Kind.KEYED, write, 0, 0, true);
            }
            if (NUMKEYS_FIRST.contains(name)) {
                return new CommandRoute(Kind.KEYED, write, 1, 0, false);
            }
            if (DESTINATION_THEN_NUMKEYS.contains(name)) {
                return new CommandRoute(Kind.KEYED, write, 2, 1, false);
            }
            return new CommandRoute(spec.hasKeys() ? Kind.KEYED : Kind.LOCAL, write, 0, 0, false);
        }
    }
}
