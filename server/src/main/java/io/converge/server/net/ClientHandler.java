package io.converge.server.net;

import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.command.CommandDispatcher.LateReply;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 *
 * <p><b>Replies that come later</b> (cluster mode: a write waiting for its replicas, a command
 * forwarded to another node). {@link CommandDispatcher#dispatch} then returns a future. The
 * replies written before that command go out at once; the reply the command wrote while it ran
 * (if any) is held back, and no further pipelined request is executed: later input stays in the
 * input buffer, decoded in order later, and reading from the socket is paused (auto-read off) so
 * a client cannot pile up unbounded input meanwhile. When the future completes, on the
 * connection's event loop, the held reply is emitted (or replaced, see {@link LateReply}),
 * execution of the buffered requests resumes, and reading is switched back on. Replies therefore
 * leave in request order. Commands that complete at once (every command on a single node) take
 * none of this path.
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
    /** The command whose reply is awaited (cluster mode), or null; input is not executed meanwhile. */
    private CompletableFuture<LateReply> awaiting;
    /** The reply the awaited command wrote while it ran, held back until it completes, or null. */
    private ByteBuf heldReply;
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
        if (awaiting == null) {
            processInput();
        }
    }

    /**
     * Runs every complete request in the input buffer, stopping at a close request or at a
     * command whose reply comes later.
     */
    private void processInput() {
        ConvergeConfig config = node.config().current();
        long maxBulk = config.protoMaxBulkLen();
        CommandDispatcher dispatcher = node.dispatcher();
        while (cumulation != null && !client.closeAfterReply() && awaiting == null) {
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
            int mark = reply.mark();
            CompletableFuture<LateReply> late = dispatcher.dispatch(client, args);
            if (late != null) {
                await(late, mark);
                break;
            }
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

    /**
     * Pauses the connection until {@code late} completes: passes down the replies written before
     * {@code mark}, holds back what the command wrote after it, stops reading from the socket.
     */
    private void await(CompletableFuture<LateReply> late, int mark) {
        awaiting = late;
        ByteBuf all = reply.takeBuffer();
        if (all != null) {
            int own = all.writerIndex() - mark;
            if (own > 0) {
                heldReply = all.retainedSlice(mark, own);
                all.writerIndex(mark);
            }
            if (all.isReadable()) {
                node.stats().outputBytes(all.readableBytes());
                ctx.write(all, ctx.voidPromise());
                wroteInBatch = true;
            } else {
                all.release();
            }
        }
        ctx.channel().config().setAutoRead(false);
        late.whenComplete((result, error) -> ctx.executor().execute(() -> resume(late, result, error)));
    }

    /** Runs on the event loop when the awaited command completed: writes its reply, resumes the input. */
    private void resume(CompletableFuture<LateReply> late, LateReply result, Throwable error) {
        if (awaiting != late) {
            return;
        }
        awaiting = null;
        ByteBuf held = heldReply;
        heldReply = null;
        if (!ctx.channel().isActive() || client.closeAfterReply()) {
            if (held != null) {
                held.release();
            }
            return;
        }
        if (error == null && result == LateReply.KEEP) {
            if (held != null) {
                writeReplies(); // nothing is pending before it, but keep the order explicit
                node.stats().outputBytes(held.readableBytes());
                ctx.write(held, ctx.voidPromise());
                wroteInBatch = true;
            }
        } else {
            if (held != null) {
                held.release();
            }
            try {
                if (error != null) {
                    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    reply.error("ERR " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()));
                } else {
                    result.write(client);
                }
            } catch (RuntimeException e) {
                log.warn("completing a reply for {} failed", remoteAddress, e);
                reply.error("ERR internal error while completing the reply: " + e);
            }
        }
        processInput();
        finishBatch();
        if (awaiting == null && ctx.channel().isActive()) {
            ctx.channel().config().setAutoRead(true);
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
        finishBatch();
    }

    /** Passes the batch's replies down, waits for durability if they acknowledge writes, flushes. */
    private void finishBatch() {
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
        if (heldReply != null) {
            heldReply.release();
            heldReply = null;
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
