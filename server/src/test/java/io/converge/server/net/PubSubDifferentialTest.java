package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pub/sub on one node against a real redis-server, raw RESP: subscribed mode and its
 * confirmations, messages and pattern messages, shard channels, PUBSUB's answers and errors, in
 * RESP2 and RESP3 (push messages). Every reply must be equal.
 */
class PubSubDifferentialTest extends DifferentialTestBase {

    /** Runs {@code exchange} on a subscriber and a publisher connection to each target; asserts equal results. */
    private List<Object> sameWithPublisher(int protocol, BiFunction<RespClient, RespClient, List<Object>> exchange) {
        List<Object> expected = run(redis, protocol, exchange);
        List<Object> actual = run(converge, protocol, exchange);
        assertThat(actual).as("converge vs redis (RESP%d)", protocol).isEqualTo(expected);
        return actual;
    }

    private static List<Object> run(ServerTarget target, int protocol,
                                    BiFunction<RespClient, RespClient, List<Object>> exchange) {
        try (RespClient sub = connect(target, protocol); RespClient pub = connect(target, 2)) {
            return exchange.apply(sub, pub);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void subscribedModeAndItsConfirmations(int protocol) {
        List<Object> replies = same(protocol, c -> {
            List<Object> r = new ArrayList<>();
            c.send(RespClient.encode("SUBSCRIBE", "a", "b"));
            r.addAll(c.read(2));
            r.add(c.call("GET", "x"));
            r.add(c.call("PING"));
            r.add(c.call("PING", "hi"));
            c.send(RespClient.encode("PSUBSCRIBE", "p*", "q?"));
            r.addAll(c.read(2));
            r.add(c.call("SSUBSCRIBE", "s1"));
            r.add(c.call("SUBSCRIBE", "a"));
            r.add(c.call("UNSUBSCRIBE", "b"));
            r.add(c.call("UNSUBSCRIBE", "never"));
            r.add(c.call("PUNSUBSCRIBE", "q?"));
            r.add(c.call("PUNSUBSCRIBE"));
            r.add(c.call("SUNSUBSCRIBE"));
            r.add(c.call("SUNSUBSCRIBE"));
            r.add(c.call("UNSUBSCRIBE"));
            r.add(c.call("UNSUBSCRIBE"));
            r.add(c.call("PUNSUBSCRIBE"));
            r.add(c.call("GET", "x"));
            r.add(c.call("PING"));
            return r;
        });
        if (protocol == 2) {
            assertThat(replies.get(2)).isEqualTo(new Err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / "
                    + "(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void messagesReachChannelPatternAndShardSubscribers(int protocol) {
        sameWithPublisher(protocol, (sub, pub) -> {
            List<Object> r = new ArrayList<>();
            sub.send(RespClient.encode("SUBSCRIBE", "news", "other"));
            r.addAll(sub.read(2));
            sub.send(RespClient.encode("PSUBSCRIBE", "n*", "x?"));
            r.addAll(sub.read(2));
            r.add(sub.call("SSUBSCRIBE", "s1"));
            r.add(pub.call("PUBLISH", "news", "hello"));
            r.addAll(sub.read(2)); // the message, then the pattern message
            r.add(pub.call("PUBLISH", "nope", "hi"));
            r.add(sub.read());
            r.add(pub.call("PUBLISH", "nobody", "lost"));
            r.add(pub.call("SPUBLISH", "s1", "shard message"));
            r.add(sub.read());
            r.add(pub.call("SPUBLISH", "news", "not to channel subscribers"));
            r.add(pub.call("PUBLISH", "news", "bin\r\n\0ary"));
            r.addAll(sub.read(2));
            r.add(pub.call("PUBSUB", "NUMSUB", "news", "nope", "zz", "s1"));
            r.add(pub.call("PUBSUB", "NUMSUB"));
            r.add(pub.call("PUBSUB", "NUMPAT"));
            r.add(pub.call("PUBSUB", "CHANNELS", "n*"));
            r.add(pub.call("PUBSUB", "CHANNELS", "zz*"));
            r.add(pub.call("PUBSUB", "SHARDCHANNELS"));
            r.add(pub.call("PUBSUB", "SHARDNUMSUB", "s1", "s2"));
            r.add(pub.call("PUBSUB", "SHARDNUMSUB"));
            return r;
        });
    }

    @Test
    void aResp3SubscriberRunsAnyCommandAndGetsItsOwnMessageBeforeThePublishReply() {
        same(3, c -> {
            List<Object> r = new ArrayList<>();
            r.add(c.call("SUBSCRIBE", "r3"));
            r.add(c.call("GET", "x"));
            c.send(RespClient.encode("PUBLISH", "r3", "m3"));
            r.addAll(c.read(2));
            r.add(c.call("PSUBSCRIBE", "r*"));
            c.send(RespClient.encode("PUBLISH", "r3", "m4"));
            r.addAll(c.read(3));
            return r;
        });
    }

    @Test
    void resetLeavesSubscribedMode() {
        same(2, c -> {
            List<Object> r = new ArrayList<>();
            r.add(c.call("SUBSCRIBE", "a"));
            r.add(c.call("PSUBSCRIBE", "b*"));
            r.add(c.call("RESET"));
            r.add(c.call("GET", "x"));
            r.add(c.call("PUBSUB", "NUMSUB", "a"));
            r.add(c.call("PUBSUB", "NUMPAT"));
            return r;
        });
    }

    @Test
    void errors() {
        sameReply(2, "SUBSCRIBE");
        sameReply(2, "PSUBSCRIBE");
        sameReply(2, "SSUBSCRIBE");
        sameReply(2, "PUBLISH", "a");
        sameReply(2, "PUBLISH", "a", "b", "c");
        sameReply(2, "SPUBLISH", "a");
        sameReply(2, "PUBSUB");
        sameReply(2, "PUBSUB", "FOO");
        sameReply(2, "PUBSUB", "NUMPAT", "x");
        sameReply(2, "PUBSUB", "CHANNELS", "a", "b");
        sameReply(2, "PUBSUB", "SHARDCHANNELS", "a", "b");
        sameReply(2, "PUBSUB", "HELP");
        sameReply(2, "PUBSUB", "HELP", "x");
        sameReply(3, "PUBSUB", "HELP");
    }

    @Test
    void aSubscriberThatDoesNotReadIsDisconnectedAtThePubsubOutputLimit() {
        try (RespClient admin = connect(converge, 2); RespClient sub = connect(converge, 2);
             RespClient pub = connect(converge, 2)) {
            assertThat(admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 1mb 0 0"))
                    .isEqualTo(new RespClient.Simple("OK"));
            assertThat(admin.call("CONFIG", "GET", "client-output-buffer-limit")).isEqualTo(List.of(
                    new RespClient.Bulk("client-output-buffer-limit"),
                    new RespClient.Bulk("normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 0 0")));
            try {
                assertThat(sub.call("SUBSCRIBE", "flood")).isInstanceOf(List.class);
                String big = "x".repeat(100_000);
                long delivered = 0;
                for (int i = 0; i < 400; i++) {
                    delivered += (Long) pub.call("PUBLISH", "flood", big);
                }
                assertThat(delivered).as("it stopped counting once the subscriber was cut off").isLessThan(400);
                assertThat(sub.isClosedByServer(5_000)).isTrue();
                assertThat(pub.call("PUBSUB", "NUMSUB", "flood")).isEqualTo(List.of(new RespClient.Bulk("flood"), 0L));
            } finally {
                admin.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 32mb 8mb 60");
            }
        }
    }

    @Test
    void inAMultiPublishCountsAndSubscribeConfirms() {
        same(2, c -> {
            List<Object> r = new ArrayList<>();
            r.add(c.call("MULTI"));
            r.add(c.call("PUBLISH", "ch", "m"));
            r.add(c.call("PUBSUB", "NUMSUB", "ch"));
            r.add(c.call("EXEC"));
            return r;
        });
    }
}
