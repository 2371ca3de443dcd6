package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.config.ConvergeConfig;
import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The operator's diagnostics against redis-server 7.0, both started with
 * {@code enable-debug-command yes}: LATENCY (events above {@code latency-monitor-threshold} made
 * with DEBUG SLEEP: LATEST, HISTORY, GRAPH, DOCTOR, RESET; HISTOGRAM of real calls; HELP and
 * errors), DEBUG (its errors, OBJECT, ERROR, SLEEP, SET-ACTIVE-EXPIRE) and MEMORY STATS/DOCTOR.
 * Latencies differ between the two, so what is compared is what must agree: texts, shapes,
 * field names, counts and the order of magnitude of what was slept.
 */
class OperatorCommandsDifferentialTest extends DifferentialTestBase {

    @Override
    protected String[] redisArgs() {
        return new String[] {"--enable-debug-command", "yes"};
    }

    @Override
    protected void configureConverge(ConvergeConfig.Builder config) {
        config.set("enable-debug-command", "yes");
    }

    @Test
    void latencyWithoutEventsHelpAndErrors() {
        for (int protocol : new int[] {2, 3}) {
            sameReply(protocol, "LATENCY", "RESET");
            sameReply(protocol, "LATENCY", "LATEST");
            sameReply(protocol, "LATENCY", "HISTORY", "command");
            sameReply(protocol, "LATENCY", "DOCTOR");
            sameReply(protocol, "LATENCY", "GRAPH", "command");
            sameReply(protocol, "LATENCY", "HELP");
            sameReply(protocol, "LATENCY", "NOSUCH");
            sameReply(protocol, "LATENCY", "HISTORY");
            sameReply(protocol, "LATENCY", "GRAPH");
            sameReply(protocol, "LATENCY");
            sameReply(protocol, "LATENCY", "HISTOGRAM", "nosuchcommand");
        }
        sameReply(2, "COMMAND", "INFO", "latency|latest", "latency|history", "latency|reset", "latency|graph",
                "latency|doctor", "latency|histogram", "latency|help", "debug");
    }

    @Test
    void latencyEventsFromSlowCommands() {
        for (ServerTarget target : List.of(redis, converge)) {
            try (RespClient c = new RespClient(target)) {
                c.call("LATENCY", "RESET");
                assertThat(c.call("CONFIG", "SET", "latency-monitor-threshold", "5")).isEqualTo(new RespClient.Simple("OK"));
                c.call("DEBUG", "SLEEP", "0.06");
                c.call("DEBUG", "SLEEP", "0");
                sleepMillis(1100); // the next sample in another second
                c.call("DEBUG", "SLEEP", "0.02");
                String where = target.name();

                List<?> latest = (List<?>) c.call("LATENCY", "LATEST");
                assertThat(latest).as(where).hasSize(1);
                List<?> event = (List<?>) latest.get(0);
                assertThat(event.get(0)).as(where).isEqualTo(new RespClient.Bulk("command"));
                assertThat((Long) event.get(2)).as(where + " latest").isBetween(20L, 59L);
                assertThat((Long) event.get(3)).as(where + " max").isBetween(60L, 200L);

                List<?> history = (List<?>) c.call("LATENCY", "HISTORY", "command");
                assertThat(history).as(where).hasSize(2);
                assertThat((Long) ((List<?>) history.get(0)).get(1)).as(where).isGreaterThanOrEqualTo(60L);

                String graph = ((RespClient.Bulk) c.call("LATENCY", "GRAPH", "command")).text();
                String[] lines = graph.split("\n");
                assertThat(lines[0]).as(where).matches("command - high \\d+ ms, low \\d+ ms \\(all time high \\d+ ms\\)");
                assertThat(lines[1]).as(where).isEqualTo("-".repeat(80));
                assertThat(lines[2]).as(where).isEqualTo("# "); // the highest sample tops the first column
                assertThat(lines[5]).as(where).isEqualTo("|_");

                String doctor = ((RespClient.Bulk) c.call("LATENCY", "DOCTOR")).text();
                assertThat(doctor).as(where).startsWith("Dave, I have observed latency spikes in this Redis instance.")
                        .containsPattern("1\\. command: 2 latency spikes \\(average \\d+ms, mean deviation \\d+ms, "
                                + "period [0-9.]+ sec\\)\\. Worst all time event \\d+ms\\.")
                        .contains("Please use 'CONFIG SET slowlog-log-slower-than 5000'.");

                assertThat(c.call("LATENCY", "RESET", "command", "nosuch")).as(where).isEqualTo(1L);
                assertThat(c.call("LATENCY", "LATEST")).as(where).isEqualTo(List.of());
                c.call("CONFIG", "SET", "latency-monitor-threshold", "0");
            }
        }
    }

    @Test
    void latencyHistogramsOfRealCalls() {
        Map<String, Object> shapes = new LinkedHashMap<>();
        for (ServerTarget target : List.of(redis, converge)) {
            try (RespClient c = new RespClient(target)) {
                c.call("CONFIG", "RESETSTAT");
                for (int i = 0; i < 150; i++) {
                    c.call("SET", "h" + i, "v");
                }
                c.call("GET", "h1");
                List<?> reply = (List<?>) c.call("LATENCY", "HISTOGRAM", "set", "get", "nosuch", "set");
                // set, get, set again (duplicates answered again, unknown names skipped), as Redis does.
                List<Object> shape = new ArrayList<>();
                for (int i = 0; i < reply.size(); i += 2) {
                    List<?> h = (List<?>) reply.get(i + 1);
                    List<?> buckets = (List<?>) h.get(3);
                    long previous = 0;
                    long bound = 0;
                    for (int b = 0; b < buckets.size(); b += 2) {
                        long upper = (Long) buckets.get(b);
                        long cumulative = (Long) buckets.get(b + 1);
                        if (target == converge) { // Redis's HDR labels are powers of two only up to ~32 us
                            assertThat(Long.bitCount(upper)).as("a power of two bucket %d", upper).isEqualTo(1);
                        }
                        assertThat(upper).isGreaterThan(bound);
                        assertThat(cumulative).isGreaterThan(previous);
                        previous = cumulative;
                        bound = upper;
                    }
                    shape.add(List.of(reply.get(i), h.get(0), h.get(1), h.get(2), previous));
                }
                shapes.put(target.name(), shape);
            }
        }
        assertThat(shapes.get(converge.name())).isEqualTo(shapes.get(redis.name()));
        assertThat(shapes.get(redis.name()).toString()).contains("150");
    }

    @Test
    void debugCommands() {
        for (int protocol : new int[] {2, 3}) {
            sameReply(protocol, "DEBUG", "OBJECT", "nosuch");
            sameReply(protocol, "DEBUG", "ERROR", "WRONG custom error");
            sameReply(protocol, "DEBUG", "NOSUCH");
            sameReply(protocol, "DEBUG", "SLEEP");
            sameReply(protocol, "DEBUG", "SLEEP", "0");
            sameReply(protocol, "DEBUG", "SLEEP", "abc");
            sameReply(protocol, "DEBUG", "SET-ACTIVE-EXPIRE", "0");
            sameReply(protocol, "DEBUG", "SET-ACTIVE-EXPIRE", "1");
            sameReply(protocol, "DEBUG");
        }
        for (ServerTarget target : List.of(redis, converge)) {
            try (RespClient c = new RespClient(target)) {
                c.call("SET", "dbg", "short");
                assertThat(((RespClient.Simple) c.call("DEBUG", "OBJECT", "dbg")).text()).as(target.name())
                        .matches("Value at:0x[0-9a-f]+ refcount:1 encoding:embstr serializedlength:\\d+ lru:\\d+ "
                                + "lru_seconds_idle:\\d+");
                assertThat(((List<?>) c.call("DEBUG", "HELP")).get(0)).isEqualTo(
                        new RespClient.Simple("DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
            }
        }
    }

    @Test
    void debugIsRefusedUnlessEnabled() {
        // The other default: refused with Redis's text (compared with a redis-server started without the option).
        try (var plainRedis = io.converge.server.testing.RedisServerFixture.start();
             var plainConverge = io.converge.server.testing.ConvergeFixture.start();
             RespClient r = new RespClient(plainRedis);
             RespClient c = new RespClient(plainConverge)) {
            assertThat(c.call("DEBUG", "SLEEP", "0")).isEqualTo(r.call("DEBUG", "SLEEP", "0"));
            assertThat(c.call("DEBUG", "OBJECT", "x")).isEqualTo(r.call("DEBUG", "OBJECT", "x"));
        }
    }

    @Test
    void memoryStatsAndDoctor() {
        sameReply(2, "MEMORY", "HELP");
        sameReply(2, "MEMORY", "DOCTOR"); // little data on both: the same "Hi Sam" text
        sameReply(2, "MEMORY", "STATS", "extra");
        Map<String, List<String>> names = new LinkedHashMap<>();
        for (ServerTarget target : List.of(redis, converge)) {
            try (RespClient c = new RespClient(target)) {
                c.call("FLUSHALL");
                c.call("SET", "m", "v");
                List<?> stats = (List<?>) c.call("MEMORY", "STATS");
                List<String> keys = new ArrayList<>();
                for (int i = 0; i < stats.size(); i += 2) {
                    keys.add(((RespClient.Bulk) stats.get(i)).text());
                    if (keys.get(keys.size() - 1).equals("keys.count")) {
                        assertThat(stats.get(i + 1)).as(target.name()).isEqualTo(1L);
                    }
                }
                names.put(target.name(), keys);
            }
        }
        List<String> redisNames = new ArrayList<>(names.get(redis.name()));
        // Redis Cluster's slot-to-keys overhead is inside db.0; the top-level names must agree.
        assertThat(names.get(converge.name())).isEqualTo(redisNames);
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
