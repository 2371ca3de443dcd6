package io.converge.crdt;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A stream inside a key state: DEL against a concurrent XADD (the observed context goes through
 * the envelope and the codec), the last ID cleared by the delete, a re-created stream that does
 * not reuse dots, GC of a stream a delete emptied, and the type clash rule.
 */
class StreamKeyStateTest {

    private static final byte[][] PAIRS = {b("f"), b("v")};

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static KeyState roundTrip(KeyState k) {
        KeyState back = CrdtCodec.decode(CrdtCodec.encode(k));
        assertThat(back).isEqualTo(k);
        assertThat(CrdtCodec.encode(back)).isEqualTo(CrdtCodec.encode(k));
        return back;
    }

    @Test
    void deleteRemovesWhatItSawAndAConcurrentAddSurvives() {
        KeyState a = new KeyState();
        KeyState d1 = KeyState.wrap(a.streamForWrite().add(new StreamId(5, 0), PAIRS, 10, 1));
        KeyState b = new KeyState();
        b.merge(roundTrip(d1));
        // Concurrently: a deletes, b adds.
        KeyState del = a.delete(20, 1);
        KeyState add = KeyState.wrap(b.streamForWrite().add(new StreamId(6, 0), PAIRS, 15, 2));
        a.merge(roundTrip(add));
        b.merge(roundTrip(del));
        assertThat(roundTrip(a)).isEqualTo(b);
        assertThat(a.type()).isEqualTo(ValueType.STREAM);
        assertThat(a.stream().size()).isEqualTo(1);
        assertThat(a.stream().get(new StreamId(6, 0))).isNotNull();
        assertThat(a.stream().get(new StreamId(5, 0))).isNull();
        // The last-ID register was written before the delete: the surviving entry bounds it.
        assertThat(a.stream().lastId()).isEqualTo(new StreamId(6, 0));
    }

    @Test
    void aDeletedStreamForgetsItsLastIdAndIsRecreatedWithFreshDots() {
        KeyState k = new KeyState();
        k.streamForWrite().add(new StreamId(9, 0), PAIRS, 10, 1);
        k.streamForWrite().remove(java.util.List.of(new StreamId(9, 0)), 11, 1, true);
        assertThat(k.exists()).isTrue();
        assertThat(k.stream().size()).isZero();
        assertThat(k.stream().lastId()).isEqualTo(new StreamId(9, 0));
        k.delete(20, 1);
        assertThat(k.exists()).isFalse();
        StreamValue again = k.streamForWrite();
        assertThat(again.lastId()).isEqualTo(StreamId.MIN);
        StreamValue d = again.add(new StreamId(1, 0), PAIRS, 30, 1);
        assertThat(d.context().contains(1, 1)).isFalse(); // dot 1:1 was the deleted entry's
        assertThat(k.stream().entriesAdded()).isEqualTo(1);
        roundTrip(k);
    }

    @Test
    void gcDropsAStreamADeleteEmptiedAndKeepsItsContext() {
        KeyState k = new KeyState();
        k.streamForWrite().add(new StreamId(1, 0), PAIRS, 10, 1);
        k.delete(20, 1);
        assertThat(k.gc(25)).isFalse(); // the delete context stays: dots are never reused
        KeyState fresh = new KeyState();
        fresh.merge(k);
        StreamValue d = fresh.streamForWrite().add(new StreamId(2, 0), PAIRS, 30, 1);
        assertThat(d.context().contains(1, 2)).isTrue();
        roundTrip(k);
    }

    @Test
    void theLaterWrittenTypeWins() {
        KeyState a = new KeyState();
        a.streamForWrite().add(new StreamId(1, 0), PAIRS, 10, 1);
        KeyState b = new KeyState();
        KeyState set = b.setString(b("x"), 0, 20, 2);
        a.merge(set);
        assertThat(a.type()).isEqualTo(ValueType.STRING);
        KeyState c = new KeyState();
        c.merge(set);
        c.merge(KeyState.wrap(new StreamValue().add(new StreamId(1, 0), PAIRS, 30, 3)));
        assertThat(c.type()).isEqualTo(ValueType.STREAM);
        assertThat(c.type().redisName()).isEqualTo("stream");
        roundTrip(c);
    }
}
