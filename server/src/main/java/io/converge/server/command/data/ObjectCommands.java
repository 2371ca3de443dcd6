package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.LOADING;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.STALE;

import io.converge.crdt.HashValue;
import io.converge.crdt.KeyState;
import io.converge.crdt.SetValue;
import io.converge.crdt.ZSetValue;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandHandler;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.NodeServices;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.store.StorageEngine;
import io.converge.server.util.RedisNumbers;

/**
 * OBJECT ENCODING, FREQ, IDLETIME, REFCOUNT and HELP. Converge has none of Redis's compact
 * encodings, so ENCODING answers what Redis 7.0 would hold the value as, by Redis's rules and the
 * encoding parameters set with CONFIG SET ({@code hash-max-listpack-entries} ...): for clients and
 * tools that look. It follows the rules from the current value; Redis keeps a collection in its
 * large encoding once converted, and keeps an appended string {@code raw}, so the two can differ
 * after such histories. IDLETIME is 0 (access times are not tracked), REFCOUNT is Redis's (shared
 * small integers report {@code 2147483647}), FREQ answers Redis's error unless an LFU policy is
 * configured, and then 0.
 */
public final class ObjectCommands {
    private static final String LFU_NOT_SELECTED = "ERR An LFU maxmemory policy is not selected, access frequency "
            + "not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some "
            + "time to adjust.";
    private static final String LFU_SELECTED = "ERR An LFU maxmemory policy is selected, idle time not tracked. "
            + "Please note that when switching between policies at runtime LRU and LFU data will take some time to "
            + "adjust.";
    /** Redis shares the integers below this (OBJ_SHARED_INTEGERS): their refcount is INT_MAX. */
    private static final long SHARED_INTEGERS = 10_000;
    /** Longest string Redis stores as embstr. */
    private static final int EMBSTR_MAX = 44;

    private final StorageEngine engine;

    private ObjectCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers OBJECT and its subcommands. */
    public static void register(NodeServices services, StorageEngine engine) {
        ObjectCommands c = new ObjectCommands(engine);
        CommandSpec.Builder object = CommandSpec.builder("object").arity(-2).acl(AclCategory.SLOW).group("generic")
                .since("2.2.3").summary("A container for object introspection commands.")
                .complexity("Depends on subcommand.");
        object.subcommand(keyed("encoding", "Returns the internal encoding of a Redis object.", c::encoding));
        object.subcommand(keyed("freq", "Returns the logarithmic access frequency counter of a Redis object.", c::freq)
                .since("4.0.0"));
        object.subcommand(keyed("idletime", "Returns the time since the last access to a Redis object.", c::idletime));
        object.subcommand(keyed("refcount", "Returns the reference count of a value of a key.", c::refcount));
        object.subcommand(CommandSpec.builder("help").arity(2).flags(LOADING, STALE).acl(AclCategory.KEYSPACE,
                AclCategory.SLOW).group("generic").since("6.2.0").summary("Returns helpful text about the different "
                + "subcommands.").complexity("O(1)").handler(c::help));
        services.commands().register(object.build());
    }

    private static CommandSpec.Builder keyed(String name, String summary, CommandHandler handler) {
        return CommandSpec.builder(name).arity(3).flags(READONLY).keys(2, 2, 1).keySpecFlags("RO")
                .acl(AclCategory.KEYSPACE, AclCategory.READ, AclCategory.SLOW).group("generic").since("2.2.3")
                .tips("nondeterministic_output").summary(summary).complexity("O(1)").handler(handler);
    }

    private void encoding(CommandContext ctx) {
        ConvergeConfig config = ctx.node().config().current();
        String encoding = engine.withKey(ctx.arg(2), access -> {
            KeyState state = access.live();
            return state == null ? null : encodingOf(state, config);
        });
        if (encoding == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(encoding);
        }
    }

    private void freq(CommandContext ctx) {
        boolean exists = exists(ctx);
        if (!exists) {
            ctx.reply().nullBulk();
        } else if (!ctx.node().config().current().maxmemoryPolicy().contains("lfu")) {
            throw new CommandException(LFU_NOT_SELECTED);
        } else {
            ctx.reply().integer(0);
        }
    }

    private void idletime(CommandContext ctx) {
        boolean exists = exists(ctx);
        if (!exists) {
            ctx.reply().nullBulk();
        } else if (ctx.node().config().current().maxmemoryPolicy().contains("lfu")) {
            throw new CommandException(LFU_SELECTED);
        } else {
            ctx.reply().integer(0);
        }
    }

    private void refcount(CommandContext ctx) {
        ConvergeConfig config = ctx.node().config().current();
        Long count = engine.withKey(ctx.arg(2), access -> {
            KeyState state = access.live();
            if (state == null) {
                return null;
            }
            byte[] s = state.stringBytes();
            boolean shared = s != null && s.length <= 20 && RedisNumbers.isLong(s)
                    && RedisNumbers.parseLong(s) >= 0 && RedisNumbers.parseLong(s) < SHARED_INTEGERS
                    && (config.maxmemory() == 0 || !config.maxmemoryPolicy().matches(".*(lru|lfu).*"));
            return shared ? Integer.MAX_VALUE : 1L;
        });
        if (count == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().integer(count);
        }
    }

    private boolean exists(CommandContext ctx) {
        return engine.withKey(ctx.arg(2), access -> access.live() != null);
    }

    private void help(CommandContext ctx) {
        ctx.reply().simpleArray(
                "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "ENCODING <key>",
                "    Return the kind of internal representation used in order to store the value",
                "    associated with a <key>.",
                "FREQ <key>",
                "    Return the access frequency index of the <key>. The returned integer is",
                "    proportional to the logarithm of the recent access frequency of the key.",
                "IDLETIME <key>",
                "    Return the idle time of the <key>, that is the approximated number of",
                "    seconds elapsed since the last access to the key.",
                "REFCOUNT <key>",
                "    Return the number of references of the value associated with the specified",
                "    <key>.",
                "HELP",
                "    Prints this help.");
    }

    /** What Redis 7.0 would hold {@code state}'s value as, under {@code config}'s encoding parameters. */
    static String encodingOf(KeyState state, ConvergeConfig config) {
        if (state.hll() != null) {
            return "raw"; // Redis keeps an HLL in a raw string
        }
        byte[] s = state.stringBytes();
        if (s != null) {
            if (s.length <= 20 && RedisNumbers.isLong(s)) {
                return "int";
            }
            return s.length <= EMBSTR_MAX ? "embstr" : "raw";
        }
        if (state.list() != null) {
            return "quicklist";
        }
        if (state.stream() != null) {
            return "stream";
        }
        HashValue h = state.hash();
        if (h != null) {
            long entries = setting(config, "hash-max-listpack-entries");
            long value = setting(config, "hash-max-listpack-value");
            boolean[] small = {h.size() <= entries};
            if (small[0]) {
                h.forEach((f, v) -> small[0] &= f.length <= value && v.length <= value);
            }
            return small[0] ? "listpack" : "hashtable";
        }
        SetValue set = state.set();
        if (set != null) {
            return isIntset(set, config) ? "intset" : "hashtable";
        }
        ZSetValue z = state.zset();
        if (z != null) {
            long value = setting(config, "zset-max-listpack-value");
            boolean small = z.size() <= setting(config, "zset-max-listpack-entries");
            for (int i = 0; small && i < z.size(); i++) {
                small = z.index().memberAt(i).length <= value;
            }
            return small ? "listpack" : "skiplist";
        }
        return "raw";
    }

    /**
     * Whether Redis 7.0 would hold {@code set} as an intset (every member a 64-bit integer, at
     * most {@code set-max-intset-entries} of them): it then iterates the members in ascending
     * numeric order, which SORT shows.
     */
    static boolean isIntset(SetValue set, ConvergeConfig config) {
        boolean ints = set.size() <= setting(config, "set-max-intset-entries");
        for (int i = 0; ints && i < set.size(); i++) {
            byte[] m = set.memberAt(i);
            ints = m.length <= 20 && RedisNumbers.isLong(m);
        }
        return ints;
    }

    private static long setting(ConvergeConfig config, String name) {
        return Long.parseLong(config.redisEncodings().get(name));
    }
}
