package io.converge.server.cluster.routing;

import io.converge.server.cluster.ReplicaSet;
import io.converge.server.cluster.Ring;
import io.converge.server.command.CommandSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A multi-key command whose keys live on several replica sets (MGET, MSET, DEL, EXISTS, UNLINK,
 * TOUCH), split into one command per replica set and answered as Redis answers the whole:
 * MGET's values in the order of its keys, the sum of the parts' integers for DEL/EXISTS/UNLINK/
 * TOUCH, {@code +OK} for MSET. Each part keeps its keys in their original order (so duplicates
 * behave as in Redis: {@code EXISTS k k} counts 2, {@code MSET k 1 k 2} leaves 2). If a part
 * fails (a missed consistency level, an unreachable replica), the reply is that part's error; the
 * other parts were applied all the same (the split is not atomic, exactly like the separate
 * commands it stands for).
 */
final class SplitCommand {
    private static final byte[] OK = "+OK\r\n".getBytes(StandardCharsets.US_ASCII);

    /** One part: the keys (indexes into the original key list) that live on the same nodes, and the set of the first. */
    record Part(ReplicaSet replicas, int[] keyIndexes) {}

    private final CommandRoute.Kind kind;
    private final int keyCount;
    private final List<Part> parts;

    private SplitCommand(CommandRoute.Kind kind, int keyCount, List<Part> parts) {
        this.kind = kind;
        this.keyCount = keyCount;
        this.parts = parts;
    }

    /**
     * Groups {@code keys} by the nodes that hold them (replica sets with the same nodes in another
     * order are one part), in order of first appearance; one part means no split is needed.
     */
    static SplitCommand plan(CommandRoute.Kind kind, Ring ring, byte[][] keys) {
        List<ReplicaSet> sets = new ArrayList<>(4);
        List<int[]> members = new ArrayList<>(4);
        int[] counts = new int[4];
        int[] groupOfKey = new int[keys.length];
        for (int i = 0; i < keys.length; i++) {
            ReplicaSet set = ring.replicasFor(keys[i]);
            int g = 0;
            while (g < sets.size() && !sets.get(g).sameNodes(set)) {
                g++;
            }
            if (g == sets.size()) {
                g = sets.size();
                sets.add(set);
                if (g == counts.length) {
                    counts = Arrays.copyOf(counts, g * 2);
                }
            }
            groupOfKey[i] = g;
            counts[g]++;
        }
        for (int g = 0; g < sets.size(); g++) {
            members.add(new int[counts[g]]);
        }
        int[] filled = new int[sets.size()];
        for (int i = 0; i < keys.length; i++) {
            int g = groupOfKey[i];
            members.get(g)[filled[g]++] = i;
        }
        List<Part> parts = new ArrayList<>(sets.size());
        for (int g = 0; g < sets.size(); g++) {
            parts.add(new Part(sets.get(g), members.get(g)));
        }
        return new SplitCommand(kind, keys.length, parts);
    }

    /** The parts, one per replica set. */
    List<Part> parts() {
        return parts;
    }

    /** Whether node {@code nodeId} replicates every part (so it runs them all itself). */
    boolean allOn(int nodeId) {
        for (Part part : parts) {
            if (!part.replicas().contains(nodeId)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The arguments of part {@code p}: the command name, then its keys (with their values, for
     * MSET) in their original order.
     */
    byte[][] partArgs(Part p, CommandRoute route, CommandSpec spec, byte[][] args) {
        boolean pairs = kind == CommandRoute.Kind.SPLIT_MSET;
        byte[][] out = new byte[1 + p.keyIndexes().length * (pairs ? 2 : 1)][];
        out[0] = args[0];
        int o = 1;
        for (int k : p.keyIndexes()) {
            int a = route.keyIndex(spec, k);
            out[o++] = args[a];
            if (pairs) {
                out[o++] = args[a + 1];
            }
        }
        return out;
    }

    /** The keys of part {@code p}. */
    static byte[][] partKeys(Part p, byte[][] keys) {
        byte[][] out = new byte[p.keyIndexes().length][];
        for (int i = 0; i < out.length; i++) {
            out[i] = keys[p.keyIndexes()[i]];
        }
        return out;
    }

    /** Combines the parts' replies (in part order), once all arrived, into the whole command's reply. */
    CompletableFuture<byte[]> combine(List<CompletableFuture<byte[]>> replies) {
        return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).handle((ignored, error) -> {
            byte[][] parts = new byte[replies.size()][];
            for (int i = 0; i < parts.length; i++) {
                CompletableFuture<byte[]> f = replies.get(i);
                try {
                    parts[i] = f.join();
                } catch (RuntimeException e) {
                    return ("-ERR " + ReplicaRunner.messageOf(e).replace('\r', ' ').replace('\n', ' ') + "\r\n")
                            .getBytes(StandardCharsets.UTF_8);
                }
            }
            return assemble(parts);
        });
    }

    /** The whole reply from the parts' replies (in part order). */
    byte[] assemble(byte[][] replies) {
        for (byte[] r : replies) {
            if (RespScanner.isError(r, 0)) {
                return r;
            }
        }
        return switch (kind) {
            case SPLIT_MSET -> OK;
            case SPLIT_SUM -> {
                long sum = 0;
                for (byte[] r : replies) {
                    sum += RespScanner.integer(r, 0);
                }
                yield (":" + sum + "\r\n").getBytes(StandardCharsets.US_ASCII);
            }
            case SPLIT_MGET -> mget(replies);
            default -> throw new IllegalStateException("not a split command: " + kind);
        };
    }

    private byte[] mget(byte[][] replies) {
        int[] start = new int[keyCount];
        int[] end = new int[keyCount];
        byte[][] source = new byte[keyCount][];
        int total = 0;
        for (int p = 0; p < replies.length; p++) {
            byte[] r = replies[p];
            int[] keys = parts.get(p).keyIndexes();
            if (RespScanner.aggregateCount(r, 0) != keys.length) {
                throw new IllegalArgumentException("a replica answered MGET with the wrong number of values");
            }
            int pos = RespScanner.afterHeader(r, 0);
            for (int k : keys) {
                int e = RespScanner.end(r, pos);
                source[k] = r;
                start[k] = pos;
                end[k] = e;
                total += e - pos;
                pos = e;
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(total + 16);
        byte[] header = ("*" + keyCount + "\r\n").getBytes(StandardCharsets.US_ASCII);
        out.write(header, 0, header.length);
        for (int k = 0; k < keyCount; k++) {
            out.write(source[k], start[k], end[k] - start[k]);
        }
        return out.toByteArray();
    }
}
