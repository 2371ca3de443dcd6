package io.converge.server.net;

import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.command.ConnectionChannel;
import io.converge.server.command.NodeServices;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.config.OutputBufferLimit;
import io.converge.server.protocol.ReplyWriter;
import io.converge.server.protocol.RequestDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection on the network side: accumulates input, decodes and dispatches requests
 * one after the other, and writes all replies of a read batch with one flush.
 *
 * <p>Flow per read batch: {@link #channelRead} appends the bytes to the connection's input
 * buffer and runs every complete request in order (each reply lands in the connection's
 * {@link ReplyWriter}); {@link #channelReadComplete} hands the accumulated replies to the socket
 * in one write and flush. Replies of pipelined requests therefore go out in order, in as few
 * system calls as possible. Very large reply batches are passed down in 64 KB chunks between
 * commands so the reply buffer does not grow without bound inside one batch.
 *
 * <p>Limits, as in Redis: a protocol error is answered and the connection closed; input that is
 * buffered but not yet a complete request beyond {@code client-query-buffer-limit} closes the
 * connection; pending output beyond {@code client-output-buffer-limit} closes it as well (checked
 * after each batch and by the node's periodic task). Input that arrives after QUIT or a protocol
 * error is ignored.
 */
public final class ClientHandler extends ChannelInboundHandlerAdapter implements ConnectionChannel {
    private static final Logger log = LoggerFactory.getLogger(ClientHandler.class);
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final byte[] MAX_CLIENTS = "-ERR max number of clients reached\r\n".getBytes(StandardCharsets.US_ASCII);

    private final NodeServices node;
    private final RequestDecoder decoder = new RequestDecoder();
    private ChannelHandlerContext ctx;
    private ClientConnection client;
    private ReplyWriter reply;
    private ByteBuf cumulation;
    private boolean rejected;
    private boolean wroteInBatch;
    private volatile long queryBytes;
    private volatile long softLimitSinceMillis;
    private volatile String remoteAddress = "";
    private volatile String localAddress = "";
    private volatile int fd = -1;

    /** Creates the handler of one new connection. */
    public ClientHandler(NodeServices node) {
        this.node = node;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        remoteAddress = format(ctx.channel().remoteAddress());
        localAddress = format(ctx.channel().localAddress());
        if (ctx.channel() instanceof UnixChannel unix) {
            fd = unix.fd().intValue();
        }
        node.stats().connectionReceived();
        ConvergeConfig config = node.config().current();
        if (node.clients().count() >= config.maxclients()) {
            rejected = true;
            node.stats().connectionRejected();
            ctx.writeAndFlush(Unpooled.wrappedBuffer(MAX_CLIENTS)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        reply = new ReplyWriter(ctx.alloc(), node.stats()::errorReply);
        boolean authenticated = config.defaultUserPassword() == null;
        client = new ClientConnection(node.clients().nextId(), this, reply, node, authenticated);
        node.clients().add(client);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        node.stats().inputBytes(in.readableBytes());
        if (rejected || client == null || client.closeAfterReply()) {
            in.release();
            return;
        }
        append(in);
        client.touch(System.currentTimeMillis());
        processInput();
    }

    /** Runs every complete request in the input buffer, stopping at a close request. */
    private void processInput() {
        ConvergeConfig config = node.config().current();
        long maxBulk = config.protoMaxBulkLen();
        CommandDispatcher dispatcher = node.dispatcher();
        while (cumulation != null && !client.closeAfterReply()) {
            byte[][] args = decoder.decode(cumulation, maxBulk, !client.isAuthenticated());
            if (args == null) {
                break;
            }
            if (args == RequestDecoder.PROTOCOL_ERROR) {
                reply.error(decoder.errorMessage());
                client.closeAfterReply(true);
                if (log.isDebugEnabled()) {
                    log.debug("protocol error from {}: {}", remoteAddress,
                            new String(decoder.errorMessage(), StandardCharsets.UTF_8));
                }
                break;
            }
            dispatcher.dispatch(client, args);
            if (reply.pendingBytes() >= CHUNK_BYTES && reply.canTake()) {
                writeReplies();
                if (overOutputLimit(System.currentTimeMillis())) {
                    log.warn("Client {} closed for overcoming of output buffer limits.", remoteAddress);
                    client.closeAfterReply(true);
                    releaseInput();
                    ctx.close();
                    return;
                }
            }
        }
        if (cumulation != null) {
            if (!cumulation.isReadable()) {
                cumulation.release();
                cumulation = null;
            } else {
                cumulation.discardSomeReadBytes();
            }
        }
        long pending = (cumulation == null ? 0 : cumulation.readableBytes()) + decoder.pendingBytes();
        queryBytes = pending;
        if (pending > config.clientQueryBufferLimit() && !client.closeAfterReply()) {
            log.warn("Closing client that reached max query buffer length: {} (qbuf={})", remoteAddress, pending);
            releaseInput();
            ctx.close();
        }
    }

    /** Appends received bytes to the input buffer (taking ownership of {@code in}). */
    private void append(ByteBuf in) {
        if (cumulation == null) {
            cumulation = in;
            return;
        }
        if (cumulation.refCnt() == 1 && !cumulation.isReadOnly()
                && cumulation.maxWritableBytes() >= in.readableBytes()) {
            cumulation.writeBytes(in);
            in.release();
            return;
        }
        ByteBuf merged = ctx.alloc().ioBuffer(cumulation.readableBytes() + in.readableBytes());
        merged.writeBytes(cumulation).writeBytes(in);
        cumulation.release();
        in.release();
        cumulation = merged;
    }

    /** Passes the replies written so far down to the socket (not yet flushed). */
    private void writeReplies() {
        ByteBuf out = reply.takeBuffer();
        if (out != null) {
            node.stats().outputBytes(out.readableBytes());
            ctx.write(out, ctx.voidPromise());
            wroteInBatch = true;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (client == null || rejected) {
            return;
        }
        writeReplies();
        if (wroteInBatch) {
            // The batch's replies may acknowledge writes: with appendfsync always they leave only
            // once those writes are on disk (one fsync covers every connection's pending writes).
            node.engine().awaitDurable();
        }
        if (client.closeAfterReply()) {
            releaseInput();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (wroteInBatch) {
            wroteInBatch = false;
            ctx.flush();
            if (overOutputLimit(System.currentTimeMillis())) {
                log.warn("Client {} closed for overcoming of output buffer limits.", remoteAddress);
                ctx.close();
            }
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (client != null) {
            node.clients().remove(client);
            reply.release();
        }
        releaseInput();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("connection {} failed: {}", remoteAddress, cause.toString());
        } else {
            log.warn("unexpected error on connection {}", remoteAddress, cause);
        }
        ctx.close();
    }

    private void releaseInput() {
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
        decoder.reset();
        queryBytes = 0;
    }

    // ------------------------------------------------------------------ ConnectionChannel

    @Override
    public String remoteAddress() {
        return remoteAddress;
    }

    @Override
    public String localAddress() {
        return localAddress;
    }

    @Override
    public int fileDescriptor() {
        return fd;
    }

    @Override
    public void close() {
        if (ctx != null) {
            ctx.channel().close();
        }
    }

    @Override
    public long queryBufferBytes() {
        return queryBytes;
    }

    @Override
    public long outputBufferBytes() {
        if (ctx == null) {
            return 0;
        }
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    public boolean overOutputLimit(long nowMillis) {
        OutputBufferLimit limit = node.config().current().clientOutputBufferLimit();
        if (limit.hardBytes() == 0 && limit.softBytes() == 0) {
            return false;
        }
        long pending = outputBufferBytes();
        if (limit.hardBytes() > 0 && pending >= limit.hardBytes()) {
            return true;
        }
        if (limit.softBytes() > 0 && pending >= limit.softBytes()) {
            long since = softLimitSinceMillis;
            if (since == 0) {
                softLimitSinceMillis = nowMillis;
                return limit.softSeconds() == 0;
            }
            return nowMillis - since >= limit.softSeconds() * 1000;
        }
        softLimitSinceMillis = 0;
        return false;
    }

    private static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
            return host + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }
}
