package io.converge.server.cluster.routing;

import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.Errors;
import io.converge.server.command.QueuedCommand;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A MULTI/EXEC transaction whose keys live on several replica sets, cut into one sub-transaction
 * per node that runs it ({@code cross-slot-transactions split}), and EXEC's reply put back
 * together in the order the commands were queued.
 *
 * <p>Each queued command becomes one <i>piece</i> in the part of the node chosen for its keys'
 * replica set; a command without keys goes to this node's part (only PING, ECHO and TIME may be
 * queued without keys: {@link #joins}). MGET, MSET, DEL, EXISTS, UNLINK and TOUCH whose own keys
 * span several replica sets become one piece per replica set (as {@link SplitCommand} splits them
 * outside a transaction) and their reply is reassembled from the pieces'. Replica sets whose chosen node is the same share that node's part, so keys that the
 * same node runs are always in one sub-transaction.
 *
 * <p>A part answers as EXEC does: an array with one reply per piece, in the order they were
 * queued there; or an error instead of the array (its node refused the sub-transaction, or the
 * write level was missed after it ran), which then stands at the position of every command of
 * that part in the whole reply.
 */
final class SplitTransaction {

    /** Where the pieces on one replica set run: {@code onPrimary} when one of them is flagged {@link CommandFlag#ON_PRIMARY}. */
    @FunctionalInterface
    interface Placement {
        /** The node that runs the pieces on {@code set}. */
        int nodeFor(ReplicaSet set, boolean onPrimary);
    }

    /** One command, or one replica set's share of a split command, as queued on its part's node. */
    record Piece(int command, CommandSpec spec, byte[][] args, byte[][] keys) {}

    /** The sub-transaction one node runs: its pieces in queue order. */
    static final class Part {
        private final int node;
        private final List<Piece> pieces = new ArrayList<>();

        private Part(int node) {
            this.node = node;
        }

        /** The node that runs this part. */
        int node() {
            return node;
        }

        /** The pieces, in the order they were queued. */
        List<Piece> pieces() {
            return pieces;
        }

        /** The arguments of every piece, in order (a forwarded transaction's commands). */
        List<byte[][]> commands() {
            List<byte[][]> out = new ArrayList<>(pieces.size());
            for (Piece p : pieces) {
                out.add(p.args());
            }
            return out;
        }

        /** Every key of the part's pieces. */
        byte[][] keys() {
            List<byte[]> out = new ArrayList<>();
            for (Piece p : pieces) {
                out.addAll(List.of(p.keys()));
            }
            return out.toArray(new byte[0][]);
        }

        /** The first key of the part (what a forwarded request names), or null without keys. */
        byte[] firstKey() {
            for (Piece p : pieces) {
                if (p.keys().length > 0) {
                    return p.keys()[0];
                }
            }
            return null;
        }
    }

    /** The commands without keys that may join a transaction over several replica sets: their reply is all they do. */
    private static final Set<String> PURE_KEYLESS = Set.of("ping", "echo", "time");

    /**
     * Whether {@code spec}, naming {@code keyCount} keys, may be queued in a transaction over
     * several replica sets. A command with keys runs in the part of its keys' node. A command
     * without keys would run in this node's part, which runs before the others whatever the
     * queue order, and in a session of its own rather than on the client's connection: so only
     * PING, ECHO and TIME, whose reply is all they do, may; not a command that acts on the
     * connection (CLIENT SETNAME, CLIENT TRACKING, CONSISTENCY, SELECT...), on the whole keyspace
     * (FLUSHALL, FLUSHDB, DBSIZE, KEYS, SCAN...), or on anything else (PUBLISH, CONFIG SET, a script
     * that names no keys). A command whose key arguments are malformed (a bad {@code numkeys})
     * may: it answers its own error when it runs. So may UNWATCH, a no-op inside a transaction.
     */
    static boolean joins(CommandRoute route, CommandSpec spec, int keyCount) {
        if (keyCount > 0) {
            return true;
        }
        if (route.keyless()) {
            return PURE_KEYLESS.contains(spec.fullName());
        }
        return !spec.has(CommandFlag.RUNS_SCRIPT);
    }

    /** The error that refuses {@code spec} in a transaction over several replica sets (see {@link #joins}). */
    static String refusal(CommandSpec spec) {
        return "CROSSSLOT '" + spec.fullName() + "' cannot run in a transaction over several replica sets "
                + "(cross-slot-transactions split): of the commands without keys, only PING, ECHO and TIME can";
    }

    /** A piece's place: its part and its index there. */
    private record Slot(int part, int index) {}

    private final int commandCount;
    private final List<Part> parts;
    /** Per command, the slots of its pieces (one, or one per replica set of a split command). */
    private final Slot[][] slots;
    /** Per command, how its pieces' replies combine (null: a single piece). */
    private final SplitCommand[] splits;
    /** Per command, a reply known without running it (null: its pieces answer). */
    private final byte[][] known;

    private SplitTransaction(int commandCount, List<Part> parts, Slot[][] slots, SplitCommand[] splits,
                             byte[][] known) {
        this.commandCount = commandCount;
        this.parts = parts;
        this.slots = slots;
        this.splits = splits;
        this.known = known;
    }

    /**
     * Plans {@code queued}: every piece goes to the part of {@code placement}'s node for its
     * replica set, asked once per replica set (this node, {@code self}, for a command without
     * keys). Commands whose keys span several replica sets must be MGET, MSET, DEL, EXISTS, UNLINK
     * or TOUCH, and commands without keys must {@link #joins join} (the router refused the others).
     */
    static SplitTransaction plan(List<QueuedCommand> queued, CommandRoute.Table routes, Ring ring, int self,
                                 Placement placement) {
        int n = queued.size();
        List<List<ReplicaSet>> setsOf = new ArrayList<>(n);
        List<List<Piece>> piecesOf = new ArrayList<>(n);
        SplitCommand[] splits = new SplitCommand[n];
        byte[][] known = new byte[n][];
        List<ReplicaSet> onPrimary = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            QueuedCommand q = queued.get(i);
            CommandRoute route = routes.of(q.spec());
            byte[][] keys = route.keyless() ? new byte[0][] : route.keys(q.spec(), q.args());
            List<ReplicaSet> sets = new ArrayList<>(1);
            List<Piece> pieces = new ArrayList<>(1);
            setsOf.add(sets);
            piecesOf.add(pieces);
            if (route.kind() == CommandRoute.Kind.SPLIT_MSET && (q.args().length - 1) % 2 != 0) {
                // Redis's runtime error for an MSET without a value for its last key (queued, then refused by EXEC).
                known[i] = error(Errors.wrongArity(q.spec().fullName()));
                continue;
            }
            SplitCommand split = splittable(route, q.args()) && keys.length > 1
                    ? SplitCommand.plan(route.kind(), ring, keys) : null;
            if (split != null && split.parts().size() > 1) {
                splits[i] = split;
                for (SplitCommand.Part part : split.parts()) {
                    sets.add(part.replicas());
                    pieces.add(new Piece(i, q.spec(), split.partArgs(part, route, q.spec(), q.args()),
                            SplitCommand.partKeys(part, keys)));
                }
            } else {
                sets.add(keys.length == 0 ? null : ring.replicasFor(keys[0]));
                pieces.add(new Piece(i, q.spec(), q.args(), keys));
            }
            if (q.spec().has(CommandFlag.ON_PRIMARY)) {
                for (ReplicaSet s : sets) {
                    if (s != null && indexOf(onPrimary, s) < 0) {
                        onPrimary.add(s);
                    }
                }
            }
        }
        List<Part> parts = new ArrayList<>();
        parts.add(new Part(self)); // this node's part first: it runs (and checks WATCH) before the others
        // The node of each replica set is chosen once: the failure detector may change its mind
        // while this runs, and the commands on one set's keys must all go to one node.
        List<ReplicaSet> placed = new ArrayList<>();
        List<Integer> partOfPlaced = new ArrayList<>();
        Slot[][] slots = new Slot[n][];
        for (int i = 0; i < n; i++) {
            List<ReplicaSet> sets = setsOf.get(i);
            List<Piece> pieces = piecesOf.get(i);
            slots[i] = new Slot[pieces.size()];
            for (int p = 0; p < pieces.size(); p++) {
                ReplicaSet set = sets.get(p);
                int partIndex = 0;
                if (set != null) {
                    int at = indexOf(placed, set);
                    if (at < 0) {
                        placed.add(set);
                        partOfPlaced.add(partOf(parts, placement.nodeFor(set, indexOf(onPrimary, set) >= 0)));
                        at = placed.size() - 1;
                    }
                    partIndex = partOfPlaced.get(at);
                }
                Part part = parts.get(partIndex);
                slots[i][p] = new Slot(partIndex, part.pieces.size());
                part.pieces.add(pieces.get(p));
            }
        }
        return new SplitTransaction(n, parts, slots, splits, known);
    }

    /** The index of {@code node}'s part in {@code parts}, added at the end if it has none yet. */
    private static int partOf(List<Part> parts, int node) {
        for (int i = 0; i < parts.size(); i++) {
            if (parts.get(i).node == node) {
                return i;
            }
        }
        parts.add(new Part(node));
        return parts.size() - 1;
    }

    /** Whether the command may be split per replica set inside a transaction. */
    static boolean splittable(CommandRoute route, byte[][] args) {
        return switch (route.kind()) {
            case SPLIT_MGET, SPLIT_SUM -> true;
            case SPLIT_MSET -> (args.length - 1) % 2 == 0; // an odd MSET is answered its arity error
            default -> false;
        };
    }

    private static int indexOf(List<ReplicaSet> sets, ReplicaSet set) {
        for (int i = 0; i < sets.size(); i++) {
            if (sets.get(i).sameNodes(set)) {
                return i;
            }
        }
        return -1;
    }

    /** The parts: this node's first (possibly without pieces), then one per other node, in order of first use. */
    List<Part> parts() {
        return parts;
    }

    /**
     * EXEC's whole reply from the parts' replies ({@code replies[i]} answers {@code parts().get(i)};
     * a part without pieces may answer anything): an array of one reply per queued command.
     */
    byte[] assemble(byte[][] replies) {
        byte[][][] pieceReplies = new byte[parts.size()][][];
        for (int p = 0; p < parts.size(); p++) {
            pieceReplies[p] = pieces(parts.get(p), replies[p]);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("*" + commandCount + "\r\n").getBytes(StandardCharsets.US_ASCII));
        for (int c = 0; c < commandCount; c++) {
            Slot[] s = slots[c];
            if (known[c] != null) {
                out.writeBytes(known[c]);
                continue;
            }
            if (splits[c] == null) {
                out.writeBytes(pieceReplies[s[0].part()][s[0].index()]);
                continue;
            }
            byte[][] own = new byte[s.length][];
            for (int i = 0; i < s.length; i++) {
                own[i] = pieceReplies[s[i].part()][s[i].index()];
            }
            byte[] combined;
            try {
                combined = splits[c].assemble(own);
            } catch (IllegalArgumentException e) {
                combined = error("ERR " + e.getMessage());
            }
            out.writeBytes(combined);
        }
        return out.toByteArray();
    }

    /** One reply per piece of {@code part}, cut out of its EXEC reply (or its error, repeated). */
    private static byte[][] pieces(Part part, byte[] reply) {
        int n = part.pieces.size();
        byte[][] out = new byte[n][];
        if (n == 0) {
            return out;
        }
        byte[] shared;
        if (RespScanner.isError(reply, 0)) {
            shared = Arrays.copyOfRange(reply, 0, RespScanner.end(reply, 0));
        } else {
            try {
                if (RespScanner.aggregateCount(reply, 0) == n) {
                    int pos = RespScanner.afterHeader(reply, 0);
                    for (int i = 0; i < n; i++) {
                        int end = RespScanner.end(reply, pos);
                        out[i] = Arrays.copyOfRange(reply, pos, end);
                        pos = end;
                    }
                    return out;
                }
            } catch (IllegalArgumentException e) {
                // answered below
            }
            shared = error("ERR node " + part.node + " answered its part of the transaction with an unexpected reply");
        }
        Arrays.fill(out, shared);
        return out;
    }

    private static byte[] error(String message) {
        return ("-" + message.replace('\r', ' ').replace('\n', ' ') + "\r\n").getBytes(StandardCharsets.UTF_8);
    }
}
