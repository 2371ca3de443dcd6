package io.converge.server.cluster.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class PeerCodecTest {

    private static final int MAX = PeerCodec.DEFAULT_MAX_FRAME_BYTES;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] n(int fill) {
        byte[] nonce = new byte[PeerCodec.NONCE_BYTES];
        Arrays.fill(nonce, (byte) fill);
        return nonce;
    }

    /** One instance of every message type, with awkward values. */
    static List<PeerMessage> samples() {
        return List.of(
                new PeerMessage.Hello("prod-é", 65535, 0, n(1)),
                new PeerMessage.Challenge(7, n(2), n(3)),
                new PeerMessage.AuthResponse(n(4)),
                new PeerMessage.AuthOk(),
                new PeerMessage.Reject("authentication failed"),
                new PeerMessage.Heartbeat(Long.MIN_VALUE, 0, 0),
                new PeerMessage.DeltaBatch(Long.MAX_VALUE, 3, 5,
                        List.of(new KeyedBytes(b("k1"), b("delta-1")), new KeyedBytes(new byte[0], new byte[] {0, -1}))),
                new PeerMessage.DeltaBatch(1, 1, 1, List.of()),
                new PeerMessage.DeltaAck(-1, 42),
                new PeerMessage.ReadState(9, List.of(b("a"), new byte[0])),
                new PeerMessage.ReadStateReply(9, Arrays.asList(b("state-a"), null, new byte[0])),
                new PeerMessage.Write(-5, b("key"), new byte[1000]),
                new PeerMessage.WriteAck(-5, PeerMessage.WriteAck.OK, new byte[0]),
                new PeerMessage.Keepalive(),
                new PeerMessage.SyncLeafDiff(7, 2, new int[] {1, 5}, new PackedKeys(b("keyk"), new int[] {3, 3, 4}),
                        new long[] {1, -1, 0}, new long[] {0, Long.MAX_VALUE, 5}),
                new PeerMessage.SyncLeafDiff(7, 3, new int[0], PackedKeys.EMPTY, new long[0], new long[0]),
                new PeerMessage.SyncLeafReply(7, 2, new long[] {5}, new long[] {2, 1L << 63}, new long[] {42, -42}),
                new PeerMessage.SyncStates(65535, -1, 2, 0, true, 123, 2,
                        new byte[] {1, 'k', 2, 9, 9, 0, 0}),
                new PeerMessage.SyncStates(1, 1, 0, 7, false, 0, 0, new byte[0]));
    }

    @Test
    void malformedRepairKeyListsAndStatesAreRefused() {
        // Key ends past the key bytes; states whose entries do not fill the part exactly.
        assertThatThrownBy(() -> PeerCodec.decodeFrame(PeerCodec.encodeToBytes(new PeerMessage.SyncStates(1, 1, 0, 0,
                true, 0, 2, new byte[] {1, 'k', 2, 9, 9})), MAX)).isInstanceOf(PeerProtocolException.class);
        assertThatThrownBy(() -> PeerCodec.decodeFrame(PeerCodec.encodeToBytes(new PeerMessage.SyncStates(1, 1, 0, 0,
                true, 0, 1, new byte[] {1, 'k', 2, 9, 9, 0})), MAX)).isInstanceOf(PeerProtocolException.class);
        assertThatThrownBy(() -> PeerCodec.decodeFrame(PeerCodec.encodeToBytes(new PeerMessage.SyncStates(1, 1, 0, 0,
                true, 0, 1, new byte[] {5, 'k', 2, 9, 9})), MAX)).isInstanceOf(PeerProtocolException.class);
        byte[] diff = PeerCodec.encodeToBytes(new PeerMessage.SyncLeafDiff(7, 2, new int[0],
                new PackedKeys(b("ab"), new int[] {1, 2}), new long[] {1, 2}, new long[] {3, 4}));
        // The frame holds the ends 1 and 2 as int32s right after the (empty) leaves: make the first 3.
        byte[] badEnds = diff.clone();
        int endsAt = 4 + 2 + 8 + 4 + 4 + 4;
        badEnds[endsAt + 3] = 3;
        assertThatThrownBy(() -> PeerCodec.decodeFrame(badEnds, MAX)).isInstanceOf(PeerProtocolException.class);
        byte[] reply = PeerCodec.encodeToBytes(new PeerMessage.SyncLeafReply(7, 2, new long[0], new long[] {3},
                new long[] {1}));
        assertThatThrownBy(() -> PeerCodec.decodeFrame(reply, MAX)).isInstanceOf(PeerProtocolException.class)
                .hasMessageContaining("2 keys for later with 1 digests");
    }

    @Test
    void everyMessageTypeRoundTrips() {
        for (PeerMessage m : samples()) {
            byte[] frame = PeerCodec.encodeToBytes(m);
            assertThat(frame.length).isEqualTo(PeerCodec.LENGTH_FIELD_BYTES + PeerCodec.frameLength(m));
            PeerMessage back = PeerCodec.decodeFrame(frame, MAX);
            assertThat(back).usingRecursiveComparison().isEqualTo(m);
            assertThat(back.type()).isEqualTo(m.type());
        }
    }

    @Test
    void frameStartsWithLengthVersionAndType() {
        byte[] frame = PeerCodec.encodeToBytes(new PeerMessage.DeltaAck(1, 2));
        assertThat(frame).startsWith(0, 0, 0, 18, PeerCodec.VERSION, MessageType.DELTA_ACK.code());
    }

    @Test
    void messageTypesStayBelowTheFrameLayerCodes() {
        for (MessageType t : MessageType.values()) {
            assertThat(t.code()).as("%s: codes 0xF0..0xFF are reserved for fragments", t).isLessThan(0xF0);
        }
        for (PeerMessage m : samples()) {
            byte[] frame = PeerCodec.encodeToBytes(m);
            assertThat(PeerCodec.isFragment(Unpooled.wrappedBuffer(frame, 4, frame.length - 4))).isFalse();
        }
    }

    @Test
    void fragmentHeadersRoundTrip() {
        for (boolean first : new boolean[] {true, false}) {
            ByteBuf buf = Unpooled.buffer();
            PeerCodec.writeFragmentHeader(buf, first, 123_456_789, 3);
            buf.writeBytes(new byte[] {7, 8, 9});
            assertThat(buf.readInt()).isEqualTo(PeerCodec.FRAGMENT_HEADER_BYTES + 3);
            assertThat(PeerCodec.isFragment(buf)).isTrue();
            assertThat((int) buf.getUnsignedByte(buf.readerIndex() + 1))
                    .isEqualTo(first ? PeerCodec.FRAGMENT_FIRST : PeerCodec.FRAGMENT_NEXT);
            assertThat(PeerCodec.readFragmentHeader(buf)).isEqualTo(123_456_789);
            assertThat(buf.readableBytes()).isEqualTo(3);
        }
        assertThat(PeerCodec.fragmentChunkBytes(PeerCodec.DEFAULT_MAX_FRAME_BYTES))
                .isEqualTo(PeerCodec.DEFAULT_MAX_FRAME_BYTES - PeerCodec.FRAGMENT_HEADER_BYTES);
        ByteBuf empty = Unpooled.buffer();
        empty.writeByte(PeerCodec.VERSION).writeByte(PeerCodec.FRAGMENT_NEXT).writeInt(0);
        assertThatThrownBy(() -> PeerCodec.readFragmentHeader(empty)).isInstanceOf(PeerProtocolException.class)
                .hasMessageContaining("carries no data");
    }

    @Test
    void everyHandshakeMessageFitsTheSmallestFrame() {
        PeerMessage hello = new PeerMessage.Hello("c".repeat(PeerCodec.MAX_STRING_BYTES), 1, 2, n(1));
        PeerMessage reject = new PeerMessage.Reject("r".repeat(PeerCodec.MAX_STRING_BYTES));
        assertThat(PeerCodec.frameLength(hello)).isLessThan(PeerCodec.MIN_FRAME_BYTES);
        assertThat(PeerCodec.frameLength(reject)).isLessThan(PeerCodec.MIN_FRAME_BYTES);
    }

    @Test
    void everyTruncationIsAProtocolError() {
        for (PeerMessage m : samples()) {
            byte[] frame = PeerCodec.encodeToBytes(m);
            for (int cut = 0; cut < frame.length; cut++) {
                byte[] body = Arrays.copyOfRange(frame, 4, Math.max(4, cut));
                ByteBuf buf = Unpooled.wrappedBuffer(body);
                assertThatThrownBy(() -> PeerCodec.decode(buf)).as("%s cut at %d", m.type(), cut)
                        .isInstanceOf(PeerProtocolException.class);
            }
        }
    }

    @Test
    void rejectsBadHeaders() {
        assertThatThrownBy(() -> PeerCodec.decode(Unpooled.wrappedBuffer(new byte[] {1, 6, 0, 0, 0, 0, 0, 0, 0, 0})))
                .as("version 1 (before fragments) is refused").isInstanceOf(PeerProtocolException.class)
                .hasMessageContaining("version 1");
        assertThatThrownBy(() -> PeerCodec.decode(Unpooled.wrappedBuffer(new byte[] {PeerCodec.VERSION, 99})))
                .isInstanceOf(PeerProtocolException.class).hasMessageContaining("unknown peer message type 99");
        assertThatThrownBy(() -> PeerCodec.decode(Unpooled.wrappedBuffer(new byte[] {PeerCodec.VERSION, 4, 0})))
                .isInstanceOf(PeerProtocolException.class).hasMessageContaining("1 trailing bytes");
        assertThatThrownBy(() -> PeerCodec.checkFrameLength(1, MAX)).isInstanceOf(PeerProtocolException.class);
        assertThatThrownBy(() -> PeerCodec.checkFrameLength(MAX + 1, MAX))
                .isInstanceOf(PeerProtocolException.class).hasMessageContaining("exceeds the maximum");
        assertThatThrownBy(() -> PeerCodec.decodeFrame(new byte[] {0, 0, 0, 5, PeerCodec.VERSION, 4}, MAX))
                .isInstanceOf(PeerProtocolException.class);
    }

    @Test
    void hugeCountsAndLengthsFailWithoutAllocating() {
        ByteBuf batch = Unpooled.buffer();
        batch.writeByte(PeerCodec.VERSION).writeByte(MessageType.DELTA_BATCH.code());
        batch.writeLong(1).writeLong(1).writeLong(1).writeInt(Integer.MAX_VALUE);
        assertThatThrownBy(() -> PeerCodec.decode(batch))
                .isInstanceOf(PeerProtocolException.class).hasMessageContaining("list count");

        ByteBuf write = Unpooled.buffer();
        write.writeByte(PeerCodec.VERSION).writeByte(MessageType.WRITE.code()).writeLong(1).writeInt(Integer.MAX_VALUE);
        assertThatThrownBy(() -> PeerCodec.decode(write)).isInstanceOf(PeerProtocolException.class);

        ByteBuf negative = Unpooled.buffer();
        negative.writeByte(PeerCodec.VERSION).writeByte(MessageType.WRITE.code()).writeLong(1).writeInt(-7);
        assertThatThrownBy(() -> PeerCodec.decode(negative))
                .isInstanceOf(PeerProtocolException.class).hasMessageContaining("negative");

        ByteBuf nullKey = Unpooled.buffer();
        nullKey.writeByte(PeerCodec.VERSION).writeByte(MessageType.READ_STATE.code()).writeLong(1).writeInt(1).writeInt(-1);
        assertThatThrownBy(() -> PeerCodec.decode(nullKey))
                .as("keys of a read request cannot be null").isInstanceOf(PeerProtocolException.class);
    }

    @Test
    void noncesAndProofsMustHaveTheirExactSize() {
        ByteBuf shortNonce = Unpooled.buffer();
        shortNonce.writeByte(PeerCodec.VERSION).writeByte(MessageType.AUTH_RESPONSE.code()).writeInt(3).writeBytes(new byte[3]);
        assertThatThrownBy(() -> PeerCodec.decode(shortNonce))
                .isInstanceOf(PeerProtocolException.class).hasMessageContaining("proof must be 32 bytes");
    }

    @Test
    void oversizedStringsAreRefusedBothWays() {
        ByteBuf longName = Unpooled.buffer();
        longName.writeByte(PeerCodec.VERSION).writeByte(MessageType.REJECT.code()).writeShort(5000).writeBytes(new byte[5000]);
        assertThatThrownBy(() -> PeerCodec.decode(longName)).isInstanceOf(PeerProtocolException.class);
        assertThatThrownBy(() -> PeerCodec.encodeToBytes(new PeerMessage.Reject("x".repeat(2000))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Property(tries = 300)
    void randomBytesNeverEscapeAsAnotherException(@ForAll long seed) {
        Random random = new Random(seed);
        byte[] body = new byte[random.nextInt(80)];
        random.nextBytes(body);
        if (body.length >= 2 && random.nextBoolean()) {
            body[0] = PeerCodec.VERSION;
            body[1] = (byte) (1 + random.nextInt(13));
        }
        try {
            PeerMessage m = PeerCodec.decode(Unpooled.wrappedBuffer(body));
            // Whatever decodes must re-encode to the same bytes (strings excepted: invalid UTF-8
            // decodes to replacement characters).
            if (!(m instanceof PeerMessage.Hello) && !(m instanceof PeerMessage.Reject)) {
                byte[] again = PeerCodec.encodeToBytes(m);
                assertThat(Arrays.copyOfRange(again, 4, again.length)).isEqualTo(body);
            }
        } catch (PeerProtocolException expected) {
            // fine: hostile input is refused with the one exception type
        }
    }

    @Property(tries = 100)
    void mutatedValidFramesNeverEscapeAsAnotherException(@ForAll long seed) {
        Random random = new Random(seed);
        List<PeerMessage> samples = samples();
        byte[] frame = PeerCodec.encodeToBytes(samples.get(random.nextInt(samples.size())));
        byte[] body = Arrays.copyOfRange(frame, 4, frame.length);
        for (int flips = 1 + random.nextInt(3); flips > 0; flips--) {
            body[random.nextInt(body.length)] = (byte) random.nextInt(256);
        }
        List<Throwable> unexpected = new ArrayList<>();
        try {
            PeerCodec.decode(Unpooled.wrappedBuffer(body));
        } catch (PeerProtocolException expected) {
            // refused
        } catch (RuntimeException e) {
            unexpected.add(e);
        }
        assertThat(unexpected).isEmpty();
    }
}
