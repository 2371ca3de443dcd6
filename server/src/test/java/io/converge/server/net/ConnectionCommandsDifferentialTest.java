package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.RespMap;
import io.converge.server.testing.RespClient.Simple;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Connection and server commands, raw RESP, against a real redis-server and a Converge node:
 * every reply that Redis makes deterministic must be equal, error texts included.
 */
class ConnectionCommandsDifferentialTest extends DifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void pingAndEcho(int protocol) {
        assertThat(sameReply(protocol, "PING")).isEqualTo(new Simple("PONG"));
        assertThat(sameReply(protocol, "ping", "hello world")).isEqualTo(new Bulk("hello world"));
        assertThat(sameReply(protocol, "PING", "a", "b")).isEqualTo(new Err("ERR wrong number of arguments for 'ping' command"));
        assertThat(sameReply(protocol, "ECHO", "")).isEqualTo(new Bulk(""));
        sameReply(protocol, "echo", "\u00e9\r\n\0binary");
        sameReply(protocol, "ECHO");
        sameReply(protocol, "ECHO", "a", "b");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void select(int protocol) {
        assertThat(sameReply(protocol, "SELECT", "0")).isEqualTo(new Simple("OK"));
        assertThat(sameReply(protocol, "SELECT", "1")).isEqualTo(new Err("ERR DB index is out of range"));
        sameReply(protocol, "SELECT", "-1");
        sameReply(protocol, "SELECT", "abc");
        sameReply(protocol, "SELECT", "00");
        sameReply(protocol, "SELECT");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void unknownCommandsKeepTheConnectionOpen(int protocol) {
        List<Object> replies = same(protocol, c -> {
            List<Object> r = new ArrayList<>();
            r.add(c.call("FOO"));
            r.add(c.call("foo", "a", "b"));
            r.add(c.call("NOPE", "x".repeat(200), "y"));
            List<String> many = new ArrayList<>(List.of("zzz"));
            for (int i = 0; i < 60; i++) {
                many.add("arg" + i);
            }
            r.add(c.call(many.toArray(new String[0])));
            r.add(c.call("n".repeat(300)));
            r.add(c.call("PING"));
            return r;
        });
        assertThat(replies.get(1)).isEqualTo(new Err("ERR unknown command 'foo', with args beginning with: 'a' 'b' "));
        assertThat(replies.get(5)).isEqualTo(new Simple("PONG"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void containerCommandErrors(int protocol) {
        assertThat(sameReply(protocol, "CLIENT", "FOO")).isEqualTo(new Err("ERR unknown subcommand 'FOO'. Try CLIENT HELP."));
        sameReply(protocol, "config", "nope");
        sameReply(protocol, "COMMAND", "nope");
        sameReply(protocol, "CLIENT");
        sameReply(protocol, "CONFIG");
        sameReply(protocol, "client", "setname");
        sameReply(protocol, "CONFIG", "GET");
        sameReply(protocol, "CONFIG", "SET", "timeout");
        sameReply(protocol, "TIME", "x");
        sameReply(protocol, "CLIENT", "ID", "x");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void clientNames(int protocol) {
        same(protocol, c -> List.of(
                c.call("CLIENT", "GETNAME"),
                c.call("CLIENT", "SETNAME", "worker-1"),
                c.call("CLIENT", "GETNAME"),
                c.call("CLIENT", "SETNAME", "a b"),
                c.call("CLIENT", "SETNAME", "caf\u00e9"),
                c.call("CLIENT", "GETNAME"),
                c.call("CLIENT", "SETNAME", ""),
                c.call("CLIENT", "GETNAME"),
                c.call("CLIENT", "NO-EVICT", "on"),
                c.call("CLIENT", "NO-EVICT", "maybe"),
                c.call("CLIENT", "KILL", "1.2.3.4:5"),
                c.call("CLIENT", "KILL", "ID", "999999"),
                c.call("CLIENT", "KILL", "ID", "x"),
                c.call("CLIENT", "KILL", "ID", "0"),
                c.call("CLIENT", "KILL", "TYPE", "foo"),
                c.call("CLIENT", "KILL", "TYPE", "pubsub"),
                c.call("CLIENT", "KILL", "SKIPME", "maybe"),
                c.call("CLIENT", "KILL", "USER", "nobody"),
                c.call("CLIENT", "KILL", "ADDR", "1.2.3.4:5", "ID"),
                c.call("CLIENT", "LIST", "TYPE", "foo"),
                c.call("CLIENT", "LIST", "TYPE", "pubsub"),
                c.call("CLIENT", "LIST", "ID", "x"),
                c.call("CLIENT", "LIST", "ID", "999999"),
                c.call("CLIENT", "LIST", "foo")));
    }

    @Test
    void clientIdInfoAndListDescribeTheConnection() {
        for (var target : List.of(redis, converge)) {
            try (RespClient c = new RespClient(target)) {
                long id = (Long) c.call("CLIENT", "ID");
                c.call("CLIENT", "SETNAME", "lister");
                String info = ((Bulk) c.call("CLIENT", "INFO")).text();
                assertThat(info).as(target.name()).startsWith("id=" + id + " addr=127.0.0.1:")
                        .contains(" name=lister ", " db=0 ", " cmd=client|info ", " user=default ", " resp=2")
                        .endsWith("\n");
                String list = ((Bulk) c.call("CLIENT", "LIST")).text();
                assertThat(list).as(target.name()).contains("id=" + id + " ", "name=lister");
                String byId = ((Bulk) c.call("CLIENT", "LIST", "ID", Long.toString(id))).text();
                assertThat(byId.split("\n")).hasSize(1);
            }
        }
    }

    @Test
    void clientKillClosesTheOtherConnection() {
        for (var target : List.of(redis, converge)) {
            try (RespClient victim = new RespClient(target); RespClient killer = new RespClient(target)) {
                long id = (Long) victim.call("CLIENT", "ID");
                assertThat(killer.call("CLIENT", "KILL", "ID", Long.toString(id))).isEqualTo(1L);
                assertThat(victim.isClosedByServer(2000)).as(target.name()).isTrue();
                assertThat(killer.call("PING")).isEqualTo(new Simple("PONG"));
                assertThat(killer.call("CLIENT", "KILL", "SKIPME", "no", "ID", Long.toString((Long) killer.call("CLIENT", "ID"))))
                        .isEqualTo(1L);
                assertThat(killer.isClosedByServer(2000)).isTrue();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void transactions(int protocol) {
        same(protocol, c -> List.of(
                c.call("EXEC"),
                c.call("DISCARD"),
                c.call("MULTI"),
                c.call("MULTI"),
                c.call("PING"),
                c.call("ECHO", "x"),
                c.call("SELECT", "1"),
                c.call("EXEC"),
                c.call("PING")));
        same(protocol, c -> List.of(
                c.call("MULTI"), c.call("FOO"), c.call("PING"), c.call("EXEC"), c.call("EXEC")));
        same(protocol, c -> List.of(
                c.call("MULTI"), c.call("ECHO"), c.call("EXEC")));
        same(protocol, c -> List.of(
                c.call("MULTI"), c.call("PING"), c.call("WATCH", "k"), c.call("DISCARD"), c.call("DISCARD")));
        same(protocol, c -> List.of(
                c.call("WATCH", "k1", "k2"), c.call("MULTI"), c.call("PING"), c.call("EXEC"),
                c.call("UNWATCH"), c.call("MULTI"), c.call("EXEC")));
        same(protocol, c -> List.of(c.call("WATCH")));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void helloAndReset(int protocol) {
        same(protocol, c -> List.of(
                c.call("HELLO", "4"),
                c.call("HELLO", "x"),
                c.call("HELLO", "3", "foo"),
                c.call("HELLO", "3", "AUTH", "default"),
                c.call("HELLO", "2", "SETNAME", "a b"),
                c.call("AUTH", "x"),
                c.call("AUTH", "a", "b", "c"),
                c.call("AUTH", "default", "anything"),
                c.call("AUTH", "nobody", "x")));
        for (int proto : new int[] {2, 3}) {
            Object redisHello;
            Object convergeHello;
            try (RespClient c = connect(redis, protocol)) {
                redisHello = helloShape(c.call("HELLO", Integer.toString(proto), "SETNAME", "h"));
                assertThat(c.call("CLIENT", "GETNAME")).isEqualTo(new Bulk("h"));
            }
            try (RespClient c = connect(converge, protocol)) {
                convergeHello = helloShape(c.call("HELLO", Integer.toString(proto), "SETNAME", "h"));
                assertThat(c.call("CLIENT", "GETNAME")).isEqualTo(new Bulk("h"));
            }
            assertThat(convergeHello).isEqualTo(redisHello);
        }
        same(protocol, c -> List.of(
                c.call("CLIENT", "SETNAME", "before"),
                c.call("MULTI"),
                c.call("RESET"),
                c.call("CLIENT", "GETNAME"),
                c.call("EXEC"),
                c.call("PING")));
    }

    /** HELLO's reply without the fields that legitimately differ (server, version, id). */
    private static Object helloShape(Object hello) {
        List<Object> entries;
        if (hello instanceof RespMap map) {
            entries = map.entries();
        } else {
            @SuppressWarnings("unchecked")
            List<Object> list = (List<Object>) hello;
            entries = list;
        }
        List<Object> shape = new ArrayList<>();
        shape.add(hello.getClass().getSimpleName());
        for (int i = 0; i < entries.size(); i += 2) {
            Object key = entries.get(i);
            shape.add(key);
            String k = ((Bulk) key).text();
            if (!k.equals("server") && !k.equals("version") && !k.equals("id")) {
                shape.add(entries.get(i + 1));
            }
        }
        return shape;
    }

    @Test
    void quitRepliesThenCloses() {
        String reply = sameRawExchange("QUIT\r\nPING\r\n");
        assertThat(reply).isEqualTo("+OK\r\n<CLOSED>");
        sameRawExchange("MULTI\r\nQUIT\r\n");
    }

    @Test
    void timeIsSecondsAndMicroseconds() {
        for (var target : List.of(redis, converge)) {
            try (RespClient c = new RespClient(target)) {
                @SuppressWarnings("unchecked")
                List<Object> time = (List<Object>) c.call("TIME");
                assertThat(time).hasSize(2);
                long seconds = Long.parseLong(((Bulk) time.get(0)).text());
                long micros = Long.parseLong(((Bulk) time.get(1)).text());
                assertThat(seconds).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(5L));
                assertThat(micros).isBetween(0L, 999_999L);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void configGetAndSet(int protocol) {
        for (String p : List.of("timeout", "maxmemory", "maxmemory-policy", "proto-max-bulk-len",
                "client-query-buffer-limit", "hz", "save", "requirepass", "nosuch*")) {
            sameReply(protocol, "CONFIG", "GET", p);
        }
        same(protocol, c -> List.of(
                c.call("CONFIG", "SET", "timeout", "abc"),
                c.call("CONFIG", "SET", "foo", "1"),
                c.call("CONFIG", "SET", "maxmemory", "1x"),
                c.call("CONFIG", "SET", "timeout", "1", "maxmemory"),
                c.call("CONFIG", "SET", "timeout", "300", "hz", "20"),
                c.call("CONFIG", "GET", "timeout"),
                c.call("CONFIG", "GET", "hz"),
                c.call("CONFIG", "SET", "timeout", "0", "hz", "10"),
                c.call("CONFIG", "SET", "maxmemory", "100mb"),
                c.call("CONFIG", "GET", "maxmemory"),
                c.call("CONFIG", "SET", "maxmemory", "0"),
                c.call("CONFIG", "RESETSTAT")));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void redisEncodingParametersAreAcceptedAndReportedBack(int protocol) {
        String[][] params = {
            {"hash-max-listpack-entries", "hash-max-ziplist-entries", "7"},
            {"hash-max-listpack-value", "hash-max-ziplist-value", "1k"},
            {"zset-max-listpack-entries", "zset-max-ziplist-entries", "0"},
            {"zset-max-listpack-value", "zset-max-ziplist-value", "2kb"},
            {"set-max-intset-entries", null, "9"},
            {"list-max-listpack-size", "list-max-ziplist-size", "-5"},
            {"list-compress-depth", null, "3"},
            {"stream-node-max-bytes", null, "1mb"},
            {"stream-node-max-entries", null, "50"},
            {"hll-sparse-max-bytes", null, "100"},
        };
        same(protocol, c -> {
            List<Object> r = new ArrayList<>();
            for (String[] p : params) {
                String name = p[0];
                String alias = p[1] == null ? name : p[1];
                Object before = c.call("CONFIG", "GET", name);
                List<?> pair = before instanceof RespMap m ? m.entries() : (List<?>) before;
                String original = ((Bulk) pair.get(1)).text();
                r.add(before);
                r.add(c.call("CONFIG", "GET", alias));
                r.add(c.call("CONFIG", "SET", alias, p[2]));
                r.add(c.call("CONFIG", "GET", name));
                r.add(c.call("CONFIG", "GET", alias));
                r.add(c.call("CONFIG", "SET", name, "abc"));
                r.add(c.call("CONFIG", "SET", name, "-1"));
                r.add(c.call("CONFIG", "SET", name, "99999999999"));
                r.add(c.call("CONFIG", "SET", name, original));
                r.add(c.call("CONFIG", "GET", name));
            }
            return r;
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void shutdownArgumentErrors(int protocol) {
        // Only the refusals: a SHUTDOWN that is accepted stops the server (ShutdownTest).
        same(protocol, c -> List.of(
                c.call("SHUTDOWN", "ABORT"),
                c.call("shutdown", "abort", "now"),
                c.call("SHUTDOWN", "SAVE", "NOSAVE"),
                c.call("SHUTDOWN", "NOW", "FORCE", "later"),
                c.call("MULTI"),
                c.call("SHUTDOWN", "NOW"),
                c.call("EXEC"),
                c.call("COMMAND", "INFO", "shutdown")));
    }

    @Test
    void protectedModeRefusesClientsFromOtherAddressesWhileTheDefaultUserHasNoPassword() throws Exception {
        String refused = fromOtherAddress(redis.port());
        assertThat(refused).startsWith("-DENIED Redis is running in protected mode").endsWith("\r\n<CLOSED>");
        assertThat(fromOtherAddress(converge.port())).isEqualTo(refused);
        try {
            same(2, c -> c.call("CONFIG", "SET", "protected-mode", "no"));
            assertThat(fromOtherAddress(converge.port())).isEqualTo(fromOtherAddress(redis.port())).isEqualTo("+PONG\r\n");
        } finally {
            same(2, c -> c.call("CONFIG", "SET", "protected-mode", "yes"));
        }
        sameReply(2, "CONFIG", "GET", "protected-mode");
    }

    /**
     * What a client connecting from 127.0.0.2 (a loopback address, yet not one Redis's protected
     * mode lets in) gets: what the server sends at once (and {@code <CLOSED>} if it closes), or,
     * when it sends nothing, its reply to a PING. (Sending the PING first could make the refusing
     * server reset the connection for unread input, losing its message.)
     */
    private static String fromOtherAddress(int port) throws java.io.IOException {
        try (java.net.Socket s = new java.net.Socket()) {
            s.bind(new java.net.InetSocketAddress("127.0.0.2", 0));
            s.connect(new java.net.InetSocketAddress("127.0.0.1", port), 5_000);
            java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[4096];
            s.setSoTimeout(500);
            try {
                for (int n; (n = s.getInputStream().read(buf)) >= 0; ) {
                    got.write(buf, 0, n);
                }
                return got.toString(java.nio.charset.StandardCharsets.US_ASCII) + "<CLOSED>";
            } catch (java.net.SocketTimeoutException e) {
                if (got.size() > 0) {
                    return got.toString(java.nio.charset.StandardCharsets.US_ASCII);
                }
            }
            s.getOutputStream().write("PING\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            int n = s.getInputStream().read(buf);
            return n < 0 ? "<CLOSED>" : new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void slowLog(int protocol) {
        same(protocol, c -> List.of(
                c.call("SLOWLOG", "GET", "x"),
                c.call("SLOWLOG", "GET", "-2"),
                c.call("SLOWLOG", "GET", "1", "2"),
                c.call("SLOWLOG", "LEN", "x"),
                c.call("SLOWLOG"),
                c.call("SLOWLOG", "foo"),
                c.call("SLOWLOG", "HELP"),
                c.call("CONFIG", "SET", "slowlog-log-slower-than", "-2"),
                c.call("CONFIG", "SET", "slowlog-max-len", "-1"),
                c.call("CONFIG", "GET", "slowlog-max-len"),
                c.call("COMMAND", "INFO", "slowlog|get"),
                c.call("ROLE"),
                c.call("ROLE", "x"),
                c.call("COMMAND", "INFO", "role"),
                c.call("COMMAND", "DOCS", "role")));
        // What an entry holds: everything but its id, time and duration is Redis's.
        List<List<Object>> entries = same(protocol, c -> {
            try {
                c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
                c.call("SLOWLOG", "RESET");
                c.call("CLIENT", "SETNAME", "slow-client");
                c.call("SET", "k".repeat(200), "v");
                List<String> del = new ArrayList<>(List.of("DEL"));
                for (int i = 1; i <= 35; i++) {
                    del.add("a" + i);
                }
                c.call(del.toArray(new String[0]));
                c.call("AUTH", "nobody", "wrong");
                c.call("HELLO", String.valueOf(protocol), "AUTH", "default", "wrong", "SETNAME", "n");
                Object len = c.call("SLOWLOG", "LEN");
                List<Object> got = new ArrayList<>();
                got.add(len);
                for (Object entry : (List<?>) c.call("SLOWLOG", "GET", "5")) {
                    List<?> fields = (List<?>) entry;
                    got.add(List.of(fields.get(3), fields.get(5)));
                }
                return List.of(got);
            } finally {
                c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
                c.call("CLIENT", "SETNAME", "");
            }
        });
        assertThat(entries.get(0)).hasSize(6);
    }

    @Test
    void commandStatsAndErrorStats() {
        List<String> expected = null;
        for (var target : List.of(redis, converge)) {
            try (RespClient c = new RespClient(target)) {
                c.call("CONFIG", "RESETSTAT");
                c.call("PING");
                c.call("PING", "x");
                c.call("PING", "a", "b");
                c.call("ECHO", "e");
                c.call("SELECT", "5");
                c.call("NOSUCH");
                c.call("CLIENT", "SETNAME", "a b");
                String text = ((Bulk) c.call("INFO", "commandstats", "errorstats")).text();
                List<String> lines = new ArrayList<>();
                for (String line : text.split("\r\n")) {
                    lines.add(line.replaceAll("usec=\\d+,usec_per_call=[0-9.]+,", ""));
                }
                lines.sort(null);
                if (expected == null) {
                    expected = lines;
                } else {
                    assertThat(lines).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void commandIntrospectionMatchesRedisForSharedCommands() {
        for (int protocol : new int[] {2, 3}) {
            for (String name : List.of("ping", "echo", "hello", "auth", "select", "quit", "reset", "multi", "exec",
                    "discard", "watch", "unwatch", "info", "time", "client|id", "client|setname", "client|getname",
                    "client|info", "client|list", "client|kill", "client|no-evict", "client|help", "config|get",
                    "config|set", "config|resetstat", "config|help", "command|count", "command|info", "command|docs",
                    "command|list", "command|getkeys", "command|help", "nosuchcommand")) {
                sameReply(protocol, "COMMAND", "INFO", name);
            }
            sameReply(protocol, "COMMAND", "DOCS", "nosuchcommand");
            sameReply(protocol, "COMMAND", "LIST", "FILTERBY", "PATTERN", "unwat*");
            sameReply(protocol, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuchcategory");
            sameReply(protocol, "COMMAND", "LIST", "FILTERBY", "MODULE", "x");
            sameReply(protocol, "COMMAND", "LIST", "FILTERBY", "nope", "x");
            sameReply(protocol, "COMMAND", "GETKEYS", "WATCH", "a", "b");
            sameReply(protocol, "COMMAND", "GETKEYS", "PING", "x");
            sameReply(protocol, "COMMAND", "GETKEYS", "NOSUCH", "x");
            sameReply(protocol, "COMMAND", "GETKEYS", "ECHO");
        }
    }

    @Test
    void infoHasRedisSectionsAndFormat() {
        for (var target : List.of(redis, converge)) {
            try (RespClient c = new RespClient(target)) {
                String all = ((Bulk) c.call("INFO")).text();
                assertThat(all).as(target.name()).startsWith("# Server\r\nredis_version:")
                        .contains("\r\n\r\n# Clients\r\nconnected_clients:", "\r\n# Stats\r\n", "total_commands_processed:")
                        .doesNotContain("# Commandstats").endsWith("\r\n");
                String server = ((Bulk) c.call("info", "SERVER")).text();
                assertThat(server).startsWith("# Server\r\n").doesNotContain("# Clients");
                assertThat(c.call("INFO", "nosuchsection")).isEqualTo(new Bulk(""));
            }
        }
    }
}
