package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.cluster.ClusterSpec;
import io.converge.server.cluster.ConsistencyLevel;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.Ring;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandTable;
import io.converge.server.testing.ConvergeFixture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The routing layer's pieces on their own: the forwarded-command codec, the RESP scanner, the
 * reassembly of split replies, and the classification of the command table.
 */
class RoutingPiecesTest {

    @Test
    void forwardedRequestsRoundTrip() {
        ForwardedRequest r = new ForwardedRequest(true, 3, ConsistencyLevel.EACH_QUORUM, ConsistencyLevel.ALL, 2,
                123456789L, List.of(args("SET", "k", ""), args("INCR", "n")));
        ForwardedRequest back = ForwardedRequest.decode(r.encode());
        assertThat(back.transaction()).isTrue();
        assertThat(back.protocol()).isEqualTo(3);
        assertThat(back.readLevel()).isEqualTo(ConsistencyLevel.EACH_QUORUM);
        assertThat(back.writeLevel()).isEqualTo(ConsistencyLevel.ALL);
        assertThat(back.coordinatorDc()).isEqualTo(2);
        assertThat(back.coordinatorHlc()).isEqualTo(123456789L);
        assertThat(back.commands()).hasSize(2);
        assertThat(back.commands().get(0)).isDeepEqualTo(args("SET", "k", ""));
        assertThat(back.commands().get(1)).isDeepEqualTo(args("INCR", "n"));
    }

    @Test
    void malformedForwardedRequestsAreRefused() {
        byte[] good = new ForwardedRequest(false, 2, ConsistencyLevel.ONE, ConsistencyLevel.ONE, 0, 1,
                List.<byte[][]>of(args("GET", "k"))).encode();
        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = Arrays.copyOf(good, cut);
            assertThatThrownBy(() -> ForwardedRequest.decode(truncated)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> ForwardedRequest.decode(trailing)).isInstanceOf(IllegalArgumentException.class);
        byte[] badProtocol = good.clone();
        badProtocol[2] = 4;
        assertThatThrownBy(() -> ForwardedRequest.decode(badProtocol)).isInstanceOf(IllegalArgumentException.class);
        byte[] hugeArgc = good.clone();
        hugeArgc[19] = 0x7F; // argc of the first command
        assertThatThrownBy(() -> ForwardedRequest.decode(hugeArgc)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void respScannerFindsTheEndOfEveryReplyType() {
        String[] replies = {"+OK\r\n", "-ERR x\r\n", ":-12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "_\r\n", ",1.5\r\n",
            "#t\r\n", "(123\r\n", "=7\r\ntxt:abc\r\n", "*2\r\n$1\r\na\r\n*1\r\n:1\r\n", "*-1\r\n",
            "%1\r\n+k\r\n$1\r\nv\r\n", "~2\r\n:1\r\n:2\r\n", "|1\r\n+a\r\n:1\r\n$1\r\nx\r\n", "!3\r\nbad\r\n"};
        for (String reply : replies) {
            byte[] b = (reply + "+NEXT\r\n").getBytes(StandardCharsets.US_ASCII);
            assertThat(RespScanner.end(b, 0)).as(reply).isEqualTo(reply.length());
        }
        assertThat(RespScanner.integer(bytes(":-12\r\n"), 0)).isEqualTo(-12);
        assertThat(RespScanner.aggregateCount(bytes("*3\r\n"), 0)).isEqualTo(3);
        assertThat(RespScanner.isError(bytes("-ERR\r\n"), 0)).isTrue();
        assertThat(RespScanner.isError(bytes("!3\r\nbad\r\n"), 0)).isTrue();
        assertThatThrownBy(() -> RespScanner.end(bytes("$5\r\nab\r\n"), 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RespScanner.end(bytes("?x\r\n"), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void splitRepliesAreReassembledAsOneCommandsReply() {
        Ring ring = Ring.build(spec());
        List<String> keys = new ArrayList<>();
        List<Integer> sets = new ArrayList<>();
        for (int i = 0; keys.size() < 3; i++) {
            int set = ring.replicasFor(bytes("k" + i)).id();
            if (!sets.contains(set)) {
                sets.add(set);
                keys.add("k" + i);
            }
        }
        // Keys a, b, c on three sets, asked as: b a c a.
        byte[][] asked = {bytes(keys.get(1)), bytes(keys.get(0)), bytes(keys.get(2)), bytes(keys.get(0))};
        SplitCommand mget = SplitCommand.plan(CommandRoute.Kind.SPLIT_MGET, ring, asked);
        assertThat(mget.parts()).hasSize(3);
        assertThat(mget.parts().get(0).keyIndexes()).containsExactly(0);
        assertThat(mget.parts().get(1).keyIndexes()).containsExactly(1, 3);
        assertThat(mget.parts().get(2).keyIndexes()).containsExactly(2);
        byte[] whole = mget.assemble(new byte[][] {bytes("*1\r\n$1\r\nB\r\n"), bytes("*2\r\n$1\r\nA\r\n$2\r\nA2\r\n"),
            bytes("*1\r\n_\r\n")});
        assertThat(new String(whole, StandardCharsets.US_ASCII)).isEqualTo("*4\r\n$1\r\nB\r\n$1\r\nA\r\n_\r\n$2\r\nA2\r\n");

        SplitCommand del = SplitCommand.plan(CommandRoute.Kind.SPLIT_SUM, ring, asked);
        assertThat(new String(del.assemble(new byte[][] {bytes(":1\r\n"), bytes(":2\r\n"), bytes(":0\r\n")}),
                StandardCharsets.US_ASCII)).isEqualTo(":3\r\n");
        assertThat(new String(del.assemble(new byte[][] {bytes(":1\r\n"), bytes("-ERR level\r\n"), bytes(":0\r\n")}),
                StandardCharsets.US_ASCII)).isEqualTo("-ERR level\r\n");
        SplitCommand mset = SplitCommand.plan(CommandRoute.Kind.SPLIT_MSET, ring, asked);
        assertThat(new String(mset.assemble(new byte[][] {bytes("+OK\r\n"), bytes("+OK\r\n"), bytes("+OK\r\n")}),
                StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n");
    }

    @Test
    void commandTableIsClassifiedWithEveryCommandsKeys() {
        try (ConvergeFixture node = ConvergeFixture.start(c -> c.set("appendonly", "no"))) {
            CommandTable table = node.node().services().commands();
            CommandRoute.Table routes = CommandRoute.Table.of(table);
            assertThat(kind(routes, table, "get")).isEqualTo(CommandRoute.Kind.KEYED);
            assertThat(kind(routes, table, "ping")).isEqualTo(CommandRoute.Kind.LOCAL);
            assertThat(kind(routes, table, "time")).isEqualTo(CommandRoute.Kind.LOCAL);
            for (String wide : List.of("dbsize", "keys", "scan", "randomkey", "info", "flushall", "flushdb")) {
                assertThat(kind(routes, table, wide)).isEqualTo(CommandRoute.Kind.CLUSTER_WIDE);
            }
            assertThat(kind(routes, table, "mget")).isEqualTo(CommandRoute.Kind.SPLIT_MGET);
            assertThat(kind(routes, table, "mset")).isEqualTo(CommandRoute.Kind.SPLIT_MSET);
            for (String sum : List.of("del", "exists", "unlink", "touch")) {
                assertThat(kind(routes, table, sum)).isEqualTo(CommandRoute.Kind.SPLIT_SUM);
            }
            assertThat(kind(routes, table, "exec")).isEqualTo(CommandRoute.Kind.EXEC);
            assertThat(kind(routes, table, "watch")).isEqualTo(CommandRoute.Kind.WATCH);
            assertThat(routes.of(table.lookup("set")).write()).isTrue();
            assertThat(routes.of(table.lookup("get")).write()).isFalse();

            assertThat(keys(routes, table, "MSET", "a", "1", "b", "2")).containsExactly("a", "b");
            assertThat(keys(routes, table, "ZUNIONSTORE", "d", "2", "s1", "s2", "WEIGHTS", "1", "2"))
                    .containsExactly("d", "s1", "s2");
            assertThat(keys(routes, table, "SINTERCARD", "2", "s1", "s2", "LIMIT", "3")).containsExactly("s1", "s2");
            assertThat(keys(routes, table, "SINTERCARD", "x", "s1")).isEmpty();
            assertThat(keys(routes, table, "ZDIFFSTORE", "d", "2", "s1", "s2")).containsExactly("d", "s1", "s2");
            for (String read : List.of("ZUNION", "ZINTER", "ZDIFF", "ZINTERCARD")) {
                assertThat(keys(routes, table, read, "2", "s1", "s2", "WITHSCORES")).as(read).containsExactly("s1", "s2");
                assertThat(keys(routes, table, read, "0", "s1")).as(read).isEmpty();
                assertThat(routes.of(table.lookup(read)).write()).as(read).isFalse();
            }
            assertThat(routes.of(table.lookup("zdiffstore")).write()).isTrue();
            assertThat(keys(routes, table, "RENAME", "a", "b")).containsExactly("a", "b");
            assertThat(keys(routes, table, "SMOVE", "a", "b", "m")).containsExactly("a", "b");
            assertThat(keys(routes, table, "SUNIONSTORE", "d", "a", "b")).containsExactly("d", "a", "b");
        }
    }

    private static CommandRoute.Kind kind(CommandRoute.Table routes, CommandTable table, String name) {
        return routes.of(table.lookup(name)).kind();
    }

    private static List<String> keys(CommandRoute.Table routes, CommandTable table, String... command) {
        CommandSpec spec = table.lookup(command[0]);
        List<String> out = new ArrayList<>();
        for (byte[] k : routes.of(spec).keys(spec, args(command))) {
            out.add(new String(k, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static ClusterSpec spec() {
        List<NodeSpec> nodes = new ArrayList<>();
        for (int id = 1; id <= 6; id++) {
            nodes.add(new NodeSpec(id, "10.0.0." + id, 6379, 16379, "dc1", "rack" + id));
        }
        return new ClusterSpec("pieces", "secret", 16, Map.of("dc1", 2), nodes).validate();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[][] args(String... parts) {
        byte[][] out = new byte[parts.length][];
        for (int i = 0; i < parts.length; i++) {
            out[i] = parts[i].getBytes(StandardCharsets.UTF_8);
        }
        return out;
    }
}
