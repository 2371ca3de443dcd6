package io.converge.server.cluster.net;

import io.converge.server.cluster.wire.PeerCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * Splits the byte stream into frames and decodes each into a {@code PeerMessage}. A frame
 * length outside {@code [2, maxFrameBytes]} fails immediately (before buffering the frame), so
 * a hostile peer cannot make this node buffer more than one maximal frame.
 */
final class PeerFrameDecoder extends ByteToMessageDecoder {

    private enum State { READ_LENGTH, READ_FRAME }

    private final int maxFrameBytes;
    private State state = State.READ_LENGTH;
    private int frameLength;

    PeerFrameDecoder(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
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
                    out.add(PeerCodec.decode(frame));
                }
            }
        }
    }
}
