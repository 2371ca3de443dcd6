package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Random histories of extreme increments (near the long double limits, with the longest and
 * finest mantissas Redis accepts) on several replicas of a string key and a hash key, with
 * deltas delivered in random order and whole states merged: every state and delta a replica
 * produces round-trips through the codec, and a refused increment changes nothing.
 */
class ExtremeNumbersProperties {

    static final String[] INCREMENTS = {
        "1e4932", "-1e4932", "1.18e4932", "-1.18e4932", "1.18973149535723176504e4932", "5e4931", "-5e4931",
        "1e-4950", "-1e-4950", "0.1", "-3", "1e-17",
        "1." + "3".repeat(5100), "-" + "9".repeat(4900), "7".repeat(4932) + "." + "1".repeat(150),
        ExtremeNumbersTest.FINEST_FLOAT,
    };
    static final String[] BASES = {"0", "1.5", "1e4932", "-1.18e4932", "1e-4950", ExtremeNumbersTest.FINEST_FLOAT};
    static final byte[] FIELD = "f".getBytes(StandardCharsets.US_ASCII);

    @Property(tries = 40)
    void everyAcceptedStateAndDeltaDecodes(@ForAll long seed, @ForAll @IntRange(min = 2, max = 4) int replicas) {
        Random random = new Random(seed);
        KeyState[] strings = new KeyState[replicas];
        KeyState[] hashes = new KeyState[replicas];
        long[] clocks = new long[replicas];
        for (int r = 0; r < replicas; r++) {
            strings[r] = new KeyState();
            hashes[r] = new KeyState();
        }
        List<Message> inFlight = new ArrayList<>();
        for (int step = 0; step < 40; step++) {
            int r = random.nextInt(replicas);
            long hlc = ++clocks[r] * 10;
            int node = r + 1;
            boolean hash = random.nextBoolean();
            KeyState[] key = hash ? hashes : strings;
            int action = random.nextInt(10);
            KeyState delta = null;
            if (action < 6) {
                String by = INCREMENTS[random.nextInt(INCREMENTS.length)];
                KeyState before = key[r].copy();
                try {
                    delta = hash
                            ? KeyState.wrap(key[r].hashForWrite().hincrByFloat(FIELD, bytes(by), hlc, node))
                            : key[r].incrByFloat(bytes(by), hlc, node);
                } catch (CounterException refused) {
                    key[r].tidy();
                    assertThat(key[r]).as("a refused increment changes nothing").isEqualTo(before);
                }
            } else if (action < 7) {
                byte[] base = bytes(BASES[random.nextInt(BASES.length)]);
                delta = hash
                        ? KeyState.wrap(key[r].hashForWrite().hset(FIELD, base, hlc, node))
                        : key[r].setString(base, 0, hlc, node);
            } else if (action < 9 && !inFlight.isEmpty()) {
                Message m = inFlight.remove(random.nextInt(inFlight.size()));
                m.key()[m.to()].merge(m.delta());
                clocks[m.to()] = Math.max(clocks[m.to()], m.clock());
            } else {
                int from = random.nextInt(replicas);
                key[r].merge(ExtremeNumbersTest.roundTrip(key[from]));
                clocks[r] = Math.max(clocks[r], clocks[from]);
            }
            if (delta != null) {
                KeyState sent = ExtremeNumbersTest.roundTrip(delta);
                for (int to = 0; to < replicas; to++) {
                    if (to != r) {
                        inFlight.add(new Message(key, to, sent, clocks[r]));
                    }
                }
            }
            ExtremeNumbersTest.roundTrip(key[r]);
        }
        for (Message m : inFlight) {
            m.key()[m.to()].merge(m.delta());
        }
        for (KeyState[] key : List.of(strings, hashes)) {
            for (int r = 0; r < replicas; r++) {
                key[0].merge(key[r]);
            }
            KeyState all = ExtremeNumbersTest.roundTrip(key[0]);
            for (int r = 1; r < replicas; r++) {
                key[r].merge(all);
                assertThat(key[r]).isEqualTo(all);
                assertThat(CrdtCodec.encode(key[r])).isEqualTo(CrdtCodec.encode(all));
            }
        }
    }

    /** A delta on its way to replica {@code to} of {@code key}, sent at the sender's clock. */
    private record Message(KeyState[] key, int to, KeyState delta, long clock) {}

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
