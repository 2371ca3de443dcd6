package io.converge.server.cluster.net;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.wire.PeerAuth;
import io.converge.server.cluster.wire.PeerCodec;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.cluster.wire.PeerProtocolException;
import io.netty.bootstrap.Bootstrap;
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
 * <p>Reconnecting: after a failed or lost connection the next attempt waits out the backoff,
 * unless the peer dials this node first ({@link #dialNowIfWaiting}): then it is evidently
 * reachable again and waiting longer would only delay the deltas buffered for it. While the
 * operator has cut this node off from the peer ({@link NetworkCut}), every attempt fails at once
 * as if the peer were unreachable, so the ordinary backoff keeps running and a heal is noticed
 * by the next attempt, exactly as after a real network partition.
 */
final class OutboundConnection {

    private record Queued(PeerMessage message, int bytes) {}

    private final TransportContext context;
    private final int peerId;
    private final NodeSpec peer;
    private final Bootstrap bootstrap;

    private final Object lock = new Object();
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private long queuedBytes;
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
            return queue.size();
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
                ch.pipeline().addLast(
                        new PeerFrameDecoder(context.settings.maxFrameBytes()),
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

    /** Queues {@code message}; {@code false} if dropped. */
    boolean send(PeerMessage message) {
        int frame = PeerCodec.frameLength(message);
        if (frame > context.settings.maxFrameBytes()) {
            TransportContext.LOG.warn("dropping {} of {} bytes for node {}: over the frame limit {}", message.type(),
                    frame, peerId, context.settings.maxFrameBytes());
            dropped.incrementAndGet();
            return false;
        }
        int bytes = PeerCodec.LENGTH_FIELD_BYTES + frame;
        Channel ch = null;
        synchronized (lock) {
            if (closed || queue.size() >= context.settings.maxQueuedMessages()
                    || queuedBytes + bytes > context.settings.maxQueuedBytes()) {
                dropped.incrementAndGet();
                return false;
            }
            queue.add(new Queued(message, bytes));
            queuedBytes += bytes;
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
            if (channel == null || drainScheduled || queue.isEmpty()) {
                return;
            }
            drainScheduled = true;
            ch = channel;
        }
        ch.eventLoop().execute(this::drain);
    }

    /** Writes queued messages while the socket is writable; runs on the channel's event loop. */
    private void drain() {
        Channel ch;
        synchronized (lock) {
            drainScheduled = false;
            ch = channel;
        }
        if (ch == null) {
            return;
        }
        int written = 0;
        while (ch.isWritable()) {
            Queued q;
            synchronized (lock) {
                if (channel != ch) {
                    break;
                }
                q = queue.poll();
                if (q == null) {
                    break;
                }
                queuedBytes -= q.bytes();
            }
            ch.write(q.message(), ch.voidPromise());
            written++;
        }
        if (written > 0) {
            sent.addAndGet(written);
            ch.flush();
        }
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
            queue.clear();
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
        synchronized (lock) {
            if (channel == ch) {
                channel = null;
            }
            if (attemptChannel == ch) {
                attemptChannel = null;
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
    private final class DialerHandler extends SimpleChannelInboundHandler<PeerMessage> {

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
        protected void channelRead0(ChannelHandlerContext ctx, PeerMessage message) {
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
