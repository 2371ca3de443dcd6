package io.converge.server.cluster.net;

import io.converge.server.cluster.wire.PeerCodec;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.cluster.wire.PeerProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits the byte stream into frames and decodes each into a {@code PeerMessage}, reassembling
 * messages that arrive as fragments (see {@code PeerCodec}) into a {@link Reassembled}. A frame
 * length outside {@code [2, maxFrameBytes]} fails immediately (before buffering the frame), so
 * a hostile peer cannot make this node buffer more than one maximal frame.
 *
 * <p><b>Reassembly.</b> One message at a time per connection; whole frames (heartbeats,
 * acknowledgements) may arrive between its fragments and are passed on at once. The first
 * fragment announces the total size, refused above {@code maxMessageBytes} before anything is
 * stored; every later fragment must start exactly where the previous one ended and must not
 * pass the total; a fragment with no message started, a new message before the previous one is
 * complete, or any fragment before the connection is authenticated ({@link #allowFragments}) is
 * refused. Every refusal is a {@link PeerProtocolException} (the connection is closed, counted
 * as a protocol error and a reassembly error), after which this decoder discards all input.
 *
 * <p>Memory: each fragment's chunk is copied once into a heap array of its own size, and the
 * complete message is decoded from a composite view of those arrays (no second copy of the
 * whole). So what a reassembly holds grows with the bytes actually received, never with what
 * the first fragment announced: a peer announcing 1 GiB and sending 1 MiB costs 1 MiB. Heap
 * rather than pooled direct memory: a large message is rare, the chunks live until the last
 * fragment arrives (possibly seconds), and the garbage collector reclaims them whatever way the
 * connection ends, with no reference count to get wrong. The price is one copy of every chunk
 * out of Netty's read buffer, cheap next to the network (and next to the decoder's own copy
 * into the message's byte arrays).
 *
 * <p>One message is emitted per call of {@link #decode}, so the handler behind it sees each
 * message (the last of a handshake, in particular) before the next frame is looked at.
 */
final class PeerFrameDecoder extends ByteToMessageDecoder {

    /** A message that arrived in fragments, with the size of its encoding (after the length prefix). */
    record Reassembled(PeerMessage message, int bytes) {}

    private enum State { READ_LENGTH, READ_FRAME, FAILED }

    private final int maxFrameBytes;
    private final int maxMessageBytes;
    private final FrameStats stats;
    private State state = State.READ_LENGTH;
    private int frameLength;
    private boolean fragmentsAllowed;

    /** Chunks of the message being reassembled, or {@code null} when none is. */
    private List<byte[]> chunks;
    /** Announced size of the message being reassembled. */
    private int total;
    /** Bytes of it received so far. */
    private int received;

    PeerFrameDecoder(int maxFrameBytes, int maxMessageBytes, FrameStats stats) {
        this.maxFrameBytes = maxFrameBytes;
        this.maxMessageBytes = maxMessageBytes;
        this.stats = stats;
    }

    /** Accepts fragments from now on: call on the event loop once the connection is authenticated. */
    void allowFragments() {
        fragmentsAllowed = true;
    }

    /** Bytes held for the message being reassembled (0 if none); for tests. */
    long bufferedBytes() {
        return chunks == null ? 0 : received;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        try {
            while (true) {
                switch (state) {
                    case READ_LENGTH -> {
                        if (in.readableBytes() < PeerCodec.LENGTH_FIELD_BYTES) {
                            return;
                        }
                        frameLength = in.readInt();
                        PeerCodec.checkFrameLength(frameLength, maxFrameBytes);
                        state = State.READ_FRAME;
                    }
                    case READ_FRAME -> {
                        if (in.readableBytes() < frameLength) {
                            return;
                        }
                        ByteBuf frame = in.readSlice(frameLength);
                        state = State.READ_LENGTH;
                        if (!PeerCodec.isFragment(frame)) {
                            out.add(PeerCodec.decode(frame));
                            return;
                        }
                        PeerMessage whole = onFragment(frame);
                        if (whole != null) {
                            out.add(new Reassembled(whole, total));
                            return;
                        }
                    }
                    case FAILED -> {
                        in.skipBytes(in.readableBytes());
                        return;
                    }
                }
            }
        } catch (PeerProtocolException e) {
            state = State.FAILED;
            chunks = null;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    /** Takes in one fragment frame; returns the decoded message when it was the last one. */
    private PeerMessage onFragment(ByteBuf frame) {
        boolean first = frame.getUnsignedByte(frame.readerIndex() + 1) == PeerCodec.FRAGMENT_FIRST;
        if (!fragmentsAllowed) {
            throw refused("fragment before authentication");
        }
        int field;
        try {
            field = PeerCodec.readFragmentHeader(frame);
        } catch (PeerProtocolException e) {
            stats.reassemblyErrors.incrementAndGet();
            throw e;
        }
        int chunk = frame.readableBytes();
        if (first) {
            if (chunks != null) {
                throw refused("a new fragmented message started after " + received + " of the " + total
                        + " bytes of the previous one");
            }
            if (field < 2 || field > maxMessageBytes) {
                throw refused("fragmented message of " + field + " bytes announced; the limit is " + maxMessageBytes);
            }
            if (chunk > field) {
                throw refused("first fragment of " + chunk + " bytes exceeds its message's announced " + field);
            }
            chunks = new ArrayList<>();
            total = field;
            received = 0;
        } else {
            if (chunks == null) {
                throw refused("fragment at offset " + field + " with no fragmented message started");
            }
            if (field != received) {
                throw refused("fragment at offset " + field + " where " + received + " was expected");
            }
            if (chunk > total - received) {
                throw refused("fragment of " + chunk + " bytes at offset " + field + " passes the announced "
                        + total + " bytes");
            }
        }
        byte[] bytes = new byte[chunk];
        frame.readBytes(bytes);
        chunks.add(bytes);
        received += chunk;
        stats.fragmentsReceived.incrementAndGet();
        if (received < total) {
            return null;
        }
        ByteBuf message = Unpooled.wrappedBuffer(chunks.toArray(new byte[0][]));
        chunks = null;
        stats.onReassembled(total);
        return PeerCodec.decode(message);
    }

    private PeerProtocolException refused(String what) {
        stats.reassemblyErrors.incrementAndGet();
        return new PeerProtocolException(what);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        super.channelInactive(ctx);
        chunks = null; // an unfinished message dies with its connection
    }
}
