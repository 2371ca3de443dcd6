package io.converge.server.command;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Command lookup by name, matched case-insensitively straight from the request bytes: no String
 * is made per command.
 *
 * <p>An open-addressing table indexed by an FNV-1a hash of the lower-cased name bytes; a probe
 * compares lengths first, then bytes with ASCII case folding. Registration rebuilds the table
 * (copy on write) and publishes it through a volatile field, so lookups take no lock; commands
 * are registered at startup.
 */
public final class CommandTable {
    private volatile CommandSpec[] slots = new CommandSpec[16];
    private final List<CommandSpec> ordered = new ArrayList<>();
    /** Whether this is a node's table, which numbers its commands for ACL bitmaps (not a container's). */
    private final boolean numbers;
    private int aclIds;

    /** A node's command table: registered commands and their subcommands get ACL ids 0, 1, 2... */
    public CommandTable() {
        this(true);
    }

    private CommandTable(boolean numbers) {
        this.numbers = numbers;
    }

    /** The subcommand table of a container (its commands are numbered by the node's table). */
    static CommandTable forSubcommands() {
        return new CommandTable(false);
    }

    /** Adds a command; fails if one with the same name exists. */
    public synchronized void register(CommandSpec spec) {
        if (lookup(spec.nameBytes(), 0, spec.nameBytes().length) != null) {
            throw new IllegalArgumentException("command '" + spec.fullName() + "' is already registered");
        }
        if (numbers) {
            spec.aclId(aclIds++);
            if (spec.isContainer()) {
                for (CommandSpec sub : spec.subcommands().all()) {
                    sub.aclId(aclIds++);
                }
            }
        }
        ordered.add(spec);
        int capacity = Integer.highestOneBit(Math.max(16, ordered.size() * 4) - 1) << 1;
        CommandSpec[] table = new CommandSpec[capacity];
        for (CommandSpec s : ordered) {
            int i = hash(s.nameBytes(), 0, s.nameBytes().length) & (capacity - 1);
            while (table[i] != null) {
                i = (i + 1) & (capacity - 1);
            }
            table[i] = s;
        }
        slots = table;
    }

    /** The command named by {@code name} (any case), or null. */
    public CommandSpec lookup(byte[] name) {
        return lookup(name, 0, name.length);
    }

    /** The command named by {@code name[offset, offset+length)} (any case), or null. */
    public CommandSpec lookup(byte[] name, int offset, int length) {
        CommandSpec[] table = slots;
        int mask = table.length - 1;
        int i = hash(name, offset, length) & mask;
        while (true) {
            CommandSpec s = table[i];
            if (s == null) {
                return null;
            }
            if (equalsIgnoreCase(s.nameBytes(), name, offset, length)) {
                return s;
            }
            i = (i + 1) & mask;
        }
    }

    /** The command named {@code name} (any case), or null. */
    public CommandSpec lookup(String name) {
        return lookup(name.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Looks up a full name as Redis reports it: {@code "get"} or {@code "client|setname"}
     * (COMMAND INFO/DOCS accept both forms).
     */
    public CommandSpec lookupFullName(byte[] name) {
        for (int i = 0; i < name.length; i++) {
            if (name[i] == '|') {
                CommandSpec parent = lookup(name, 0, i);
                if (parent == null || !parent.isContainer()) {
                    return null;
                }
                return parent.subcommands().lookup(name, i + 1, name.length - i - 1);
            }
        }
        return lookup(name);
    }

    /** All commands in registration order. */
    public synchronized List<CommandSpec> all() {
        return Collections.unmodifiableList(new ArrayList<>(ordered));
    }

    /** Every command and, after each container, its subcommands (what per-command statistics cover). */
    public synchronized List<CommandSpec> allWithSubcommands() {
        List<CommandSpec> out = new ArrayList<>();
        for (CommandSpec cmd : ordered) {
            out.add(cmd);
            if (cmd.isContainer()) {
                out.addAll(cmd.subcommands().all());
            }
        }
        return out;
    }

    /** How many ACL ids this table gave out (commands and subcommands): ids are below it. */
    public synchronized int aclIdCount() {
        return aclIds;
    }

    /** Number of commands (subcommands not counted). */
    public synchronized int size() {
        return ordered.size();
    }

    /** ASCII lower case of a byte. */
    static int lower(byte b) {
        return (b >= 'A' && b <= 'Z') ? b + 32 : b;
    }

    private static int hash(byte[] name, int offset, int length) {
        int h = 0x811c9dc5;
        for (int i = offset; i < offset + length; i++) {
            h ^= lower(name[i]);
            h *= 0x01000193;
        }
        return h ^ (h >>> 16);
    }

    private static boolean equalsIgnoreCase(byte[] lowerName, byte[] name, int offset, int length) {
        if (lowerName.length != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            if (lowerName[i] != lower(name[offset + i])) {
                return false;
            }
        }
        return true;
    }
}
