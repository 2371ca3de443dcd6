package io.converge.server.cluster.net;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.wire.PeerAuth;
import io.converge.server.cluster.wire.PeerCodec;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.cluster.wire.PeerProtocolException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This node's connection to one peer, used to send to it: a bounded queue of outgoing
 * messages, dialling and authentication, and reconnection with exponential backoff (with
 * jitter) for as long as the transport is open.
 *
 * <p>Messages queue while the connection is down and are written, in order, once it is
 * authenticated; writing pauses while the socket is not writable (so the queue, not Netty's
 * unbounded outbound buffer, absorbs bursts), and a full queue drops new messages. Writes
 * happen on the channel's event loop, batched: one flush per drain.
 *
 * <p><b>Two lanes.</b> Control messages ({@link #isControl}: heartbeats, delta acknowledgements,
 * GC status, keep-alives) have a lane of their own, written before any data waiting in the
 * other lane. They are small, and none depends on its place among the data messages: a
 * heartbeat only says "alive", an acknowledgement is cumulative and concerns the deltas the
 * peer sent here, a GC status is a statement about deltas already acknowledged. So a peer does
 * not see this node go silent while a large message, or a long queue, is on its way. Data
 * messages keep their order. The control lane is bounded by a count of its own
 * ({@link #MAX_QUEUED_CONTROL}), so a full data lane does not silence heartbeats either.
 *
 * <p><b>Large messages.</b> A data message whose frame would exceed the frame bound is written
 * as fragment frames (see {@code PeerCodec}). When it reaches the head of its lane it is encoded
 * once into a heap array (as any message is encoded once; heap because it may be hundreds of MB
 * and is only needed until its last fragment is written), on a delivery thread rather than the
 * event loop: encoding 200 MB was measured at 60 ms to over half a second (allocation, page
 * faults, GC), which would hold up the heartbeats on this loop and the clients sharing it.
 * Meanwhile control messages still go out; data waits. Then each fragment is copied from that
 * array into a socket buffer as it goes out, one per turn of the drain loop. Control messages
 * queued meanwhile go out at the next turn, between two fragments; the data behind the message
 * waits, as order requires. So a heartbeat waits at most for one fragment plus what the socket
 * already holds. A connection lost before the first fragment puts the message back at the head
 * of its lane for the next connection; lost half-way, the message is lost, as is anything
 * already handed to a dead socket, and the layers above resend.
 *
 * <p><b>Byte bound.</b> {@code queuedBytes} counts the data lane's bytes not yet handed to Netty,
 * the unwritten rest of a message being fragmented included. A message that does not fit under
 * the bound is still accepted when nothing else is counted (otherwise a message larger than the
 * bound could never be sent); while it is counted, everything else obeys the bound, so smaller
 * messages queue behind it only as its unwritten rest shrinks below the bound.
 *
 * <p>Reconnecting: after a failed or lost connection the next attempt waits out the backoff,
 * unless the peer dials this node first ({@link #dialNowIfWaiting}): then it is evidently
 * reachable again and waiting longer would only delay the deltas buffered for it. While the
 * operator has cut this node off from the peer ({@link NetworkCut}), every attempt fails at once
 * as if the peer were unreachable, so the ordinary backoff keeps running and a heal is noticed
 * by the next attempt, exactly as after a real network partition.
 */
final class OutboundConnection {

    /** Bound of the control lane, in messages (each is at most a few dozen bytes). */
    static final int MAX_QUEUED_CONTROL = 4096;

    private record Queued(PeerMessage message, int bytes) {}

    /**
     * A data message larger than a frame, being encoded, then written as fragments, on {@link
     * #channel}. The mutable fields are guarded by the connection's lock.
     */
    private static final class LargeSend {
        final Channel channel;
        final Queued queued;
        /** Bytes of the message after the length prefix: what the fragments carry in all. */
        final int total;
        /** The message's single-frame encoding, length prefix included, once encoded; never modified. */
        byte[] frame;
        /** Bytes of it handed to Netty so far. */
        int offset;
        /** Bytes still counted in {@code queuedBytes} for it. */
        long accounted;

        LargeSend(Channel channel, Queued queued) {
            this.channel = channel;
            this.queued = queued;
            this.total = queued.bytes() - PeerCodec.LENGTH_FIELD_BYTES;
            this.accounted = queued.bytes();
        }
    }

    private final TransportContext context;
    private final int peerId;
    private final NodeSpec peer;
    private final Bootstrap bootstrap;

    private final Object lock = new Object();
    private final ArrayDeque<Queued> control = new ArrayDeque<>();
    private final ArrayDeque<Queued> data = new ArrayDeque<>();
    /** Data-lane bytes not yet handed to Netty (see the class comment). */
    private long queuedBytes;
    /** The message being fragmented, or {@code null}. */
    private LargeSend large;
    /** The authenticated channel, or {@code null}. */
    private Channel channel;
    /** The channel of the current attempt, authenticated or not. */
    private Channel attemptChannel;
    private boolean drainScheduled;
    private boolean closed;
    private int consecutiveFailures;
    /** A reconnect is scheduled (waiting out the backoff) and no attempt is under way. */
    private boolean reconnectPending;
    /** Tells the scheduled reconnect that is still current from ones superseded by {@link #dialNowIfWaiting}. */
    private long reconnectGeneration;
    private volatile ConnectionState state = ConnectionState.DISCONNECTED;

    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong connects = new AtomicLong();

    OutboundConnection(TransportContext context, int peerId) {
        this.context = context;
        this.peerId = peerId;
        this.peer = context.topology.node(peerId);
        NettyTransportSettings s = context.settings;
        this.bootstrap = new Bootstrap()
                .group(context.group)
                .channel(NettyIo.socketChannel(context.group))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, s.connectTimeoutMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20));
    }

    ConnectionState state() {
        return state;
    }

    long droppedMessages() {
        return dropped.get();
    }

    long sentMessages() {
        return sent.get();
    }

    long connects() {
        return connects.get();
    }

    int queuedMessages() {
        synchronized (lock) {
            return control.size() + data.size();
        }
    }

    long queuedBytes() {
        synchronized (lock) {
            return queuedBytes;
        }
    }

    /** Starts one connection attempt. */
    void connect() {
        synchronized (lock) {
            if (closed) {
                return;
            }
        }
        if (context.cut.contains(peerId)) {
            onAttemptEnded(null, false); // unreachable while partitioned: back off and try again
            return;
        }
        setState(ConnectionState.CONNECTING);
        Attempt attempt = new Attempt();
        ChannelFuture future = bootstrap.clone().handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
                synchronized (lock) {
                    if (closed) {
                        ch.close();
                        return;
                    }
                    attemptChannel = ch;
                }
                long idle = context.settings.idleTimeoutMillis();
                PeerTls tls = context.tls;
                if (tls != null) {
                    ch.pipeline().addLast(tls.dialling(ch.alloc(), peer.host(), peer.peerPort()),
                            new PeerTlsGuard(context, "node " + peerId + " at " + peer.peerAddress()));
                }
                ch.pipeline().addLast(
                        context.newDecoder(),
                        context.encoder,
                        new IdleStateHandler(idle, idle / 3, 0, TimeUnit.MILLISECONDS),
                        new DialerHandler(attempt));
            }
        }).connect(peer.host(), peer.peerPort());
        future.addListener(f -> {
            if (!f.isSuccess()) {
                TransportContext.LOG.debug("cannot connect to node {} at {}: {}", peerId, peer.peerAddress(),
                        f.cause() == null ? "cancelled" : f.cause().toString());
                attempt.end(future.channel(), false);
            }
        });
    }

    /** Whether {@code message} goes in the control lane (see the class comment). */
    static boolean isControl(PeerMessage message) {
        return switch (message.type()) {
            case HEARTBEAT, DELTA_ACK, GC_STATUS, KEEPALIVE -> true;
            default -> false;
        };
    }

    /** Queues {@code message}; {@code false} if dropped. */
    boolean send(PeerMessage message) {
        int frame = PeerCodec.frameLength(message);
        if (frame > context.settings.maxMessageBytes()) {
            TransportContext.LOG.warn("dropping {} of {} bytes for node {}: over the message limit {}", message.type(),
                    frame, peerId, context.settings.maxMessageBytes());
            dropped.incrementAndGet();
            return false;
        }
        int bytes = PeerCodec.LENGTH_FIELD_BYTES + frame;
        Channel ch = null;
        synchronized (lock) {
            if (closed) {
                dropped.incrementAndGet();
                return false;
            }
            if (isControl(message)) {
                if (control.size() >= MAX_QUEUED_CONTROL) {
                    dropped.incrementAndGet();
                    return false;
                }
                control.add(new Queued(message, bytes));
            } else {
                if (data.size() >= context.settings.maxQueuedMessages()
                        || (queuedBytes > 0 && queuedBytes + bytes > context.settings.maxQueuedBytes())) {
                    dropped.incrementAndGet();
                    return false;
                }
                data.add(new Queued(message, bytes));
                queuedBytes += bytes;
            }
            if (channel != null && !drainScheduled) {
                drainScheduled = true;
                ch = channel;
            }
        }
        if (ch != null) {
            ch.eventLoop().execute(this::drain);
        }
        return true;
    }

    private void scheduleDrain() {
        Channel ch;
        synchronized (lock) {
            if (channel == null || drainScheduled || (control.isEmpty() && data.isEmpty() && large == null)) {
                return;
            }
            drainScheduled = true;
            ch = channel;
        }
        ch.eventLoop().execute(this::drain);
    }

    /**
     * Writes while the socket is writable, one frame per turn: a control message if one waits,
     * else the next fragment of the message being fragmented (none while it is being encoded),
     * else the next data message (or the start of its encoding). Runs on the channel's event loop.
     */
    private void drain() {
        Channel ch;
        synchronized (lock) {
            drainScheduled = false;
            ch = channel;
        }
        if (ch == null) {
            return;
        }
        int maxFrame = context.settings.maxFrameBytes();
        int chunkBytes = PeerCodec.fragmentChunkBytes(maxFrame);
        int messages = 0;
        boolean wrote = false;
        while (ch.isWritable()) {
            PeerMessage whole = null;
            LargeSend start = null;
            LargeSend send = null;
            byte[] frame = null;
            int from = 0;
            int length = 0;
            synchronized (lock) {
                if (channel != ch) {
                    break;
                }
                Queued c = control.poll();
                if (c != null) {
                    whole = c.message();
                } else if (large != null) {
                    if (large.frame == null) {
                        break; // being encoded; control messages sent meanwhile call for another drain
                    }
                    send = large;
                    frame = send.frame;
                    from = send.offset;
                    length = Math.min(chunkBytes, send.total - from);
                    send.offset += length;
                    long release = send.offset == send.total ? send.accounted : length;
                    send.accounted -= release;
                    queuedBytes -= release;
                    if (send.offset == send.total) {
                        large = null;
                    }
                } else {
                    Queued q = data.poll();
                    if (q == null) {
                        break;
                    }
                    if (q.bytes() - PeerCodec.LENGTH_FIELD_BYTES <= maxFrame) {
                        queuedBytes -= q.bytes();
                        whole = q.message();
                    } else {
                        start = new LargeSend(ch, q); // its bytes stay counted, now for the LargeSend
                        large = start;
                    }
                }
            }
            if (whole != null) {
                ch.write(whole, ch.voidPromise());
                messages++;
                wrote = true;
            } else if (start != null) {
                encodeOffLoop(start);
                messages++;
            } else {
                ByteBuf fragment = ch.alloc().ioBuffer(PeerCodec.LENGTH_FIELD_BYTES + PeerCodec.FRAGMENT_HEADER_BYTES
                        + length);
                PeerCodec.writeFragmentHeader(fragment, from == 0, from == 0 ? send.total : from, length);
                fragment.writeBytes(frame, PeerCodec.LENGTH_FIELD_BYTES + from, length);
                ch.write(fragment, ch.voidPromise());
                context.frames.fragmentsSent.incrementAndGet();
                wrote = true;
            }
        }
        sent.addAndGet(messages);
        if (wrote) {
            ch.flush();
        }
    }

    /** Has {@code send}, just made the message being fragmented, encoded on a delivery thread. */
    private void encodeOffLoop(LargeSend send) {
        try {
            context.deliveryExecutors.next().execute(() -> encode(send));
        } catch (RejectedExecutionException e) {
            synchronized (lock) { // the transport is closing: nothing more will be sent
                if (large == send) {
                    large = null;
                    queuedBytes -= send.accounted;
                }
            }
        }
    }

    /** Encodes {@code send}, then lets the drain write its fragments (if it is still the one to send). */
    private void encode(LargeSend send) {
        byte[] frame = null;
        OutOfMemoryError failure = null;
        try {
            frame = PeerCodec.encodeToBytes(send.queued.message());
        } catch (OutOfMemoryError e) {
            // Its size is the message's, up to a GiB: failing to find that much heap now loses
            // this message (the layers above resend), not the delivery thread.
            failure = e;
        }
        synchronized (lock) {
            if (large != send) {
                return; // the connection was lost or closed meanwhile: see onAttemptEnded
            }
            if (frame != null) {
                send.frame = frame;
            } else {
                large = null;
                queuedBytes -= send.accounted;
            }
        }
        if (frame != null) {
            context.frames.onFragmentedSend(send.total);
        } else {
            dropped.incrementAndGet();
            TransportContext.LOG.warn("dropping {} of {} bytes for node {}: no heap to encode it ({})",
                    send.queued.message().type(), send.total, peerId, failure.toString());
        }
        scheduleDrain();
    }

    /**
     * If a reconnect is waiting out its backoff, starts it now; otherwise (connected, an attempt
     * under way, closed) does nothing.
     */
    void dialNowIfWaiting() {
        synchronized (lock) {
            if (closed || !reconnectPending) {
                return;
            }
            reconnectPending = false;
        }
        TransportContext.LOG.debug("node {} dialled in; node {} connects to it now instead of after the backoff", peerId,
                context.localNodeId);
        connect();
    }

    /**
     * Drops the current connection or attempt, as a network failure would (queued messages stay
     * queued); the usual reconnect with backoff follows.
     */
    void sever() {
        Channel a;
        synchronized (lock) {
            a = attemptChannel;
        }
        if (a != null) {
            a.close();
        }
    }

    private void reconnectAfterBackoff(long generation) {
        synchronized (lock) {
            if (closed || !reconnectPending || reconnectGeneration != generation) {
                return;
            }
            reconnectPending = false;
        }
        connect();
    }

    /** Closes for good: no more reconnects, queued messages dropped. */
    void close() {
        Channel a;
        synchronized (lock) {
            closed = true;
            control.clear();
            data.clear();
            large = null;
            queuedBytes = 0;
            a = attemptChannel;
            channel = null;
            attemptChannel = null;
        }
        if (a != null) {
            a.close();
        }
        setState(ConnectionState.CLOSED);
    }

    private void onAuthenticated(Channel ch) {
        synchronized (lock) {
            if (closed || attemptChannel != ch || context.cut.contains(peerId)) {
                ch.close();
                return;
            }
            channel = ch;
            consecutiveFailures = 0;
        }
        connects.incrementAndGet();
        TransportContext.LOG.info("node {} connected to node {} at {}", context.localNodeId, peerId, peer.peerAddress());
        setState(ConnectionState.CONNECTED);
        scheduleDrain();
    }

    private void onAttemptEnded(Channel ch, boolean wasAuthenticated) {
        long delay;
        long generation;
        LargeSend lost = null;
        synchronized (lock) {
            if (channel == ch) {
                channel = null;
            }
            if (attemptChannel == ch) {
                attemptChannel = null;
            }
            if (large != null && large.channel == ch) {
                if (large.offset == 0) {
                    data.addFirst(large.queued); // nothing of it went out: the next connection sends it
                } else {
                    lost = large;
                    queuedBytes -= lost.accounted;
                }
                large = null;
            }
            if (closed) {
                return;
            }
            consecutiveFailures++;
            delay = backoffMillis(consecutiveFailures);
            reconnectPending = true;
            generation = ++reconnectGeneration;
        }
        if (wasAuthenticated) {
            TransportContext.LOG.info("node {} lost its connection to node {} at {}; reconnecting", context.localNodeId, peerId,
                    peer.peerAddress());
        }
        if (lost != null) {
            context.frames.largeSendsAborted.incrementAndGet();
            TransportContext.LOG.info("{} of {} bytes to node {} lost with its connection after {} bytes",
                    lost.queued.message().type(), lost.total, peerId, lost.offset);
        }
        setState(ConnectionState.DISCONNECTED);
        try {
            context.group.next().schedule(() -> reconnectAfterBackoff(generation), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            TransportContext.LOG.debug("event loops shut down; not reconnecting to node {}", peerId);
        }
    }

    /** Exponential backoff with ±20% jitter: initial, 2×, 4×, ... capped. */
    private long backoffMillis(int failures) {
        NettyTransportSettings s = context.settings;
        double base = Math.min((double) s.reconnectMaxMillis(),
                s.reconnectInitialMillis() * Math.pow(2, Math.min(failures - 1, 30)));
        return Math.max(1, (long) (base * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble())));
    }

    private void setState(ConnectionState newState) {
        ConnectionState old;
        synchronized (lock) {
            old = state;
            if (old == ConnectionState.CLOSED || old == newState) {
                return;
            }
            state = newState;
        }
        context.notifyState(peerId, newState);
    }

    /** One dial; reports its end exactly once. */
    private final class Attempt {
        private final AtomicBoolean ended = new AtomicBoolean();
        private volatile boolean authenticated;

        void end(Channel ch, boolean wasAuthenticated) {
            if (ended.compareAndSet(false, true)) {
                onAttemptEnded(ch, wasAuthenticated);
            }
        }
    }

    /** Dialler's side of the handshake, keep-alives, and delivery of anything the acceptor sends. */
    private final class DialerHandler extends SimpleChannelInboundHandler<Object> {

        private enum Step { AWAIT_CHALLENGE, AWAIT_OK, OPEN }

        private final Attempt attempt;
        private Step step = Step.AWAIT_CHALLENGE;
        private byte[] dialerNonce;

        DialerHandler(Attempt attempt) {
            this.attempt = attempt;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (context.cut.contains(peerId)) {
                ctx.close(); // cut off while this attempt was connecting
                return;
            }
            dialerNonce = PeerAuth.newNonce();
            ctx.writeAndFlush(new PeerMessage.Hello(context.clusterName, context.localNodeId, peerId, dialerNonce));
            ctx.executor().schedule(() -> {
                if (step != Step.OPEN && ctx.channel().isActive()) {
                    context.repeatedWarnings.warn("handshake-timeout:" + peerId,
                            "node {} at {} did not complete the handshake within {} ms", peerId,
                            peer.peerAddress(), context.settings.handshakeTimeoutMillis());
                    ctx.close();
                }
            }, context.settings.handshakeTimeoutMillis(), TimeUnit.MILLISECONDS);
            ctx.fireChannelActive();
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            // Acceptors send nothing large; should one, its message is decoded here, on the loop.
            PeerMessage message = msg instanceof PeerFrameDecoder.Reassembled r ? r.decode() : (PeerMessage) msg;
            if (context.cut.contains(peerId)) {
                ctx.close(); // partitioned: nothing more arrives from this peer
                return;
            }
            if (message instanceof PeerMessage.Reject reject) {
                context.repeatedWarnings.warn("rejected-by:" + peerId, "node {} at {} rejected this node: {}", peerId,
                        peer.peerAddress(), reject.reason());
                ctx.close();
                return;
            }
            switch (step) {
                case AWAIT_CHALLENGE -> onChallenge(ctx, message);
                case AWAIT_OK -> {
                    if (message instanceof PeerMessage.AuthOk) {
                        step = Step.OPEN;
                        ctx.pipeline().get(PeerFrameDecoder.class).authenticated();
                        attempt.authenticated = true;
                        onAuthenticated(ctx.channel());
                    } else {
                        protocolError(ctx, "expected AUTH_OK, got " + message.type());
                    }
                }
                case OPEN -> {
                    switch (message) {
                        case PeerMessage.Keepalive k -> { }
                        case PeerMessage.Hello h -> protocolError(ctx, "HELLO on an open connection");
                        case PeerMessage.Challenge c -> protocolError(ctx, "CHALLENGE on an open connection");
                        case PeerMessage.AuthResponse r -> protocolError(ctx, "AUTH_RESPONSE on an open connection");
                        case PeerMessage.AuthOk ok -> protocolError(ctx, "AUTH_OK on an open connection");
                        default -> context.deliver(peerId, message);
                    }
                }
            }
        }

        private void onChallenge(ChannelHandlerContext ctx, PeerMessage message) {
            if (!(message instanceof PeerMessage.Challenge challenge)) {
                protocolError(ctx, "expected CHALLENGE, got " + message.type());
                return;
            }
            if (challenge.nodeId() != peerId) {
                context.repeatedWarnings.warn("wrong-node:" + peerId,
                        "{} answered as node {} but the cluster description says node {} lives there",
                        peer.peerAddress(), challenge.nodeId(), peerId);
                ctx.close();
                return;
            }
            if (!context.auth.verify(challenge.proof(), PeerAuth.Role.ACCEPTOR, context.clusterName,
                    context.localNodeId, peerId, dialerNonce, challenge.nonce())) {
                context.authFailures.incrementAndGet();
                context.repeatedWarnings.warn("outbound-auth:" + peerId,
                        "node {} at {} failed to prove the cluster secret; closing", peerId, peer.peerAddress());
                ctx.close();
                return;
            }
            byte[] proof = context.auth.proof(PeerAuth.Role.DIALER, context.clusterName, context.localNodeId, peerId,
                    dialerNonce, challenge.nonce());
            step = Step.AWAIT_OK;
            ctx.writeAndFlush(new PeerMessage.AuthResponse(proof));
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                scheduleDrain();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent idle) {
                if (idle.state() == IdleState.READER_IDLE) {
                    TransportContext.LOG.info("connection to node {} idle for {} ms; reconnecting", peerId,
                            context.settings.idleTimeoutMillis());
                    ctx.close();
                } else if (idle.state() == IdleState.WRITER_IDLE && step == Step.OPEN) {
                    ctx.writeAndFlush(new PeerMessage.Keepalive());
                }
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            attempt.end(ctx.channel(), attempt.authenticated);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (cause instanceof PeerProtocolException || cause.getCause() instanceof PeerProtocolException) {
                context.protocolErrors.incrementAndGet();
                TransportContext.LOG.warn("protocol error on connection to node {}: {}", peerId, cause.getMessage());
            } else {
                TransportContext.LOG.debug("connection to node {} failed: {}", peerId, cause.toString());
            }
            ctx.close();
        }

        private void protocolError(ChannelHandlerContext ctx, String what) {
            context.protocolErrors.incrementAndGet();
            TransportContext.LOG.warn("protocol error on connection to node {}: {}; closing", peerId, what);
            ctx.close();
        }
    }
}
