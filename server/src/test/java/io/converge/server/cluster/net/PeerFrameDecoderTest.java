package io.converge.server.cluster.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.cluster.wire.KeyedBytes;
import io.converge.server.cluster.wire.PeerCodec;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.cluster.wire.PeerProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The frame decoder on its own (an {@link EmbeddedChannel} runs it on the test thread):
 * reassembly of fragmented messages with whole frames between their fragments, and every
 * hostile fragment sequence refused, without storing more than what actually arrived.
 */
class PeerFrameDecoderTest {

    private static final int FRAME = PeerCodec.MIN_FRAME_BYTES;
    private static final int MESSAGE = 1 << 20;

    private final FrameStats stats = new FrameStats();

    private EmbeddedChannel channel(boolean authenticated) {
        PeerFrameDecoder decoder = new PeerFrameDecoder(FRAME, MESSAGE, stats);
        if (authenticated) {
            decoder.authenticated();
        }
        return new EmbeddedChannel(decoder);
    }

    /** The fragment frames of {@code m} under {@code maxFrame}, as OutboundConnection writes them. */
    static List<byte[]> fragments(PeerMessage m, int maxFrame) {
        byte[] whole = PeerCodec.encodeToBytes(m);
        int total = whole.length - PeerCodec.LENGTH_FIELD_BYTES;
        int chunk = PeerCodec.fragmentChunkBytes(maxFrame);
        List<byte[]> frames = new ArrayList<>();
        for (int from = 0; from < total; from += chunk) {
            int length = Math.min(chunk, total - from);
            frames.add(fragment(from == 0, from == 0 ? total : from, whole, PeerCodec.LENGTH_FIELD_BYTES + from, length));
        }
        return frames;
    }

    static byte[] fragment(boolean first, int totalOrOffset, byte[] source, int sourceOffset, int length) {
        ByteBuf buf = Unpooled.buffer();
        PeerCodec.writeFragmentHeader(buf, first, totalOrOffset, length);
        buf.writeBytes(source, sourceOffset, length);
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        return bytes;
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] concat(List<byte[]> parts) {
        int size = parts.stream().mapToInt(p -> p.length).sum();
        byte[] all = new byte[size];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }

    @Test
    void aFragmentedMessageIsReassembledAroundWholeFramesInAnySplitOfTheStream() {
        PeerMessage.Write big = new PeerMessage.Write(42, "key".getBytes(), random(50_000, 1));
        List<byte[]> frags = fragments(big, FRAME);
        assertThat(frags).hasSize(13);
        List<byte[]> stream = new ArrayList<>();
        for (int i = 0; i < frags.size(); i++) {
            stream.add(frags.get(i));
            stream.add(PeerCodec.encodeToBytes(new PeerMessage.Heartbeat(i, 0, 0))); // between every two fragments
        }
        stream.add(PeerCodec.encodeToBytes(new PeerMessage.DeltaAck(1, 2)));
        byte[] all = concat(stream);

        // The same stream, cut into pieces of every size from 1 byte up: the decoder does not care.
        for (int piece : new int[] {2, 7, 1000, 4100, all.length}) {
            EmbeddedChannel ch = channel(true);
            for (int at = 0; at < all.length; at += piece) {
                ch.writeInbound(Unpooled.wrappedBuffer(all, at, Math.min(piece, all.length - at)));
            }
            List<Object> got = new ArrayList<>();
            for (Object o; (o = ch.readInbound()) != null; ) {
                got.add(o);
            }
            assertThat(got).as("piece %d", piece).hasSize(frags.size() + 2);
            for (int i = 0; i < frags.size() - 1; i++) {
                assertThat(got.get(i)).isEqualTo(new PeerMessage.Heartbeat(i, 0, 0));
            }
            PeerFrameDecoder.Reassembled r = (PeerFrameDecoder.Reassembled) got.get(frags.size() - 1);
            assertThat(r.size()).isEqualTo(PeerCodec.frameLength(big));
            PeerMessage.Write w = (PeerMessage.Write) r.decode();
            assertThat(w.requestId()).isEqualTo(42);
            assertThat(Arrays.equals(w.payload(), big.payload())).isTrue();
            assertThat(got.get(frags.size())).isEqualTo(new PeerMessage.Heartbeat(frags.size() - 1, 0, 0));
            assertThat(got.get(frags.size() + 1)).isEqualTo(new PeerMessage.DeltaAck(1, 2));
            assertThat(ch.finish()).isFalse();
        }
        assertThat(stats.messagesReassembled.get()).isEqualTo(5);
        assertThat(stats.fragmentsReceived.get()).isEqualTo(5L * frags.size());
        assertThat(stats.largestReceived.get()).isEqualTo(PeerCodec.frameLength(big));
        assertThat(stats.reassemblyErrors.get()).isZero();
    }

    @Test
    void everyMessageKindCanBeFragmented() {
        List<PeerMessage> messages = List.of(
                new PeerMessage.DeltaBatch(3, 1, 1, List.of(new KeyedBytes(new byte[] {1}, random(9000, 2)),
                        new KeyedBytes(new byte[] {2}, new byte[] {5}))),
                new PeerMessage.ReadStateReply(8, Arrays.asList(random(6000, 3), null, new byte[0])),
                new PeerMessage.WriteAck(9, PeerMessage.WriteAck.OK, random(20_000, 4)),
                new PeerMessage.ReadState(10, List.of(random(5000, 5))));
        EmbeddedChannel ch = channel(true);
        for (PeerMessage m : messages) {
            for (byte[] f : fragments(m, FRAME)) {
                ch.writeInbound(Unpooled.wrappedBuffer(f));
            }
            PeerFrameDecoder.Reassembled r = ch.readInbound();
            assertThat(r.decode()).usingRecursiveComparison().isEqualTo(m);
        }
    }

    /** Feeds {@code frames}; returns the protocol error they end with. */
    private PeerProtocolException refused(boolean authenticated, byte[]... frames) {
        EmbeddedChannel ch = channel(authenticated);
        Throwable error = null;
        for (byte[] f : frames) {
            try {
                ch.writeInbound(Unpooled.wrappedBuffer(f));
            } catch (DecoderException e) {
                error = e.getCause();
                break;
            }
        }
        assertThat(error).as("refused").isInstanceOf(PeerProtocolException.class);
        while (ch.readInbound() != null) {
            // what was complete before the refusal
        }
        // Whatever follows is discarded, not decoded (one error per connection).
        ch.writeInbound(Unpooled.wrappedBuffer(PeerCodec.encodeToBytes(new PeerMessage.Heartbeat(1, 0, 0))));
        assertThat((Object) ch.readInbound()).isNull();
        return (PeerProtocolException) error;
    }

    @Test
    void hostileFragmentSequencesAreRefused() {
        byte[] body = random(FRAME, 6);
        int chunk = PeerCodec.fragmentChunkBytes(FRAME);
        byte[] first = fragment(true, 3 * chunk, body, 0, chunk);

        assertThat(refused(false, first)).hasMessageContaining("before authentication");
        assertThat(refused(true, fragment(true, MESSAGE + 1, body, 0, 100)))
                .hasMessageContaining("announced; the limit is " + MESSAGE);
        assertThat(refused(true, fragment(true, Integer.MAX_VALUE, body, 0, 100))).hasMessageContaining("the limit");
        assertThat(refused(true, fragment(true, -5, body, 0, 100))).hasMessageContaining("-5 bytes announced");
        assertThat(refused(true, fragment(false, 0, body, 0, 100))).hasMessageContaining("no fragmented message started");
        assertThat(refused(true, first, fragment(true, 100, body, 0, 100))).hasMessageContaining("a new fragmented message");
        assertThat(refused(true, first, fragment(false, chunk + 1, body, 0, 100))).hasMessageContaining("where " + chunk);
        assertThat(refused(true, first, fragment(false, 0, body, 0, 100))).as("a repeated fragment")
                .hasMessageContaining("where " + chunk);
        List<byte[]> complete = new ArrayList<>(fragments(new PeerMessage.Write(1, new byte[1], random(10_000, 9)), FRAME));
        int total = PeerCodec.frameLength(new PeerMessage.Write(1, new byte[1], new byte[10_000]));
        complete.add(fragment(false, total, body, 0, 1));
        assertThat(refused(true, complete.toArray(new byte[0][]))).as("a fragment after the last")
                .hasMessageContaining("no fragmented message started");
        assertThat(refused(true, fragment(true, 200, body, 0, 100), fragment(false, 100, body, 0, 101)))
                .hasMessageContaining("passes the announced 200");
        assertThat(refused(true, fragment(true, 50, body, 0, 100))).hasMessageContaining("exceeds its message's");
        assertThat(refused(true, fragment(true, 50, body, 0, 0))).hasMessageContaining("carries no data");

        ByteBuf overlong = Unpooled.buffer();
        PeerCodec.writeFragmentHeader(overlong, true, MESSAGE, chunk + 1);
        overlong.writeBytes(body, 0, 10); // the length field alone is enough to refuse it
        byte[] overlongBytes = new byte[overlong.readableBytes()];
        overlong.readBytes(overlongBytes);
        assertThat(refused(true, overlongBytes)).hasMessageContaining("exceeds the maximum " + FRAME);

        ByteBuf wrongVersion = Unpooled.buffer();
        wrongVersion.writeInt(10).writeByte(1).writeByte(PeerCodec.FRAGMENT_FIRST).writeInt(100).writeInt(0);
        byte[] wrongVersionBytes = new byte[wrongVersion.readableBytes()];
        wrongVersion.readBytes(wrongVersionBytes);
        assertThat(refused(true, wrongVersionBytes)).hasMessageContaining("version 1");

        // A fragmented message whose reassembled bytes are not a message: refused when decoded
        // (off the event loop, by InboundDelivery), an ordinary protocol error.
        byte[] garbage = random(2 * chunk, 7);
        garbage[0] = PeerCodec.VERSION;
        garbage[1] = (byte) PeerCodec.FRAGMENT_FIRST; // a fragment nested in a fragmented message
        EmbeddedChannel ch = channel(true);
        ch.writeInbound(Unpooled.wrappedBuffer(fragment(true, 2 * chunk, garbage, 0, chunk)),
                Unpooled.wrappedBuffer(fragment(false, chunk, garbage, chunk, chunk)));
        PeerFrameDecoder.Reassembled nested = ch.readInbound();
        assertThatThrownBy(nested::decode).isInstanceOf(PeerProtocolException.class)
                .hasMessageContaining("unknown peer message type 254");

        // Every refusal above but the overlong frame (refused by its length alone, before it is known
        // to be a fragment) and the undecodable message (refused by the message decoder).
        assertThat(stats.reassemblyErrors.get()).isEqualTo(13);
    }

    @Test
    void beforeAuthenticationOnlyHandshakeSizedFramesAreAccepted() {
        int frame = 1 << 20;
        byte[] big = PeerCodec.encodeToBytes(new PeerMessage.Write(1, new byte[1], new byte[8_000]));
        PeerFrameDecoder stranger = new PeerFrameDecoder(frame, MESSAGE, stats);
        EmbeddedChannel before = new EmbeddedChannel(stranger);
        assertThatThrownBy(() -> before.writeInbound(Unpooled.wrappedBuffer(big, 0, PeerCodec.LENGTH_FIELD_BYTES)))
                .as("refused by the length alone, before any of the frame is buffered")
                .hasCauseInstanceOf(PeerProtocolException.class);

        PeerFrameDecoder peer = new PeerFrameDecoder(frame, MESSAGE, stats);
        EmbeddedChannel after = new EmbeddedChannel(peer);
        after.writeInbound(Unpooled.wrappedBuffer(PeerCodec.encodeToBytes(new PeerMessage.Heartbeat(0, 0, 0))));
        assertThat((Object) after.readInbound()).isInstanceOf(PeerMessage.Heartbeat.class);
        peer.authenticated();
        after.writeInbound(Unpooled.wrappedBuffer(big));
        assertThat(((PeerMessage.Write) after.readInbound()).payload()).hasSize(8_000);
    }

    @Test
    void storesWhatArrivedNotWhatWasAnnounced() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().threadId();
        int chunk = PeerCodec.fragmentChunkBytes(FRAME);
        byte[] body = random(chunk, 8);
        PeerFrameDecoder decoder = new PeerFrameDecoder(FRAME, Integer.MAX_VALUE - 64, stats);
        decoder.authenticated();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ch.writeInbound(Unpooled.wrappedBuffer(PeerCodec.encodeToBytes(new PeerMessage.Heartbeat(0, 0, 0)))); // warm up
        ch.readInbound();

        byte[] first = fragment(true, Integer.MAX_VALUE - 64, body, 0, chunk);
        long before = threads.getThreadAllocatedBytes(self);
        ch.writeInbound(Unpooled.wrappedBuffer(first));
        long allocated = threads.getThreadAllocatedBytes(self) - before;
        assertThat(decoder.bufferedBytes()).as("one block").isEqualTo(PeerFrameDecoder.BLOCK_BYTES);
        assertThat(allocated).as("bytes allocated for a 2 GiB announcement").isLessThan(1 << 20);

        PeerFrameDecoder strict = new PeerFrameDecoder(FRAME, MESSAGE, stats);
        strict.authenticated();
        EmbeddedChannel ch2 = new EmbeddedChannel(strict);
        before = threads.getThreadAllocatedBytes(self);
        assertThatThrownBy(() -> ch2.writeInbound(Unpooled.wrappedBuffer(first)))
                .hasCauseInstanceOf(PeerProtocolException.class);
        allocated = threads.getThreadAllocatedBytes(self) - before;
        assertThat(strict.bufferedBytes()).isZero();
        assertThat(allocated).as("bytes allocated for a refused announcement (an exception included)")
                .isLessThan(1 << 20);
    }
}
