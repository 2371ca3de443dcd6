package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.store.EmbeddedEngine;
import io.converge.server.store.StorageEngine;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Verbatim;
import io.converge.server.testing.ServerTarget;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Expiry on a running node, next to redis-server: lazy (an access to an expired key finds
 * nothing) and active (keys nobody touches are reclaimed by the background sampling), with short
 * TTLs and Awaitility — no assertion on how fast, only on what eventually happens.
 */
class ExpiryTest extends DataDifferentialTestBase {

    @Test
    void accessToAnExpiredKeyFindsNothing() {
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                c.call("SET", "a", "v", "PX", "50");
                c.call("SET", "b", "v", "PX", "50");
                c.call("ZADD", "z", "1", "m");
                c.call("PEXPIRE", "z", "50");
                c.call("SET", "kept", "v", "PX", "60000");
            }
        }
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                script(2,
                        cmd("GET", "a"),
                        cmd("TTL", "b"),
                        cmd("EXISTS", "a", "b", "z", "kept"),
                        cmd("TYPE", "z"),
                        cmd("INCR", "b"),
                        cmd("SET", "a", "new", "XX"),
                        cmd("SETNX", "a", "fresh"),
                        cmd("GET", "a")));
    }

    @Test
    void untouchedKeysAreReclaimedInTheBackground() {
        long[] expiredBefore = new long[2];
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                expiredBefore[t.isRedis() ? 0 : 1] = infoField(c, "stats", "expired_keys");
                for (int i = 0; i < 300; i++) {
                    c.call("SET", "short:" + i, "v", "PX", "100");
                }
                for (int i = 0; i < 50; i++) {
                    c.call("SET", "long:" + i, "v", "EX", "600");
                }
                c.call("SET", "persistent", "v");
            }
        }
        for (ServerTarget t : List.of(redis, converge)) {
            try (RespClient c = new RespClient(t)) {
                await(t.name()).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                        .until(() -> (Long) c.call("DBSIZE") == 51);
                assertThat(infoField(c, "stats", "expired_keys") - expiredBefore[t.isRedis() ? 0 : 1]).as(t.name()).isEqualTo(300);
                assertThat(infoText(c, "keyspace", "db0")).as(t.name()).startsWith("keys=51,expires=50,");
            }
        }
    }

    @Test
    void expiryDeletesAreReportedAsDeltas() {
        StorageEngine engine = (StorageEngine) converge.node().services().engine();
        List<String> deleted = new CopyOnWriteArrayList<>();
        engine.addDeltaListener((key, delta) -> {
            if (!delta.exists() && new String(key).startsWith("delta:")) {
                deleted.add(new String(key));
            }
        });
        try (RespClient c = new RespClient(converge)) {
            c.call("SET", "delta:lazy", "v", "PX", "30");
            c.call("SET", "delta:active", "v", "PX", "30");
            await().atMost(Duration.ofSeconds(5)).until(() -> c.call("GET", "delta:lazy") instanceof RespClient.Null);
            await().atMost(Duration.ofSeconds(10)).until(() -> deleted.contains("delta:active"));
        }
        assertThat(deleted).containsExactlyInAnyOrder("delta:lazy", "delta:active");
    }

    @Test
    void withActiveExpiryOffOnlyAccessReclaims() {
        EmbeddedEngine engine = (EmbeddedEngine) converge.node().services().engine();
        try (RespClient c = new RespClient(converge)) {
            c.call("CONFIG", "SET", "active-expire", "no");
            try {
                for (int i = 0; i < 20; i++) {
                    c.call("SET", "lazy:" + i, "v", "PX", "20");
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> (Long) c.call("EXISTS", "lazy:0") == 0);
                // Give the background cycle several chances to (wrongly) reclaim the rest.
                long cycles = infoField(c, "stats", "background_cycles");
                await().atMost(Duration.ofSeconds(10)).until(() -> infoField(c, "stats", "background_cycles") > cycles + 3);
                assertThat(c.call("DBSIZE")).isEqualTo(19L);
                assertThat(engine.keysWithExpiry()).isEqualTo(19);
                for (int i = 1; i < 20; i++) {
                    c.call("GET", "lazy:" + i);
                }
                assertThat(c.call("DBSIZE")).isEqualTo(0L);
            } finally {
                c.call("CONFIG", "SET", "active-expire", "yes");
            }
        }
    }

    /** A numeric field of an INFO section (-1 if absent). */
    private static long infoField(RespClient c, String section, String field) {
        String v = infoText(c, section, field);
        return v == null ? -1 : Long.parseLong(v);
    }

    /** A field of an INFO section as text, or null. */
    private static String infoText(RespClient c, String section, String field) {
        Object reply = c.call("INFO", section);
        String text = reply instanceof Verbatim v ? v.text() : ((Bulk) reply).text();
        for (String line : text.split("\r\n")) {
            if (line.startsWith(field + ":")) {
                return line.substring(field.length() + 1);
            }
        }
        return null;
    }
}
