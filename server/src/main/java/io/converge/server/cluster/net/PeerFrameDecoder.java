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
 * messages that arrive as fragments (see {@code PeerCodec}) into a {@link Reassembled}, left
 * for the handler to decode (off the event loop: see {@code InboundDelivery}). A frame
 * length outside {@code [2, maxFrameBytes]} fails immediately (before buffering the frame), so
 * a hostile peer cannot make this node buffer more than one maximal frame.
 *
 * <p><b>Reassembly.</b> One message at a time per connection; whole frames (heartbeats,
 * acknowledgements) may arrive between its fragments and are passed on at once. The first
 * fragment announces the total size, refused above {@code maxMessageBytes} before anything is
 * stored; every later fragment must start exactly where the previous one ended and must not
 * pass the total; a fragment with no message started, a new message before the previous one is
 * complete, or any fragment before the connection is authenticated ({@link #authenticated}) is
 * refused. Every refusal is a {@link PeerProtocolException} (the connection is closed, counted
 * as a protocol error and a reassembly error), after which this decoder discards all input.
 *
 * <p>Memory: each fragment's chunk is copied once into heap blocks of {@link #BLOCK_BYTES}
 * (the last one cut to size), and the complete message is decoded from a composite view of
 * those blocks (no second copy of the whole). So what a reassembly holds grows with the bytes
 * actually received, never with what the first fragment announced: a peer announcing 1 GiB and
 * sending 1 MiB costs 1 MiB (plus at most one block). Heap rather than pooled direct memory: a
 * large message is rare, its blocks live until the last fragment arrives (possibly seconds),
 * and the garbage collector reclaims them whatever way the connection ends, with no reference
 * count to get wrong. Blocks of 256 KiB rather than one array per fragment (1 MiB) or one of
 * the announced size: G1 allocates an object of half a region or more (512 KiB with the 1 MiB
 * regions of heaps under 4 GiB, 1 MiB with 2 MiB regions) as "humongous", in whole regions of
 * its own, which would double the footprint of 1 MiB chunks and set off a marking cycle per
 * allocation. The price is one copy of every chunk out of Netty's read buffer, cheap next to
 * the network (and next to the message decoder's own copy into the message's byte arrays).
 *
 * <p>One message is emitted per call of {@link #decode}, so the handler behind it sees each
 * message (the last of a handshake, in particular) before the next frame is looked at.
 */
final class PeerFrameDecoder extends ByteToMessageDecoder {

    /** Size of the heap blocks a fragmented message is reassembled into. */
    static final int BLOCK_BYTES = 256 << 10;

    /**
     * A message that arrived in fragments: its encoding after the length prefix (version, type,
     * body), {@code size} bytes, not decoded yet.
     */
    record Reassembled(ByteBuf bytes, int size) {
        /** Decodes the message; a {@code PeerProtocolException} if the bytes are not one. */
        PeerMessage decode() {
            return PeerCodec.decode(bytes.duplicate());
        }
    }

    private enum State { READ_LENGTH, READ_FRAME, FAILED }

    private final int maxFrameBytes;
    private final int maxMessageBytes;
    private final FrameStats stats;
    private State state = State.READ_LENGTH;
    private int frameLength;
    private boolean fragmentsAllowed;

    /** Blocks of the message being reassembled, or {@code null} when none is. */
    private List<byte[]> blocks;
    /** The block being filled, and how much of it is. */
    private byte[] block;
    private int blockUsed;
    /** Announced size of the message being reassembled. */
    private int total;
    /** Bytes of it received so far. */
    private int received;

    PeerFrameDecoder(int maxFrameBytes, int maxMessageBytes, FrameStats stats) {
        this.maxFrameBytes = maxFrameBytes;
        this.maxMessageBytes = maxMessageBytes;
        this.stats = stats;
    }

    /**
     * Largest frame accepted before the connection is authenticated: the handshake's messages are
     * a few hundred bytes (the cluster name is at most 256 characters), so a stranger cannot make
     * the node buffer a full frame per connection.
     */
    static final int HANDSHAKE_FRAME_BYTES = PeerCodec.MIN_FRAME_BYTES;

    /**
     * Accepts frames up to the frame limit and fragments from now on: call on the event loop once
     * the connection is authenticated.
     */
    void authenticated() {
        fragmentsAllowed = true;
    }

    /** Bytes allocated for the message being reassembled (0 if none); for tests. */
    long bufferedBytes() {
        long bytes = 0;
        if (blocks != null) {
            for (byte[] b : blocks) {
                bytes += b.length;
            }
        }
        return bytes;
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
                        PeerCodec.checkFrameLength(frameLength,
                                fragmentsAllowed ? maxFrameBytes : Math.min(maxFrameBytes, HANDSHAKE_FRAME_BYTES));
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
                        Reassembled whole = onFragment(frame);
                        if (whole != null) {
                            out.add(whole);
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
            blocks = null;
            block = null;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }

    /** Takes in one fragment frame; returns the message when it was the last one. */
    private Reassembled onFragment(ByteBuf frame) {
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
            if (blocks != null) {
                throw refused("a new fragmented message started after " + received + " of the " + total
                        + " bytes of the previous one");
            }
            if (field < 2 || field > maxMessageBytes) {
                throw refused("fragmented message of " + field + " bytes announced; the limit is " + maxMessageBytes);
            }
            if (chunk > field) {
                throw refused("first fragment of " + chunk + " bytes exceeds its message's announced " + field);
            }
            blocks = new ArrayList<>();
            block = null;
            total = field;
            received = 0;
        } else {
            if (blocks == null) {
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
        while (frame.isReadable()) {
            if (block == null || blockUsed == block.length) {
                block = new byte[Math.min(BLOCK_BYTES, total - received)];
                blocks.add(block);
                blockUsed = 0;
            }
            int n = Math.min(frame.readableBytes(), block.length - blockUsed);
            frame.readBytes(block, blockUsed, n);
            blockUsed += n;
            received += n;
        }
        stats.fragmentsReceived.incrementAndGet();
        if (received < total) {
            return null;
        }
        ByteBuf message = Unpooled.wrappedBuffer(blocks.toArray(new byte[0][]));
        blocks = null;
        block = null;
        stats.onReassembled(total);
        return new Reassembled(message, total);
    }

    private PeerProtocolException refused(String what) {
        stats.reassemblyErrors.incrementAndGet();
        return new PeerProtocolException(what);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        super.channelInactive(ctx);
        blocks = null; // an unfinished message dies with its connection
        block = null;
    }
}
