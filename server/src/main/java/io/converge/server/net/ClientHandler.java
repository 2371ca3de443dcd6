package io.converge.server.net;

import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.command.CommandDispatcher.AwaitingAcks;
import io.converge.server.command.CommandDispatcher.LateReply;
import io.converge.server.command.ConnectionChannel;
import io.converge.server.command.NodeServices;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.config.ClientOutputLimits;
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
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
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
 * (if any) is held in a {@link PendingReply}, and so are the replies of every later command
 * until it completes: {@link #pending} keeps them in request order and {@link #drainPending}
 * sends its head as soon as the head is final. Whether later commands may <em>run</em> meanwhile
 * depends on the future:
 * <ul>
 *   <li>an {@link AwaitingAcks} (a write applied here, waiting only for acknowledgements): yes,
 *       so a pipelining client keeps many replicated writes in flight on one connection; at most
 *       {@link #MAX_IN_FLIGHT} awaited commands and {@link #MAX_HELD_BYTES} of held replies at
 *       once, then input waits;</li>
 *   <li>any other (forwarded commands, quorum reads that run once the replicas answered): no,
 *       it is a barrier; later input stays in the input buffer, decoded in order later.</li>
 * </ul>
 * While input waits, reading from the socket is paused (auto-read off) so a client cannot pile
 * up unbounded input. A future completes on any thread; its reply is finished on the
 * connection's event loop ({@link LateReply}). Commands that complete at once (every command on
 * a single node) take none of this path. Held replies count as output buffer for
 * {@code client-output-buffer-limit}.
 */
public final class ClientHandler extends ChannelInboundHandlerAdapter implements ConnectionChannel {
    private static final Logger log = LoggerFactory.getLogger(ClientHandler.class);
    private static final int CHUNK_BYTES = 64 * 1024;
    /** Most commands awaiting completion on one connection; more input waits until one completes. */
    static final int MAX_IN_FLIGHT = 1024;
    /** Most reply bytes held back behind an awaited one; more input waits until they could be sent. */
    static final long MAX_HELD_BYTES = 4L << 20;
    private static final byte[] MAX_CLIENTS = "-ERR max number of clients reached\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Redis 7.0's refusal of a client from another address while protected mode is on and the default user has no password. */
    private static final byte[] PROTECTED_MODE = ("-DENIED Redis is running in protected mode because protected mode is "
            + "enabled and no password is set for the default user. In this mode connections are only accepted from "
            + "the loopback interface. If you want to connect from external computers to Redis you may adopt one of "
            + "the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode "
            + "no' from the loopback interface by connecting to Redis from the same host the server is running, "
            + "however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to "
            + "make this change permanent. 2) Alternatively you can just disable the protected mode by editing the "
            + "Redis configuration file, and setting the protected mode option to 'no', and then restarting the "
            + "server. 3) If you started the server manually just for testing, restart it with the '--protected-mode "
            + "no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one "
            + "of the above things in order for the server to start accepting connections from the outside.\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    private final NodeServices node;
    private final RequestDecoder decoder = new RequestDecoder();
    private ChannelHandlerContext ctx;
    private ClientConnection client;
    private ReplyWriter reply;
    private ByteBuf cumulation;
    private boolean rejected;
    private boolean wroteInBatch;
    /** Replies held back behind a reply still awaited, in request order (cluster mode); empty otherwise. */
    private final ArrayDeque<PendingReply> pending = new ArrayDeque<>();
    /** A {@link #finishCompletions} task is queued on the event loop. */
    private boolean finishScheduled;
    /** Requests of this connection are running now (replies written now go out with their batch). */
    private boolean running;
    /** Entries of {@link #pending} still awaiting their command's completion. */
    private int awaitedCount;
    /** The awaited command later input must wait for (not an {@link AwaitingAcks}), or null. */
    private PendingReply barrier;
    /**
     * The connection's last queued Lua script still awaited ({@link CommandDispatcher.QueuedScript}),
     * or null: later scripts may be queued behind it, other commands wait for it.
     */
    private CompletableFuture<LateReply> queuedScript;
    /**
     * A request held back, or null: while another client's script runs ({@code ScriptActivity#gate}),
     * or, not being a script, until this connection's queued scripts ran.
     */
    private byte[][] held;
    /** What {@link #held} waits for, or null. */
    private CompletableFuture<?> gate;
    /**
     * Bytes held in {@link #pending}. Written on the event loop only; the periodic task reads it
     * without synchronisation for output limits and CLIENT LIST, where a slightly stale figure is fine.
     */
    private long pendingBytes;
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
        if (config.protectedMode() && node.acl().defaultUserHasNoPassword() && !local(ctx.channel().remoteAddress())) {
            rejected = true;
            node.stats().connectionRejected();
            ctx.writeAndFlush(Unpooled.wrappedBuffer(PROTECTED_MODE)).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        reply = new ReplyWriter(ctx.alloc(), node.stats()::errorReply);
        boolean authenticated = node.acl().defaultUser().openWithoutPassword();
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
        if (mayRunInput()) {
            processInput();
        }
    }

    /**
     * Runs every complete request in the input buffer, stopping at a close request or at a
     * command whose reply comes later.
     */
    private void processInput() {
        running = true;
        try {
            runInput();
        } finally {
            running = false;
        }
    }

    private void runInput() {
        ConvergeConfig config = node.config().current();
        long maxBulk = config.protoMaxBulkLen();
        CommandDispatcher dispatcher = node.dispatcher();
        while ((cumulation != null || held != null) && !client.closeAfterReply() && mayRunInput()) {
            byte[][] args = held;
            held = null;
            if (args == null) {
                if (cumulation == null) {
                    break;
                }
                args = decoder.decode(cumulation, maxBulk, client.mustAuthenticate());
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
            }
            CompletableFuture<?> wait = waitBefore(args);
            if (wait != null) {
                held = args;
                gate = wait;
                wait.whenComplete((v, e) -> ctx.executor().execute(this::gateOpened));
                break;
            }
            int mark = reply.mark();
            CompletableFuture<LateReply> late = dispatcher.dispatch(client, args);
            if (late != null) {
                await(late, mark);
                continue;
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
            return;
        }
        if (!mayRunInput()) {
            ctx.channel().config().setAutoRead(false); // resumed by complete() once input may run again
        }
    }

    /**
     * Writes a message the client did not ask for (pub/sub) on the event loop: during the
     * connection's own command it joins that command's replies (as Redis orders them); otherwise
     * it goes behind whatever is already pending, and one flush follows for a run of messages.
     */
    @Override
    public void push(Consumer<ReplyWriter> message) {
        ChannelHandlerContext c = ctx;
        if (c == null || client == null) {
            return;
        }
        if (c.executor().inEventLoop()) {
            writePush(message);
        } else {
            c.executor().execute(() -> writePush(message));
        }
    }

    private void writePush(Consumer<ReplyWriter> message) {
        if (!ctx.channel().isActive() || client.closeAfterReply()) {
            return;
        }
        message.accept(reply);
        if (!running) {
            writeReplies();
            if (!finishScheduled) {
                finishScheduled = true;
                ctx.executor().execute(this::finishCompletions);
            }
        }
    }

    /**
     * Whether the next request may run now: no barrier awaited, no other client's script waited
     * for, not too many commands or reply bytes in flight.
     */
    private boolean mayRunInput() {
        return barrier == null && gate == null && awaitedCount < MAX_IN_FLIGHT && pendingBytes < MAX_HELD_BYTES;
    }

    /**
     * What request {@code args} must wait for before it runs, or null: a request that is not a
     * script waits for this connection's queued scripts, then for another client's running
     * script (until it ends, or until it is busy and the request gets BUSY). One volatile read
     * when no script is about.
     */
    private CompletableFuture<?> waitBefore(byte[][] args) {
        CompletableFuture<LateReply> queued = queuedScript;
        if (queued != null && queued.isDone()) {
            queued = null; // its completion is on its way to this loop
        }
        if (queued == null && !node.scripts().running()) {
            return null;
        }
        if (node.dispatcher().runsScript(args)) {
            return null; // queues on the script thread behind whatever runs there
        }
        if (queued != null) {
            return queued;
        }
        return node.scripts().gate(client);
    }

    /** Runs on the event loop once what a held request waited for is done (a script ended or became busy). */
    private void gateOpened() {
        gate = null;
        if (!ctx.channel().isActive() || client.closeAfterReply()) {
            return;
        }
        resumeInput();
    }

    /**
     * Once what held the input back is done: runs the input that may run now, makes sure a flush
     * follows (one for all the completions already queued on the loop), and reads again.
     */
    private void resumeInput() {
        if (mayRunInput()) {
            processInput();
        }
        if (!finishScheduled) {
            finishScheduled = true;
            ctx.executor().execute(this::finishCompletions);
        }
        if (mayRunInput() && ctx.channel().isActive() && !client.closeAfterReply()) {
            ctx.channel().config().setAutoRead(true);
        }
    }

    /**
     * Holds back the reply of a command that completes later: passes on the replies written
     * before {@code mark}, keeps what the command wrote after it in a new {@link PendingReply}
     * at the end of {@link #pending}, and finishes it when {@code late} completes.
     */
    private void await(CompletableFuture<LateReply> late, int mark) {
        ByteBuf all = reply.takeBuffer();
        ByteBuf own = null;
        if (all != null) {
            int ownBytes = all.writerIndex() - mark;
            if (ownBytes > 0) {
                own = all.retainedSlice(mark, ownBytes);
                all.writerIndex(mark);
            }
            if (all.isReadable()) {
                emit(all);
            } else {
                all.release();
            }
        }
        PendingReply slot = new PendingReply(own);
        pending.addLast(slot);
        pendingBytes += slot.size();
        awaitedCount++;
        if (late instanceof CommandDispatcher.QueuedScript) {
            queuedScript = late;
        } else if (!(late instanceof AwaitingAcks)) {
            barrier = slot;
        }
        late.whenComplete((result, error) -> ctx.executor().execute(() -> {
            if (queuedScript == late) {
                queuedScript = null;
            }
            complete(slot, result, error);
        }));
    }

    /**
     * Runs on the event loop when an awaited command completed: finishes its reply, passes every
     * reply that is now at the head of the queue on, resumes the input if it was waiting, and
     * makes sure a flush follows (one for all the completions already queued on the loop: the
     * acknowledgements of one batch complete many writes at once).
     */
    private void complete(PendingReply slot, LateReply result, Throwable error) {
        if (slot.done || !ctx.channel().isActive()) {
            return; // the connection is gone: its held replies were released
        }
        writeReplies(); // normally empty between events; anything there belongs behind every held reply
        if (error != null || result != LateReply.KEEP) {
            pendingBytes -= slot.size();
            slot.release();
            int mark = reply.mark();
            try {
                if (error != null) {
                    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                    reply.error("ERR " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()));
                } else {
                    result.write(client);
                }
            } catch (RuntimeException e) {
                log.warn("completing a reply for {} failed", remoteAddress, e);
                reply.rollback(mark); // no half-written reply before the error
                reply.error("ERR internal error while completing the reply: " + e);
            }
            slot.bytes = reply.takeBuffer();
            pendingBytes += slot.size();
        }
        slot.done = true;
        awaitedCount--;
        if (barrier == slot) {
            barrier = null;
        }
        drainPending();
        resumeInput();
    }

    /** The flush after a run of completions (see {@link #complete}). */
    private void finishCompletions() {
        finishScheduled = false;
        if (ctx.channel().isActive()) {
            finishBatch();
        }
    }

    /** Passes every final reply at the head of {@link #pending} down to the socket. */
    private void drainPending() {
        PendingReply head;
        while ((head = pending.peekFirst()) != null && head.done) {
            pending.removeFirst();
            pendingBytes -= head.size();
            if (head.bytes != null) {
                node.stats().outputBytes(head.bytes.readableBytes());
                ctx.write(head.bytes, ctx.voidPromise());
                wroteInBatch = true;
                head.bytes = null;
            }
        }
    }

    /**
     * Sends {@code replies} (taking ownership), or queues them behind the held replies when
     * some are pending, so replies always leave in request order.
     */
    private void emit(ByteBuf replies) {
        if (pending.isEmpty()) {
            node.stats().outputBytes(replies.readableBytes());
            ctx.write(replies, ctx.voidPromise());
            wroteInBatch = true;
            return;
        }
        PendingReply ready = new PendingReply(replies);
        ready.done = true;
        pending.addLast(ready);
        pendingBytes += ready.size();
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

    /** Passes the replies written so far on towards the socket (not yet flushed), in order. */
    private void writeReplies() {
        ByteBuf out = reply.takeBuffer();
        if (out != null) {
            emit(out);
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
            // While the log cannot be written, replies that acknowledge no write leave at once and
            // the others not at all: the connection is closed (the write's outcome is unknown to
            // the client, as after a crash; it is written if the disk recovers first).
            try {
                node.engine().awaitDurable(client.takeRanWrite());
            } catch (RuntimeException e) {
                log.warn("Closing client {} without its replies: they acknowledge writes that are not durable ({})",
                        remoteAddress, e.getMessage());
                releaseInput();
                ctx.close();
                return;
            }
        }
        if (client.closeAfterReply() && pending.isEmpty()) {
            releaseInput();
            ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        boolean flushed = wroteInBatch;
        if (flushed) {
            wroteInBatch = false;
            ctx.flush();
        }
        if ((flushed || pendingBytes > 0) && overOutputLimit(System.currentTimeMillis())) {
            log.warn("Client {} closed for overcoming of output buffer limits.", remoteAddress);
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (client != null) {
            node.pubsub().forget(client);
            node.blocked().forget(client);
            node.monitor().forget(client);
            node.tracking().disable(client);
            node.clients().remove(client);
            reply.release();
        }
        for (PendingReply held : pending) {
            held.release();
            held.done = true;
        }
        pending.clear();
        pendingBytes = 0;
        releaseInput();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || TlsHandshakeGuard.sslFailure(cause)) {
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
        return pendingBytes + (out == null ? 0 : out.totalPendingWriteBytes());
    }

    @Override
    public boolean overOutputLimit(long nowMillis) {
        ClientOutputLimits limits = node.config().current().clientOutputBufferLimit();
        OutputBufferLimit limit = client != null && client.subscribed() ? limits.pubsub() : limits.normal();
        if (limit.unlimited()) {
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

    /**
     * Whether a client at {@code address} counts as local for protected mode: exactly 127.0.0.1 or
     * ::1, as Redis compares them (another 127.x address is not), or not an IP address at all.
     */
    private static boolean local(SocketAddress address) {
        if (!(address instanceof InetSocketAddress inet) || inet.getAddress() == null) {
            return true;
        }
        InetAddress ip = inet.getAddress();
        return ip instanceof Inet6Address ? ip.isLoopbackAddress() : ip.getHostAddress().equals("127.0.0.1");
    }

    private static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
            return host + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    /** A reply held back in {@link #pending}: still awaited, or final and waiting for those before it. */
    private static final class PendingReply {
        /** The reply bytes (null: none yet, or empty). */
        ByteBuf bytes;
        /** Whether {@link #bytes} is the final reply. */
        boolean done;

        PendingReply(ByteBuf bytes) {
            this.bytes = bytes;
        }

        int size() {
            return bytes == null ? 0 : bytes.readableBytes();
        }

        void release() {
            if (bytes != null) {
                bytes.release();
                bytes = null;
            }
        }
    }
}
