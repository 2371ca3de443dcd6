package io.converge.server.command.data;

import io.converge.server.command.CommandContext;
import io.converge.server.command.acl.AclUser;
import io.converge.server.command.CommandException;
import io.converge.server.command.Errors;
import java.util.ArrayList;
import java.util.List;

/**
 * The options of {@code SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
 * [ALPHA] [STORE destination]} and of SORT_RO (no STORE), parsed as Redis 7.0 parses them: in
 * order, any number of times, the last of each kind winning, except that one BY without a
 * {@code *} ("do not sort") stays in force whatever BY follows; LIMIT's numbers must be integers
 * ({@code ERR value is not an integer or out of range}); anything else is {@code ERR syntax
 * error}, reported before the key is looked at.
 *
 * @param desc        DESC given last (rather than ASC)
 * @param alpha       ALPHA given
 * @param limitStart  LIMIT's offset (0 without LIMIT)
 * @param limitCount  LIMIT's count (-1 without LIMIT: all)
 * @param by          the last BY pattern, or null
 * @param dontSort    some BY pattern had no {@code *}
 * @param gets        the GET patterns, in order
 * @param store       the STORE destination, or null
 */
record SortArgs(boolean desc, boolean alpha, long limitStart, long limitCount, SortPattern by, boolean dontSort,
        List<SortPattern> gets, byte[] store) {

    /** Parses the options of {@code ctx}'s SORT ({@code readOnly}: SORT_RO, which has no STORE). */
    static SortArgs parse(CommandContext ctx, boolean readOnly) {
        boolean desc = false;
        boolean alpha = false;
        long limitStart = 0;
        long limitCount = -1;
        SortPattern by = null;
        boolean dontSort = false;
        List<SortPattern> gets = new ArrayList<>();
        byte[] store = null;
        int argc = ctx.argc();
        for (int j = 2; j < argc; j++) {
            int left = argc - j - 1;
            if (ctx.argIs(j, "asc")) {
                desc = false;
            } else if (ctx.argIs(j, "desc")) {
                desc = true;
            } else if (ctx.argIs(j, "alpha")) {
                alpha = true;
            } else if (ctx.argIs(j, "limit") && left >= 2) {
                limitStart = ctx.argLong(j + 1);
                limitCount = ctx.argLong(j + 2);
                j += 2;
            } else if (!readOnly && ctx.argIs(j, "store") && left >= 1) {
                store = ctx.arg(++j);
            } else if (ctx.argIs(j, "by") && left >= 1) {
                by = SortPattern.of(ctx.arg(++j));
                dontSort |= !by.hasStar();
                if (by.hasStar() && !fullKeyAccess(ctx)) {
                    throw new CommandException("ERR BY option of SORT denied due to insufficient ACL permissions.");
                }
            } else if (ctx.argIs(j, "get") && left >= 1) {
                if (!fullKeyAccess(ctx)) {
                    throw new CommandException("ERR GET option of SORT denied due to insufficient ACL permissions.");
                }
                gets.add(SortPattern.of(ctx.arg(++j)));
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        return new SortArgs(desc, alpha, limitStart, limitCount, by, dontSort, List.copyOf(gets), store);
    }

    /** Whether the client's ACL user may read any key (patterns read keys no key spec names, as Redis checks). */
    private static boolean fullKeyAccess(CommandContext ctx) {
        AclUser user = ctx.connection().aclUser();
        return user == null || user.allKeys();
    }

    /** Whether BY names the values to sort by (a pattern with {@code *}, and no BY without one). */
    boolean sortsByPattern() {
        return by != null && !dontSort;
    }

    /** Whether running the command may read keys formed by BY or GET patterns. */
    boolean readsPatternKeys() {
        if (sortsByPattern()) {
            return true;
        }
        for (SortPattern g : gets) {
            if (g.formsKeys()) {
                return true;
            }
        }
        return false;
    }

    /**
     * The keys of SORT's arguments as Redis's {@code sortGetKeys} finds them (COMMAND GETKEYS,
     * routing, transaction locks): the sorted key, then the destination of the last STORE, found
     * by skipping the arguments of LIMIT (two), BY and GET (one); STORE's own argument is then
     * looked at as an option name too, as Redis does.
     */
    static List<byte[]> sortKeys(byte[][] args) {
        if (args.length < 2) {
            return List.of();
        }
        byte[] store = null;
        for (int i = 2; i < args.length; i++) {
            byte[] a = args[i];
            if (CommandContext.equalsIgnoreCase(a, "limit")) {
                i += 2;
            } else if (CommandContext.equalsIgnoreCase(a, "store")) {
                if (i + 1 < args.length) {
                    store = args[i + 1];
                }
            } else if (CommandContext.equalsIgnoreCase(a, "get") || CommandContext.equalsIgnoreCase(a, "by")) {
                i += 1;
            }
        }
        return store == null ? List.of(args[1]) : List.of(args[1], store);
    }

    /** The key of SORT_RO's arguments: the sorted key. */
    static List<byte[]> sortReadOnlyKeys(byte[][] args) {
        return args.length < 2 ? List.of() : List.of(args[1]);
    }
}
