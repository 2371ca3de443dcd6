package io.converge.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.config.ConvergeConfig;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/**
 * Base class of differential tests: one real redis-server and one Converge node per test class,
 * and helpers that run the same exchange against both and assert the results equal.
 *
 * <p>Override {@link #redisArgs()} and {@link #configureConverge} to start both with matching
 * settings (e.g. a password). Use {@link #targets()} with {@code @MethodSource("targets")} to
 * run a client-library test against each, or {@link #same(int, Function)} /
 * {@link #sameReply(int, String...)} to compare replies directly.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class DifferentialTestBase {
    protected RedisServerFixture redis;
    protected ConvergeFixture converge;

    /** Extra redis-server arguments (default none). */
    protected String[] redisArgs() {
        return new String[0];
    }

    /** Adjusts the Converge configuration (default: nothing). */
    protected void configureConverge(ConvergeConfig.Builder config) {}

    @BeforeAll
    void startTargets() {
        redis = RedisServerFixture.start(redisArgs());
        try {
            converge = ConvergeFixture.start(this::configureConverge);
        } catch (RuntimeException e) {
            redis.close();
            throw e;
        }
    }

    @AfterAll
    void stopTargets() {
        if (converge != null) {
            converge.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** Both targets, redis first (for {@code @MethodSource}). */
    protected Stream<ServerTarget> targets() {
        return Stream.of(redis, converge);
    }

    /** A new raw client to {@code target}, switched to RESP3 with HELLO 3 when {@code protocol} is 3. */
    protected static RespClient connect(ServerTarget target, int protocol) {
        RespClient c = new RespClient(target);
        if (protocol == 3) {
            Object hello = c.call("HELLO", "3");
            assertThat(hello).as("HELLO 3 on %s", target.name()).isInstanceOf(RespClient.RespMap.class);
        }
        return c;
    }

    /**
     * Runs {@code exchange} on a fresh connection (in {@code protocol}) to each target and
     * asserts both results equal; returns the result.
     */
    protected <T> T same(int protocol, Function<RespClient, T> exchange) {
        T expected;
        try (RespClient c = connect(redis, protocol)) {
            expected = exchange.apply(c);
        }
        T actual;
        try (RespClient c = connect(converge, protocol)) {
            actual = exchange.apply(c);
        }
        assertThat(actual).as("converge vs redis (RESP%d)", protocol).isEqualTo(expected);
        return actual;
    }

    /** Sends one command to both targets in {@code protocol}, asserts equal replies, returns the reply. */
    protected Object sameReply(int protocol, String... command) {
        return same(protocol, c -> c.call(command));
    }

    /**
     * Sends raw bytes to both targets and compares everything received until the server closes
     * the connection or stays silent. Converge gets up to 5 s for its first byte when Redis
     * answered something (a cold JVM can be slow on its first request), then the same idle rule.
     */
    protected String sameRawExchange(String raw) {
        String expected;
        try (RespClient c = connect(redis, 2)) {
            c.send(raw);
            expected = c.readUntilClosedOrIdle(300, 300);
        }
        String actual;
        try (RespClient c = connect(converge, 2)) {
            c.send(raw);
            actual = c.readUntilClosedOrIdle(expected.isEmpty() ? 300 : 5000, 300);
        }
        assertThat(actual).as("converge vs redis for raw input %s", abbreviate(raw)).isEqualTo(expected);
        return actual;
    }

    private static String abbreviate(String raw) {
        String shown = raw.length() > 80 ? raw.substring(0, 80) + "...(" + raw.length() + " bytes)" : raw;
        return shown.replace("\r", "\\r").replace("\n", "\\n");
    }
}
