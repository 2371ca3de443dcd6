package io.converge.server.command.data;

import static io.converge.server.command.CommandFlag.DENYOOM;
import static io.converge.server.command.CommandFlag.FAST;
import static io.converge.server.command.CommandFlag.ON_PRIMARY;
import static io.converge.server.command.CommandFlag.READONLY;
import static io.converge.server.command.CommandFlag.WRITE;

import io.converge.crdt.KeyState;
import io.converge.crdt.StreamId;
import io.converge.crdt.StreamValue;
import io.converge.crdt.ValueType;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandException;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandHandler;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.KeySpec;
import io.converge.server.command.NodeServices;
import io.converge.server.config.NotifyFlags;
import io.converge.server.store.KeyAccess;
import io.converge.server.store.StorageEngine;
import java.util.ArrayList;
import java.util.List;

/**
 * XADD, XLEN, XRANGE, XREVRANGE, XDEL, XTRIM, XREAD and XINFO STREAM with Redis 7.0's replies
 * (RESP2 and RESP3), errors and keyspace events, on {@link StreamValue}. Every stream command
 * runs on the key's first live replica ({@link CommandFlag#ON_PRIMARY}), so while the cluster is
 * healthy one replica hands out each stream's IDs; a replica that generates an auto ID while it is
 * not the key's first replica takes it from its own sequence space ({@link StreamId#autoId}).
 *
 * <p>Not provided: consumer groups (XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM, XAUTOCLAIM, XINFO
 * GROUPS/CONSUMERS, XSETID answer unknown command) and XREAD's BLOCK option, refused with an
 * error (XREAD still carries Redis's blocking flag and {@code @blocking} category). Approximate trims ({@code ~}) remove whole "nodes" from the front, as Redis does, taking
 * the nodes to be runs of {@value StreamArgs#NODE_ENTRIES} present entries from the first (Redis's
 * default node size): the same as Redis for streams without XDEL (deleted entries still fill
 * Redis's nodes) whose entries are small enough for 100 to fit a node.
 */
public final class StreamCommands {
    private static final CommandException ID_TOO_SMALL =
            new CommandException("ERR The ID specified in XADD is equal or smaller than the target stream top item");
    private static final CommandException ID_ZERO =
            new CommandException("ERR The ID specified in XADD must be greater than 0-0");
    private static final CommandException EXHAUSTED =
            new CommandException("ERR The stream has exhausted the last possible ID, unable to add more items");
    private static final CommandException UNBALANCED = new CommandException(
            "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
    private static final CommandException GT_ID = new CommandException("ERR The > ID can be specified only when "
            + "calling XREADGROUP using the GROUP <group> <consumer> option.");
    private static final CommandException NO_BLOCK = new CommandException(
            "ERR XREAD BLOCK is not supported by Converge (read without BLOCK and poll)");
    private static final CommandException NO_SUCH_KEY = new CommandException(Errors.NO_SUCH_KEY);
    private static final CommandException NO_TRIM_STRATEGY =
            new CommandException("ERR syntax error, XTRIM must be called with a trimming strategy");

    private final StorageEngine engine;

    private StreamCommands(StorageEngine engine) {
        this.engine = engine;
    }

    /** Registers the stream commands. */
    public static void register(NodeServices services, StorageEngine engine) {
        StreamCommands c = new StreamCommands(engine);
        var t = services.commands();
        t.register(spec("xadd", -5, "Appends a new message to a stream. Creates the key if it doesn't exist.",
                "O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.",
                c::xadd, WRITE, DENYOOM, FAST, ON_PRIMARY).since("5.0.0").tips("nondeterministic_output")
                .keySpecs(KeySpec.range(1, 0, 1, "RW", "update").withNotes(
                        "UPDATE instead of INSERT because of the optional trimming feature"))
                .build());
        t.register(spec("xlen", 2, "Return the number of messages in a stream.", "O(1)", c::xlen, READONLY, FAST,
                ON_PRIMARY).since("5.0.0").keySpecFlags("RO").build());
        t.register(spec("xrange", -4, "Returns the messages from a stream within a range of IDs.",
                "O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for "
                        + "the first 10 elements with COUNT), you can consider it O(1).",
                c::xrange, READONLY, ON_PRIMARY).since("5.0.0").keySpecFlags("RO", "access").build());
        t.register(spec("xrevrange", -4, "Returns the messages from a stream within a range of IDs in reverse order.",
                "O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the "
                        + "first 10 elements with COUNT), you can consider it O(1).",
                c::xrevrange, READONLY, ON_PRIMARY).since("5.0.0").keySpecFlags("RO", "access").build());
        t.register(spec("xdel", -3, "Returns the number of messages after removing them from a stream.",
                "O(1) for each single item to delete in the stream, regardless of the stream size.", c::xdel,
                WRITE, FAST, ON_PRIMARY).since("5.0.0").keySpecFlags("RW", "delete").build());
        t.register(spec("xtrim", -4, "Deletes messages from the beginning of a stream.",
                "O(N), with N being the number of evicted entries. Constant times are very small however, since "
                        + "entries are organized in macro nodes containing multiple entries that can be released "
                        + "with a single deallocation.",
                c::xtrim, WRITE, ON_PRIMARY).since("5.0.0").tips("nondeterministic_output")
                .keySpecFlags("RW", "delete").build());
        t.register(spec("xread", -4, "Returns messages from multiple streams with IDs greater than the ones "
                        + "requested. Blocks until a message is available otherwise.",
                "For each stream mentioned: O(N) with N being the number of elements being returned, it means "
                        + "that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, "
                        + "XADD will pay O(M) time in order to serve the M clients blocked on the stream getting "
                        + "new data.",
                c::xread, READONLY, CommandFlag.BLOCKING, ON_PRIMARY).since("5.0.0").keys(0, 0, 0)
                .keySpecs(KeySpec.unknown("keys follow the STREAMS keyword", "RO", "access"))
                .keyFinder(StreamCommands::xreadKeys).build());
        CommandSpec.Builder xinfo = CommandSpec.builder("xinfo").arity(-2).acl(AclCategory.SLOW).group("stream")
                .since("5.0.0").summary("A container for stream introspection commands.")
                .complexity("Depends on subcommand.");
        xinfo.subcommand(CommandSpec.builder("stream").arity(-3).flags(READONLY, ON_PRIMARY).keys(2, 2, 1)
                .keySpecFlags("RO", "access").acl(AclCategory.STREAM, AclCategory.SLOW).group("stream")
                .since("5.0.0").summary("Returns information about a stream.").complexity("O(1)")
                .handler(c::xinfoStream));
        xinfo.subcommand(CommandSpec.builder("help").arity(2).flags(CommandFlag.LOADING, CommandFlag.STALE)
                .acl(AclCategory.STREAM, AclCategory.SLOW).group("stream").since("5.0.0")
                .summary("Returns helpful text about the different subcommands.").complexity("O(1)")
                .handler(c::xinfoHelp));
        t.register(xinfo.build());
    }

    private static CommandSpec.Builder spec(String name, int arity, String summary, String complexity,
            CommandHandler handler, CommandFlag... flags) {
        return CommandSpec.builder(name).arity(arity).flags(flags).keys(1, 1, 1).acl(AclCategory.STREAM)
                .group("stream").summary(summary).complexity(complexity).handler(handler);
    }

    /** XREAD's keys: the first half of the arguments after STREAMS (none when they are unbalanced). */
    static List<byte[]> xreadKeys(byte[][] args) {
        for (int i = 1; i < args.length - 1; i++) {
            if (CommandContext.equalsIgnoreCase(args[i], "streams")) {
                int n = args.length - i - 1;
                List<byte[]> keys = new ArrayList<>();
                if (n % 2 == 0) {
                    for (int k = 0; k < n / 2; k++) {
                        keys.add(args[i + 1 + k]);
                    }
                }
                return keys;
            }
            if (CommandContext.equalsIgnoreCase(args[i], "count") || CommandContext.equalsIgnoreCase(args[i], "block")) {
                i++;
            }
        }
        return List.of();
    }

    // ------------------------------------------------------------------ helpers

    private static StreamValue liveStream(KeyAccess access) {
        KeyState state = DataArgs.live(access, ValueType.STREAM);
        return state == null ? null : state.stream();
    }

    private static StreamValue existingForWrite(KeyAccess access) {
        KeyState state = access.forWrite();
        if (!state.exists()) {
            return null;
        }
        if (state.type() != ValueType.STREAM) {
            throw Errors.WRONGTYPE_ERROR;
        }
        return state.streamForWrite();
    }

    private static void report(KeyAccess access, StreamValue delta) {
        if (delta != null) {
            access.written(KeyState.wrap(delta));
        }
    }

    private static byte[] idBytes(StreamId id) {
        return id.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** One entry as Redis replies it: the ID and the array of fields and values. */
    private static void writeEntry(ReplyWriter reply, StreamId id, byte[][] pairs) {
        reply.arrayHeader(2);
        reply.bulk(idBytes(id));
        reply.bulkArray(pairs);
    }

    /** The IDs a trim removes from {@code s} (in ascending order). */
    private static List<StreamId> trimmed(StreamValue s, StreamArgs.Trim trim) {
        List<StreamId> out = new ArrayList<>();
        if (trim.strategy() == StreamArgs.Strategy.NONE) {
            return out;
        }
        long candidates;
        if (trim.strategy() == StreamArgs.Strategy.MAXLEN) {
            candidates = Math.max(0, s.size() - trim.maxLen());
        } else {
            long[] below = {0};
            s.range(StreamId.MIN, StreamId.MAX, false, (id, p) -> {
                if (id.compareTo(trim.minId()) >= 0) {
                    return false;
                }
                below[0]++;
                return true;
            });
            candidates = below[0];
        }
        if (trim.approx()) {
            // Whole nodes only, from the first: every node holds NODE_ENTRIES entries but the last.
            long limit = trim.limit() == 0 ? Long.MAX_VALUE : trim.limit();
            long removed = 0;
            while (removed < candidates) {
                long node = Math.min(StreamArgs.NODE_ENTRIES, s.size() - removed);
                if (removed + node > candidates || removed + node > limit) {
                    break;
                }
                removed += node;
            }
            candidates = removed;
        }
        long n = candidates;
        if (n > 0) {
            s.range(StreamId.MIN, StreamId.MAX, false, (id, p) -> {
                out.add(id);
                return out.size() < n;
            });
        }
        return out;
    }

    // ------------------------------------------------------------------ XADD

    private void xadd(CommandContext ctx) {
        StreamArgs.Trim trim = StreamArgs.parseTrim(ctx, true);
        byte[][] args = ctx.args();
        int idAt = trim.next();
        if (idAt >= args.length) {
            throw new CommandException("ERR wrong number of arguments for 'xadd' command");
        }
        byte[] idArg = args[idAt];
        boolean auto = idArg.length == 1 && idArg[0] == '*';
        boolean autoSeq = !auto && StreamArgs.isAutoSeq(idArg);
        StreamId explicit = auto ? null : autoSeq ? null : StreamArgs.parseId(idArg, 0, true);
        long seqMs = autoSeq ? StreamArgs.autoSeqMs(idArg) : 0;
        int fields = args.length - idAt - 1;
        if (fields < 2 || fields % 2 == 1) {
            throw new CommandException("ERR wrong number of arguments for 'xadd' command");
        }
        if (explicit != null && explicit.equals(StreamId.MIN)) {
            throw ID_ZERO;
        }
        byte[][] pairs = java.util.Arrays.copyOfRange(args, idAt + 1, args.length);
        byte[] key = args[1];
        int tag = ctx.node().firstReplicaHere(key) ? -1 : 0;
        StreamId added = engine.withKey(key, access -> {
            StreamValue s;
            if (trim.noMkStream()) {
                s = existingForWrite(access);
                if (s == null) {
                    return null;
                }
            } else {
                s = DataArgs.forWrite(access, ValueType.STREAM).streamForWrite();
            }
            StreamId last = s.lastId();
            if (last.equals(StreamId.MAX)) {
                throw EXHAUSTED;
            }
            StreamId id;
            if (auto) {
                int replicaTag = tag < 0 ? -1 : (int) (access.node() & StreamId.MAX_TAG);
                id = StreamId.autoId(last, access.nowMs(), replicaTag);
            } else if (autoSeq) {
                id = StreamId.withAutoSeq(seqMs, last);
            } else {
                id = explicit.compareTo(last) > 0 ? explicit : null;
            }
            if (id == null) {
                throw ID_TOO_SMALL;
            }
            long hlc = access.stamp();
            report(access, s.add(id, pairs, hlc, access.node()));
            ctx.notify(NotifyFlags.STREAM, "xadd", key);
            List<StreamId> gone = trimmed(s, trim);
            if (!gone.isEmpty()) {
                report(access, s.remove(gone, access.stamp(), access.node(), false));
                ctx.notify(NotifyFlags.STREAM, "xtrim", key);
            }
            return id;
        });
        if (added == null) {
            ctx.reply().nullBulk();
        } else {
            ctx.reply().bulk(idBytes(added));
        }
    }

    // ------------------------------------------------------------------ XLEN, XRANGE, XREVRANGE

    private void xlen(CommandContext ctx) {
        long n = engine.withKey(ctx.arg(1), access -> {
            StreamValue s = liveStream(access);
            return s == null ? 0L : (long) s.size();
        });
        ctx.reply().integer(n);
    }

    private void xrange(CommandContext ctx) {
        range(ctx, false);
    }

    private void xrevrange(CommandContext ctx) {
        range(ctx, true);
    }

    private void range(CommandContext ctx, boolean reverse) {
        StreamId start = StreamArgs.parseBound(ctx.arg(reverse ? 3 : 2), true);
        StreamId end = StreamArgs.parseBound(ctx.arg(reverse ? 2 : 3), false);
        long count = -1;
        for (int j = 4; j < ctx.argc(); j++) {
            if (ctx.argIs(j, "count") && j + 1 < ctx.argc()) {
                count = Math.max(0, ctx.argLong(j + 1));
                j++;
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        long limit = count < 0 ? Long.MAX_VALUE : count;
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(1), access -> {
            StreamValue s = liveStream(access);
            if (s == null) {
                reply.emptyArray();
                return null;
            }
            if (limit == 0) {
                reply.nullArray();
                return null;
            }
            List<StreamId> ids = new ArrayList<>();
            List<byte[][]> values = new ArrayList<>();
            s.range(start, end, reverse, (id, pairs) -> {
                ids.add(id);
                values.add(pairs);
                return ids.size() < limit;
            });
            reply.arrayHeader(ids.size());
            for (int i = 0; i < ids.size(); i++) {
                writeEntry(reply, ids.get(i), values.get(i));
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ XDEL, XTRIM

    private void xdel(CommandContext ctx) {
        long n = engine.withKey(ctx.arg(1), access -> {
            StreamValue s = existingForWrite(access);
            if (s == null) {
                return 0L;
            }
            List<StreamId> ids = new ArrayList<>();
            for (int j = 2; j < ctx.argc(); j++) {
                ids.add(StreamArgs.parseId(ctx.arg(j), 0, true));
            }
            List<StreamId> present = new ArrayList<>();
            for (StreamId id : ids) {
                if (s.get(id) != null && !present.contains(id)) {
                    present.add(id);
                }
            }
            if (!present.isEmpty()) {
                report(access, s.remove(present, access.stamp(), access.node(), true));
                ctx.notify(NotifyFlags.STREAM, "xdel", ctx.arg(1));
            }
            return (long) present.size();
        });
        ctx.reply().integer(n);
    }

    private void xtrim(CommandContext ctx) {
        long n = engine.withKey(ctx.arg(1), access -> {
            StreamValue s = existingForWrite(access);
            if (s == null) {
                return 0L;
            }
            StreamArgs.Trim trim = StreamArgs.parseTrim(ctx, false);
            if (trim.strategy() == StreamArgs.Strategy.NONE) {
                throw NO_TRIM_STRATEGY;
            }
            List<StreamId> gone = trimmed(s, trim);
            if (!gone.isEmpty()) {
                report(access, s.remove(gone, access.stamp(), access.node(), false));
                ctx.notify(NotifyFlags.STREAM, "xtrim", ctx.arg(1));
            }
            return (long) gone.size();
        });
        ctx.reply().integer(n);
    }

    // ------------------------------------------------------------------ XREAD

    private void xread(CommandContext ctx) {
        byte[][] args = ctx.args();
        long count = -1;
        boolean block = false;
        int streamsAt = 0;
        for (int i = 1; i < args.length; i++) {
            int more = args.length - i - 1;
            if (ctx.argIs(i, "block") && more > 0) {
                i++;
                long timeout;
                try {
                    timeout = io.converge.server.util.RedisNumbers.parseLong(args[i]);
                } catch (CommandException e) {
                    throw new CommandException("ERR timeout is not an integer or out of range");
                }
                if (timeout < 0) {
                    throw new CommandException("ERR timeout is negative");
                }
                block = true;
            } else if (ctx.argIs(i, "count") && more > 0) {
                i++;
                count = Math.max(0, ctx.argLong(i));
            } else if (ctx.argIs(i, "streams") && more > 0) {
                streamsAt = i + 1;
                if ((args.length - streamsAt) % 2 != 0) {
                    throw UNBALANCED;
                }
                break;
            } else if (ctx.argIs(i, "group") && more >= 2) {
                throw new CommandException(
                        "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.");
            } else {
                throw Errors.SYNTAX_ERROR;
            }
        }
        if (streamsAt == 0) {
            throw Errors.SYNTAX_ERROR;
        }
        if (block) {
            throw NO_BLOCK;
        }
        int n = (args.length - streamsAt) / 2;
        byte[][] keys = new byte[n][];
        for (int k = 0; k < n; k++) {
            keys[k] = args[streamsAt + k];
            byte[] idArg = args[streamsAt + n + k];
            if (idArg.length == 1 && idArg[0] == '>') {
                throw GT_ID;
            }
            if (!(idArg.length == 1 && idArg[0] == '$')) {
                StreamArgs.parseId(idArg, 0, true);
            }
        }
        long limit = count <= 0 ? Long.MAX_VALUE : count;
        int idsAt = streamsAt + n;
        ReplyWriter reply = ctx.reply();
        engine.withKeys(keys, access -> {
            List<byte[]> servedKeys = new ArrayList<>();
            List<List<Object[]>> served = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                StreamValue s = liveStream(access[k]);
                byte[] idArg = args[idsAt + k];
                if (s == null) {
                    continue;
                }
                StreamId after = idArg.length == 1 && idArg[0] == '$' ? s.lastId() : StreamArgs.parseId(idArg, 0, true);
                StreamId from = after.successor();
                if (from == null || s.lastId().compareTo(after) <= 0) {
                    continue;
                }
                List<Object[]> entries = new ArrayList<>();
                s.range(from, StreamId.MAX, false, (id, pairs) -> {
                    entries.add(new Object[] {id, pairs});
                    return entries.size() < limit;
                });
                if (!entries.isEmpty()) {
                    servedKeys.add(keys[k]);
                    served.add(entries);
                }
            }
            if (served.isEmpty()) {
                reply.nullArray();
                return null;
            }
            if (reply.isResp3()) {
                reply.mapHeader(served.size());
            } else {
                reply.arrayHeader(served.size());
            }
            for (int i = 0; i < served.size(); i++) {
                if (!reply.isResp3()) {
                    reply.arrayHeader(2);
                }
                reply.bulk(servedKeys.get(i));
                reply.arrayHeader(served.get(i).size());
                for (Object[] e : served.get(i)) {
                    writeEntry(reply, (StreamId) e[0], (byte[][]) e[1]);
                }
            }
            return null;
        });
    }

    // ------------------------------------------------------------------ XINFO

    private void xinfoStream(CommandContext ctx) {
        boolean full = false;
        long count = 10;
        if (ctx.argc() > 3) {
            if (!ctx.argIs(3, "full")) {
                throw xinfoStreamArgs(ctx);
            }
            full = true;
            if (ctx.argc() > 4) {
                if (ctx.argc() != 6 || !ctx.argIs(4, "count")) {
                    throw xinfoStreamArgs(ctx);
                }
                count = ctx.argLong(5);
                if (count < 0) {
                    count = 10;
                }
            }
        }
        boolean isFull = full;
        long limit = count == 0 ? Long.MAX_VALUE : count;
        ReplyWriter reply = ctx.reply();
        engine.withKey(ctx.arg(2), access -> {
            StreamValue s = liveStream(access);
            if (s == null) {
                throw NO_SUCH_KEY;
            }
            int length = s.size();
            long nodes = (length + StreamArgs.NODE_ENTRIES - 1) / StreamArgs.NODE_ENTRIES;
            reply.mapHeader(isFull ? 9 : 10);
            reply.bulk("length");
            reply.integer(length);
            reply.bulk("radix-tree-keys");
            reply.integer(nodes);
            reply.bulk("radix-tree-nodes");
            reply.integer(nodes + 1);
            reply.bulk("last-generated-id");
            reply.bulk(idBytes(s.lastId()));
            reply.bulk("max-deleted-entry-id");
            reply.bulk(idBytes(s.maxDeletedId()));
            reply.bulk("entries-added");
            reply.integer(s.entriesAdded());
            reply.bulk("recorded-first-entry-id");
            StreamId first = s.firstId();
            reply.bulk(idBytes(first == null ? StreamId.MIN : first));
            if (isFull) {
                List<StreamId> ids = new ArrayList<>();
                List<byte[][]> values = new ArrayList<>();
                s.range(StreamId.MIN, StreamId.MAX, false, (id, pairs) -> {
                    ids.add(id);
                    values.add(pairs);
                    return ids.size() < limit;
                });
                reply.bulk("entries");
                reply.arrayHeader(ids.size());
                for (int i = 0; i < ids.size(); i++) {
                    writeEntry(reply, ids.get(i), values.get(i));
                }
                reply.bulk("groups");
                reply.emptyArray();
            } else {
                reply.bulk("groups");
                reply.integer(0);
                reply.bulk("first-entry");
                writeEdge(reply, s, false);
                reply.bulk("last-entry");
                writeEdge(reply, s, true);
            }
            return null;
        });
    }

    /** Redis's error for XINFO STREAM's malformed options (it names the subcommand as typed). */
    private static CommandException xinfoStreamArgs(CommandContext ctx) {
        return new CommandException("ERR unknown subcommand or wrong number of arguments for '" + ctx.argString(1)
                + "'. Try XINFO HELP.");
    }

    /** XINFO's first-entry or last-entry: the entry, or a null. */
    private static void writeEdge(ReplyWriter reply, StreamValue s, boolean last) {
        boolean[] found = {false};
        s.range(StreamId.MIN, StreamId.MAX, last, (id, pairs) -> {
            writeEntry(reply, id, pairs);
            found[0] = true;
            return false;
        });
        if (!found[0]) {
            reply.nullBulk();
        }
    }

    private void xinfoHelp(CommandContext ctx) {
        ctx.reply().simpleArray(
                "XINFO <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
                "CONSUMERS <key> <groupname>",
                "    Show consumers of <groupname>.",
                "GROUPS <key>",
                "    Show the stream consumer groups.",
                "STREAM <key> [FULL [COUNT <count>]",
                "    Show information about the stream.",
                "HELP",
                "    Prints this help.");
    }
}
