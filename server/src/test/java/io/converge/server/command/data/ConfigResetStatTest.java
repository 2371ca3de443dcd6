package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Verbatim;
import io.converge.server.testing.ServerTarget;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CONFIG RESETSTAT also resets the keyspace counters of INFO stats, as in Redis. */
class ConfigResetStatTest extends DataDifferentialTestBase {
    private static final List<String> FIELDS = List.of("keyspace_hits", "keyspace_misses", "expired_keys");

    @Test
    void resetstatZeroesKeyspaceHitsMissesAndExpiredKeys() throws InterruptedException {
        Map<String, String> redisBefore = countersAfterTraffic(redis);
        Map<String, String> convergeBefore = countersAfterTraffic(converge);
        assertThat(convergeBefore).isEqualTo(redisBefore)
                .isEqualTo(Map.of("keyspace_hits", "1", "keyspace_misses", "2", "expired_keys", "1"));

        Map<String, String> zero = Map.of("keyspace_hits", "0", "keyspace_misses", "0", "expired_keys", "0");
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                assertThat(c.call("CONFIG", "RESETSTAT")).isEqualTo(new RespClient.Simple("OK"));
                assertThat(counters(c)).as(t.name()).isEqualTo(zero);
                c.call("GET", "a");
                assertThat(counters(c)).as(t.name()).containsEntry("keyspace_hits", "1");
            }
        }
    }

    /** Resets the stats, then one hit, two misses (one of them an expired key), then the counters. */
    private static Map<String, String> countersAfterTraffic(ServerTarget t) throws InterruptedException {
        try (RespClient c = new RespClient(t)) {
            c.call("CONFIG", "RESETSTAT");
            c.call("SET", "a", "1");
            c.call("GET", "a");
            c.call("GET", "missing");
            c.call("SET", "e", "v", "PX", "1");
            Thread.sleep(20);
            c.call("GET", "e");
            return counters(c);
        }
    }

    private static Map<String, String> counters(RespClient c) {
        Object reply = c.call("INFO", "stats");
        String info = reply instanceof Verbatim v ? v.text() : ((Bulk) reply).text();
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : info.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && FIELDS.contains(line.substring(0, colon))) {
                out.put(line.substring(0, colon), line.substring(colon + 1));
            }
        }
        return out;
    }
}
