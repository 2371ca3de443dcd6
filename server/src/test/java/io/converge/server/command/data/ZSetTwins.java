package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.RespClient;
import io.converge.server.testing.ServerTarget;

/**
 * Two raw connections in one protocol, one to redis-server and one to Converge: {@link #check}
 * sends a command to both and asserts the replies equal, naming the command on a mismatch.
 */
final class ZSetTwins implements AutoCloseable {
    final RespClient redis;
    final RespClient converge;
    final int protocol;

    ZSetTwins(ServerTarget redisTarget, ServerTarget convergeTarget, int protocol) {
        this.protocol = protocol;
        this.redis = open(redisTarget, protocol);
        this.converge = open(convergeTarget, protocol);
    }

    private static RespClient open(ServerTarget target, int protocol) {
        RespClient c = new RespClient(target);
        if (protocol == 3) {
            assertThat(c.call("HELLO", "3")).as("HELLO 3 on %s", target.name()).isInstanceOf(RespClient.RespMap.class);
        }
        return c;
    }

    /** Sends {@code command} to both servers, asserts equal replies and returns redis-server's. */
    Object check(String... command) {
        Object expected = redis.call(command);
        Object actual = converge.call(command);
        assertThat(actual).as("%s (RESP%d)", String.join(" ", command), protocol).isEqualTo(expected);
        return expected;
    }

    /** Sends {@code command} to both servers and returns both replies, redis-server's first (no assertion). */
    Object[] both(String... command) {
        return new Object[] {redis.call(command), converge.call(command)};
    }

    @Override
    public void close() {
        redis.close();
        converge.close();
    }
}
