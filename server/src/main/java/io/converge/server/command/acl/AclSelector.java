package io.converge.server.command.acl;

import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One ACL selector, Redis 7's unit of permissions: the commands it allows (a bitmap by command
 * id, plus the "first arguments" allowed of otherwise refused commands, {@code +select|0}), the
 * key patterns with the access each grants ({@code ~p} read and write, {@code %R~p}, {@code %W~p})
 * and the channel patterns. A user has a root selector (the rules written outside parentheses)
 * and any number of {@code (...)} selectors; a command runs when one of them allows it.
 *
 * <p>{@code future} is Redis's reserved last bit: set by {@code +@all}, cleared by
 * {@code -@all} only, it makes the description start from {@code +@all} and would allow commands
 * added later. Mutated only while rules are applied to a fresh copy (see {@link UserRules}).
 */
final class AclSelector {
    /** The user's root selector. */
    static final int ROOT = 1;
    /** Every key ({@code allkeys}, {@code ~*}). */
    static final int ALL_KEYS = 2;
    /** Every command ({@code +@all}), until any command is removed. */
    static final int ALL_COMMANDS = 4;
    /** Every channel ({@code allchannels}, {@code &*}). */
    static final int ALL_CHANNELS = 8;
    /** Key access: read. */
    static final int READ = 1;
    /** Key access: write. */
    static final int WRITE = 2;
    /** Key access: both ({@code ~pattern}). */
    static final int READ_WRITE = READ | WRITE;

    /** A glob pattern, as written and as bytes to match with. */
    record Pattern(String text, byte[] bytes) {
        static Pattern of(String text) {
            return new Pattern(text, AclText.bytes(text));
        }
    }

    /** A key pattern and the access it grants ({@link #READ}, {@link #WRITE} or both). */
    static final class KeyPattern {
        final Pattern pattern;
        int access;

        KeyPattern(Pattern pattern, int access) {
            this.pattern = pattern;
            this.access = access;
        }

        /** As rules write it: {@code ~p}, {@code %R~p} or {@code %W~p}. */
        String rule() {
            String prefix = access == READ_WRITE ? "~" : access == READ ? "%R~" : "%W~";
            return prefix + pattern.text();
        }
    }

    int flags;
    private long[] commands;
    boolean future;
    /** Allowed first arguments by command id (null: none), in the order added. */
    Map<Integer, List<String>> firstArgs;
    final List<KeyPattern> keys = new ArrayList<>();
    final List<Pattern> channels = new ArrayList<>();

    /** An empty selector (no commands, keys or channels) with {@code flags}, sized for {@code commandIds}. */
    AclSelector(int flags, int commandIds) {
        this.flags = flags;
        this.commands = new long[(commandIds + 63) / 64];
    }

    /** A deep copy. */
    AclSelector copy() {
        AclSelector c = new AclSelector(flags, 0);
        c.commands = commands.clone();
        c.future = future;
        if (firstArgs != null) {
            c.firstArgs = new LinkedHashMap<>();
            firstArgs.forEach((id, args) -> c.firstArgs.put(id, new ArrayList<>(args)));
        }
        for (KeyPattern k : keys) {
            c.keys.add(new KeyPattern(k.pattern, k.access));
        }
        c.channels.addAll(channels);
        return c;
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** The command bit of {@code id} (ids outside the bitmap: the reserved "future commands" bit). */
    boolean bit(int id) {
        int word = id >>> 6;
        if (id < 0 || word >= commands.length) {
            return id >= 0 && future;
        }
        return (commands[word] & (1L << id)) != 0;
    }

    private void bit(int id, boolean value) {
        int word = id >>> 6;
        if (id >= 0 && word < commands.length) {
            if (value) {
                commands[word] |= 1L << id;
            } else {
                commands[word] &= ~(1L << id);
            }
        }
        if (!value) {
            flags &= ~ALL_COMMANDS;
        }
    }

    /** Allows or refuses {@code cmd} and, for a container, every subcommand (Redis's ACLChangeSelectorPerm). */
    void change(CommandSpec cmd, boolean allow) {
        bit(cmd.aclId(), allow);
        if (firstArgs != null) {
            firstArgs.remove(cmd.aclId());
        }
        for (CommandSpec sub : CommandCatalog.subcommandsOf(cmd)) {
            bit(sub.aclId(), allow);
        }
    }

    /** {@code +@category} / {@code -@category}: every command of the catalog in it, a container with its subcommands. */
    void change(CommandCatalog catalog, AclCategory category, boolean allow) {
        for (CommandSpec cmd : catalog.topLevel()) {
            if (cmd.inCategory(category)) {
                change(cmd, allow);
            }
            for (CommandSpec sub : CommandCatalog.subcommandsOf(cmd)) {
                if (sub.inCategory(category)) {
                    change(sub, allow);
                }
            }
        }
    }

    /** {@code +@all}: every command, now and future. */
    void allCommands() {
        Arrays.fill(commands, -1L);
        future = true;
        flags |= ALL_COMMANDS;
        firstArgs = null;
    }

    /** {@code -@all}: no command. */
    void noCommands() {
        Arrays.fill(commands, 0L);
        future = false;
        flags &= ~ALL_COMMANDS;
        firstArgs = null;
    }

    /** Allows {@code arg} as the first argument of the command {@code id} (case-insensitively, once). */
    void addFirstArg(int id, String arg) {
        if (firstArgs == null) {
            firstArgs = new LinkedHashMap<>();
        }
        List<String> args = firstArgs.computeIfAbsent(id, k -> new ArrayList<>());
        for (String a : args) {
            if (a.equalsIgnoreCase(arg)) {
                return;
            }
        }
        args.add(arg);
    }

    /** The first arguments allowed of command {@code id} (empty if none). */
    List<String> firstArgs(int id) {
        if (firstArgs == null) {
            return List.of();
        }
        List<String> args = firstArgs.get(id);
        return args == null ? List.of() : args;
    }

    /** The number of commands of {@code category} this selector allows (index 0) and refuses (index 1). */
    long[] count(CommandCatalog catalog, AclCategory category) {
        long on = 0;
        long off = 0;
        for (CommandSpec c : catalog.all()) {
            if (c.inCategory(category)) {
                if (bit(c.aclId())) {
                    on++;
                } else {
                    off++;
                }
            }
        }
        return new long[] {on, off};
    }

    /** Whether the command bitmaps of both selectors are equal. */
    boolean sameCommands(AclSelector other) {
        return Arrays.equals(commands, other.commands) && future == other.future;
    }
}
