package io.converge.server.cluster.net;

import io.converge.server.cluster.wire.PeerCodec;
import io.converge.server.cluster.wire.PeerMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * Encodes {@code PeerMessage}s into frames, in a buffer of exactly the frame's size. Messages
 * larger than a frame never get here: {@code OutboundConnection} writes them as fragment frames
 * (plain {@code ByteBuf}s, which pass through this encoder untouched).
 */
@ChannelHandler.Sharable
final class PeerFrameEncoder extends MessageToByteEncoder<PeerMessage> {

    private final int maxFrameBytes;

    PeerFrameEncoder(int maxFrameBytes) {
        super(PeerMessage.class);
        this.maxFrameBytes = maxFrameBytes;
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, PeerMessage msg, boolean preferDirect) {
        int length = PeerCodec.frameLength(msg);
        if (length > maxFrameBytes) {
            throw new IllegalArgumentException(msg.type() + " of " + length + " bytes exceeds the frame limit "
                    + maxFrameBytes + " (larger messages go through the outbound queue, in fragments)");
        }
        return ctx.alloc().ioBuffer(PeerCodec.LENGTH_FIELD_BYTES + length);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, PeerMessage msg, ByteBuf out) {
        PeerCodec.encode(msg, out);
    }
}
