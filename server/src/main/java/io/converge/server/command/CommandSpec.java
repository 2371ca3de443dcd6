package io.converge.server.command;

import io.converge.server.util.RedisNumbers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One command of the command table: name, arity, flags, key positions, ACL categories,
 * documentation, the handler that executes it, its statistics, and (for container commands such
 * as CLIENT or CONFIG) its subcommands.
 *
 * <p>Conventions are Redis's: the arity counts the command name (and the subcommand name for
 * subcommands); a negative arity -N means "at least N". Key positions are 1-based argument
 * indexes {@code (firstKey, lastKey, keyStep)}; {@code lastKey} -1 means the last argument, -2
 * the one before; {@code firstKey} 0 means no keys. Commands whose keys those positions cannot
 * describe (ZUNIONSTORE's sources follow its numkeys argument) add a {@link KeyFinder}: COMMAND
 * INFO then reports them with the {@code movablekeys} flag, and {@link #keys(byte[][])} uses the
 * finder. COMMAND INFO reports one key specification derived from the positions and
 * {@code keySpecFlags}, or the {@link KeySpec}s given explicitly (commands with several).
 *
 * <p>Build with {@link #builder(String)}:
 * <pre>{@code
 * CommandSpec.builder("get").arity(2).flags(READONLY, FAST).keys(1, 1, 1).keySpecFlags("RO", "access")
 *     .acl(AclCategory.STRING).group("string").since("1.0.0").summary("Get the value of a key")
 *     .handler(strings::get).build();
 * }</pre>
 */
public final class CommandSpec {
    private final String name;
    private final String fullName;
    private final byte[] nameBytes;
    private final int arity;
    private final long flags;
    private final long aclCategories;
    private final int firstKey;
    private final int lastKey;
    private final int keyStep;
    private final List<String> keySpecFlags;
    private final List<KeySpec> keySpecs;
    private final KeyFinder keyFinder;
    private final List<String> tips;
    private final CommandHandler handler;
    private final CommandTable subcommands;
    private final String summary;
    private final String since;
    private final String group;
    private final String complexity;
    private final CommandStats stats = new CommandStats();
    private final boolean subcommand;
    /** Index of this command in its node's ACL command bitmaps (see {@link CommandTable}); -1 until registered. */
    private int aclId = -1;

    private CommandSpec(Builder b, String parentName) {
        this.name = b.name;
        this.subcommand = parentName != null;
        this.fullName = parentName == null ? b.name : parentName + "|" + b.name;
        this.nameBytes = b.name.getBytes(StandardCharsets.US_ASCII);
        this.arity = b.arity;
        this.flags = b.flags;
        this.aclCategories = impliedCategories(b.flags, b.aclCategories);
        this.firstKey = b.firstKey;
        this.lastKey = b.lastKey;
        this.keyStep = b.keyStep;
        this.keySpecFlags = List.copyOf(b.keySpecFlags);
        this.keySpecs = !b.keySpecs.isEmpty() ? List.copyOf(b.keySpecs)
                : b.firstKey > 0 ? List.of(derivedKeySpec(b)) : List.of();
        this.keyFinder = b.keyFinder;
        this.tips = List.copyOf(b.tips);
        this.handler = b.handler;
        this.summary = b.summary;
        this.since = b.since;
        this.group = b.group;
        this.complexity = b.complexity;
        if (b.subcommands.isEmpty()) {
            this.subcommands = null;
        } else {
            this.subcommands = CommandTable.forSubcommands();
            for (Builder sub : b.subcommands) {
                subcommands.register(new CommandSpec(sub, b.name));
            }
        }
    }

    /** Starts the description of command {@code name} (any case; stored lower case). */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Lower-case name, e.g. {@code "setname"} for CLIENT SETNAME. */
    public String name() {
        return name;
    }

    /** Name as Redis reports it: {@code "get"} or {@code "client|setname"}. */
    public String fullName() {
        return fullName;
    }

    /** Lower-case ASCII bytes of {@link #name()}. */
    byte[] nameBytes() {
        return nameBytes;
    }

    /** Whether this is a subcommand ({@code client|id}) rather than a top-level command. */
    public boolean isSubcommand() {
        return subcommand;
    }

    /**
     * This command's index in the ACL command bitmaps of the node whose table holds it (unique
     * among the node's commands and subcommands, dense from 0), or -1 if it is in no node table.
     */
    public int aclId() {
        return aclId;
    }

    void aclId(int id) {
        this.aclId = id;
    }

    /** Arity (Redis convention). */
    public int arity() {
        return arity;
    }

    /** Whether {@code argc} arguments (command name included) satisfy the arity. */
    public boolean arityAccepts(int argc) {
        return arity >= 0 ? argc == arity : argc >= -arity;
    }

    /** Whether the command has {@code flag}. */
    public boolean has(CommandFlag flag) {
        return (flags & flag.bit()) != 0;
    }

    /** The flag bit set (see {@link CommandFlag#bit()}). */
    public long flagBits() {
        return flags;
    }

    /** Whether the command is in {@code category} (implied categories included). */
    public boolean inCategory(AclCategory category) {
        return (aclCategories & category.bit()) != 0;
    }

    /** The ACL category bit set (see {@link AclCategory#bit()}). */
    public long aclCategoryBits() {
        return aclCategories;
    }

    /** First key position (0: none). */
    public int firstKey() {
        return firstKey;
    }

    /** Last key position (negative: from the end). */
    public int lastKey() {
        return lastKey;
    }

    /** Step between keys. */
    public int keyStep() {
        return keyStep;
    }

    /** Key-spec flags reported by COMMAND INFO, e.g. {@code RO}, {@code access}. */
    public List<String> keySpecFlags() {
        return keySpecFlags;
    }

    /**
     * The key specifications COMMAND INFO reports: those given with {@link Builder#keySpecs},
     * else one range derived from the key positions and {@link #keySpecFlags()}, else none.
     */
    public List<KeySpec> keySpecs() {
        return keySpecs;
    }

    /** Whether the keys are found by a {@link KeyFinder} (Redis's {@code movablekeys} flag). */
    public boolean movableKeys() {
        return keyFinder != null;
    }

    /** Command tips reported by COMMAND INFO. */
    public List<String> tips() {
        return tips;
    }

    /** The handler (null for a container that only dispatches to subcommands). */
    public CommandHandler handler() {
        return handler;
    }

    /** Whether this is a container command (CLIENT, CONFIG, COMMAND, ...). */
    public boolean isContainer() {
        return subcommands != null;
    }

    /** The subcommand table of a container, or null. */
    public CommandTable subcommands() {
        return subcommands;
    }

    /** One-line documentation. */
    public String summary() {
        return summary;
    }

    /** Redis version that introduced the command. */
    public String since() {
        return since;
    }

    /** Documentation group (string, hash, connection, server, ...). */
    public String group() {
        return group;
    }

    /** Time complexity text, or null. */
    public String complexity() {
        return complexity;
    }

    /** Execution statistics. */
    public CommandStats stats() {
        return stats;
    }

    /** Whether the command declares key positions or a {@link KeyFinder}. */
    public boolean hasKeys() {
        return firstKey > 0 || keyFinder != null;
    }

    /**
     * The key arguments of {@code args}: found by the {@link KeyFinder} if the command has one,
     * else according to the key positions (empty when the command has none or the arguments do
     * not reach them).
     */
    public List<byte[]> keys(byte[][] args) {
        if (keyFinder != null) {
            return keyFinder.keys(args);
        }
        if (firstKey <= 0 || firstKey >= args.length) {
            return List.of();
        }
        int last = lastKey >= 0 ? lastKey : args.length + lastKey;
        last = Math.min(last, args.length - 1);
        List<byte[]> keys = new ArrayList<>(Math.max(1, (last - firstKey) / Math.max(1, keyStep) + 1));
        for (int i = firstKey; i <= last; i += Math.max(1, keyStep)) {
            keys.add(args[i]);
        }
        return keys;
    }

    /**
     * Whether {@code key} is, in {@code args}, one of the keys a key spec flags as written
     * ({@code RW}, {@code OW} or {@code RM}): Redis looks those up for writing, so not finding
     * them is no keyspace miss.
     */
    public boolean isWrittenKey(byte[][] args, byte[] key) {
        for (KeySpec spec : keySpecs) {
            if (!spec.flags().contains("RW") && !spec.flags().contains("OW") && !spec.flags().contains("RM")) {
                continue;
            }
            int begin = spec.beginIndex();
            int first;
            int last;
            int step;
            switch (spec.findKeys()) {
                case KeySpec.Range r -> {
                    first = begin;
                    last = r.lastKey() >= 0 ? begin + r.lastKey() : args.length + r.lastKey();
                    step = Math.max(1, r.keyStep());
                }
                case KeySpec.KeyNum k -> {
                    int at = begin + k.keyNumIndex();
                    if (at >= args.length) {
                        continue;
                    }
                    long n;
                    try {
                        n = RedisNumbers.parseLong(args[at]);
                    } catch (RuntimeException e) {
                        continue;
                    }
                    step = Math.max(1, k.keyStep());
                    first = begin + k.firstKey();
                    last = (int) Math.min(args.length - 1L, first + (n - 1) * step);
                }
                case KeySpec.Unknown u -> {
                    continue; // no position to compare (SORT's STORE: written through a write lookup)
                }
            }
            for (int i = first; i <= Math.min(last, args.length - 1); i += step) {
                if (i >= 1 && Arrays.equals(args[i], key)) {
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return fullName;
    }

    /** The single range spec the key positions describe (lastKey made relative to firstKey). */
    private static KeySpec derivedKeySpec(Builder b) {
        int last = b.lastKey >= 0 ? b.lastKey - b.firstKey : b.lastKey;
        return new KeySpec(null, b.keySpecFlags, b.firstKey, new KeySpec.Range(last, b.keyStep, 0));
    }

    private static long impliedCategories(long flags, long explicit) {
        long c = explicit;
        if ((flags & CommandFlag.WRITE.bit()) != 0) {
            c |= AclCategory.WRITE.bit();
        }
        if ((flags & CommandFlag.READONLY.bit()) != 0 && (c & AclCategory.SCRIPTING.bit()) == 0) {
            c |= AclCategory.READ.bit();
        }
        if ((flags & CommandFlag.ADMIN.bit()) != 0) {
            c |= AclCategory.ADMIN.bit() | AclCategory.DANGEROUS.bit();
        }
        if ((flags & CommandFlag.PUBSUB.bit()) != 0) {
            c |= AclCategory.PUBSUB.bit();
        }
        if ((flags & CommandFlag.FAST.bit()) != 0) {
            c |= AclCategory.FAST.bit();
        }
        if ((flags & CommandFlag.BLOCKING.bit()) != 0) {
            c |= AclCategory.BLOCKING.bit();
        }
        if ((c & AclCategory.FAST.bit()) == 0) {
            c |= AclCategory.SLOW.bit();
        }
        return c;
    }

    /** Fluent description of a command; {@link #build()} makes the immutable spec. */
    public static final class Builder {
        private final String name;
        private int arity = Integer.MIN_VALUE;
        private long flags;
        private long aclCategories;
        private int firstKey;
        private int lastKey;
        private int keyStep;
        private final List<String> keySpecFlags = new ArrayList<>();
        private final List<KeySpec> keySpecs = new ArrayList<>();
        private KeyFinder keyFinder;
        private final List<String> tips = new ArrayList<>();
        private CommandHandler handler;
        private final List<Builder> subcommands = new ArrayList<>();
        private String summary = "";
        private String since = "1.0.0";
        private String group = "generic";
        private String complexity;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name).toLowerCase(Locale.ROOT);
        }

        /** Arity, Redis convention (required). */
        public Builder arity(int arity) {
            this.arity = arity;
            return this;
        }

        /** Adds flags. */
        public Builder flags(CommandFlag... flags) {
            for (CommandFlag f : flags) {
                this.flags |= f.bit();
            }
            return this;
        }

        /** Adds explicit ACL categories (those implied by flags are added automatically). */
        public Builder acl(AclCategory... categories) {
            for (AclCategory c : categories) {
                this.aclCategories |= c.bit();
            }
            return this;
        }

        /** Key positions: first, last (negative from the end), step. */
        public Builder keys(int first, int last, int step) {
            this.firstKey = first;
            this.lastKey = last;
            this.keyStep = step;
            return this;
        }

        /** Key-spec flags for COMMAND INFO (e.g. "RW", "access", "update"). */
        public Builder keySpecFlags(String... flags) {
            this.keySpecFlags.addAll(Arrays.asList(flags));
            return this;
        }

        /**
         * Key specifications for COMMAND INFO, replacing the one derived from {@link #keys} and
         * {@link #keySpecFlags}: for commands Redis describes with several (SMOVE: source and
         * destination) or with a keynum spec (ZUNIONSTORE).
         */
        public Builder keySpecs(KeySpec... specs) {
            this.keySpecs.addAll(Arrays.asList(specs));
            return this;
        }

        /**
         * Finds the keys of commands whose keys the positions cannot describe (Redis's
         * {@code movablekeys}); {@link #keys} still gives the positions COMMAND INFO reports.
         */
        public Builder keyFinder(KeyFinder finder) {
            this.keyFinder = finder;
            return this;
        }

        /** Command tips for COMMAND INFO (e.g. "nondeterministic_output"). */
        public Builder tips(String... tips) {
            this.tips.addAll(Arrays.asList(tips));
            return this;
        }

        /** The handler. */
        public Builder handler(CommandHandler handler) {
            this.handler = handler;
            return this;
        }

        /** One-line summary for COMMAND DOCS. */
        public Builder summary(String summary) {
            this.summary = summary;
            return this;
        }

        /** Redis version that introduced the command, for COMMAND DOCS. */
        public Builder since(String since) {
            this.since = since;
            return this;
        }

        /** Documentation group for COMMAND DOCS (string, list, connection, server, ...). */
        public Builder group(String group) {
            this.group = group;
            return this;
        }

        /** Time complexity for COMMAND DOCS. */
        public Builder complexity(String complexity) {
            this.complexity = complexity;
            return this;
        }

        /** Adds a subcommand (makes this a container command). */
        public Builder subcommand(Builder sub) {
            subcommands.add(sub);
            return this;
        }

        /** Builds the spec. */
        public CommandSpec build() {
            if (arity == Integer.MIN_VALUE || arity == 0) {
                throw new IllegalStateException("command '" + name + "' needs a non-zero arity");
            }
            if (handler == null && subcommands.isEmpty()) {
                throw new IllegalStateException("command '" + name + "' needs a handler");
            }
            for (Builder sub : subcommands) {
                if (sub.arity == Integer.MIN_VALUE || sub.arity == 0 || sub.handler == null) {
                    throw new IllegalStateException("subcommand '" + name + "|" + sub.name + "' needs arity and handler");
                }
            }
            return new CommandSpec(this, null);
        }
    }
}
