package io.converge.server.cluster.net;

import io.converge.server.cluster.wire.PeerAuth;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.cluster.wire.PeerProtocolException;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The accepting side of a peer connection: authenticates the dialer (and proves itself to it),
 * then hands every message to the transport's handler as coming from the dialer's node id.
 * A dialer this node is cut off from ({@link NetworkCut}) gets its connection closed without a
 * word, at its HELLO or, if the cut came later, at its next message: as if the network dropped it.
 */
final class InboundConnectionHandler extends SimpleChannelInboundHandler<Object> {

    private enum State { AWAIT_HELLO, AWAIT_RESPONSE, OPEN }

    private final TransportContext context;
    private State state = State.AWAIT_HELLO;
    private int peerId = -1;
    private byte[] dialerNonce;
    private byte[] acceptorNonce;
    private InboundDelivery delivery;
    /** Whether this connection counts in {@code context.unauthenticated} (from accept until authenticated or closed). */
    private boolean countedUnauthenticated;

    InboundConnectionHandler(TransportContext context) {
        this.context = context;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (context.unauthenticated.incrementAndGet() > context.maxUnauthenticated) {
            context.unauthenticated.decrementAndGet();
            context.unauthenticatedRefused.incrementAndGet();
            context.repeatedWarnings.warn("inbound-unauthenticated",
                    "more than {} peer connections waiting to authenticate: closing the one from {} (a flood?)",
                    context.maxUnauthenticated, ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        countedUnauthenticated = true;
        ctx.executor().schedule(() -> {
            if (state != State.OPEN && ctx.channel().isActive()) {
                TransportContext.LOG.warn("peer connection from {} did not authenticate within {} ms; closing",
                        ctx.channel().remoteAddress(), context.settings.handshakeTimeoutMillis());
                ctx.close();
            }
        }, context.settings.handshakeTimeoutMillis(), TimeUnit.MILLISECONDS);
        ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof PeerFrameDecoder.Reassembled reassembled) {
            if (state != State.OPEN) { // cannot happen: the decoder takes fragments only once open
                protocolError(ctx, "a fragmented message before authentication");
            } else if (context.cut.contains(peerId)) {
                ctx.close();
            } else {
                delivery.deliverReassembled(reassembled); // decoded on the delivery thread
            }
            return;
        }
        PeerMessage message = (PeerMessage) msg;
        switch (state) {
            case AWAIT_HELLO -> onHello(ctx, message);
            case AWAIT_RESPONSE -> onResponse(ctx, message);
            case OPEN -> {
                if (context.cut.contains(peerId)) {
                    ctx.close();
                    return;
                }
                String misplaced = misplaced(message);
                if (misplaced != null) {
                    protocolError(ctx, misplaced);
                } else if (!(message instanceof PeerMessage.Keepalive)) {
                    delivery.deliver(message);
                }
            }
        }
    }

    /** Why {@code message} has no business on an open connection (a handshake message), or {@code null}. */
    static String misplaced(PeerMessage message) {
        return switch (message.type()) {
            case HELLO, CHALLENGE, AUTH_RESPONSE, AUTH_OK, REJECT -> message.type() + " on an open connection";
            default -> null;
        };
    }

    private void onHello(ChannelHandlerContext ctx, PeerMessage message) {
        if (!(message instanceof PeerMessage.Hello hello)) {
            protocolError(ctx, "expected HELLO, got " + message.type());
            return;
        }
        if (!hello.clusterName().equals(context.clusterName)) {
            reject(ctx, "cluster name mismatch: this node belongs to '" + context.clusterName + "'");
            return;
        }
        if (hello.toNodeId() != context.localNodeId) {
            reject(ctx, "this is node " + context.localNodeId + ", not node " + hello.toNodeId());
            return;
        }
        if (hello.fromNodeId() == context.localNodeId || !context.topology.contains(hello.fromNodeId())) {
            reject(ctx, "node " + hello.fromNodeId() + " is not a member of cluster '" + context.clusterName + "'");
            return;
        }
        peerId = hello.fromNodeId();
        // Set before the cut is checked (NettyTransport.partition adds to the cut before it looks
        // at this attribute), so a HELLO racing with a new cut is closed by one side or the other.
        ctx.channel().attr(TransportContext.PEER_ID).set(peerId);
        if (context.cut.contains(peerId)) {
            TransportContext.LOG.debug("dropping peer connection from node {} ({}): partitioned from it", peerId,
                    ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        dialerNonce = hello.nonce();
        acceptorNonce = PeerAuth.newNonce();
        byte[] proof = context.auth.proof(PeerAuth.Role.ACCEPTOR, context.clusterName, peerId, context.localNodeId,
                dialerNonce, acceptorNonce);
        state = State.AWAIT_RESPONSE;
        ctx.writeAndFlush(new PeerMessage.Challenge(context.localNodeId, acceptorNonce, proof));
    }

    private void onResponse(ChannelHandlerContext ctx, PeerMessage message) {
        if (!(message instanceof PeerMessage.AuthResponse response)) {
            protocolError(ctx, "expected AUTH_RESPONSE, got " + message.type());
            return;
        }
        if (!context.auth.verify(response.proof(), PeerAuth.Role.DIALER, context.clusterName, peerId,
                context.localNodeId, dialerNonce, acceptorNonce)) {
            context.authFailures.incrementAndGet();
            context.repeatedWarnings.warn("inbound-auth:" + peerId,
                    "peer at {} claiming to be node {} failed authentication (wrong cluster secret?)",
                    ctx.channel().remoteAddress(), peerId);
            reject(ctx, "authentication failed");
            return;
        }
        state = State.OPEN;
        uncountUnauthenticated();
        ctx.pipeline().get(PeerFrameDecoder.class).authenticated(); // the dialer may now send large frames and messages
        delivery = new InboundDelivery(context, ctx.channel(), peerId, context.deliveryExecutors.next());
        ctx.writeAndFlush(new PeerMessage.AuthOk());
        TransportContext.LOG.debug("inbound peer connection from node {} ({}) authenticated", peerId,
                ctx.channel().remoteAddress());
        context.peerReachable.accept(peerId);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE) {
                TransportContext.LOG.info("inbound peer connection from node {} idle for {} ms; closing", peerId,
                        context.settings.idleTimeoutMillis());
                ctx.close();
            } else if (idle.state() == IdleState.WRITER_IDLE && state == State.OPEN) {
                ctx.writeAndFlush(new PeerMessage.Keepalive());
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        uncountUnauthenticated();
        ctx.fireChannelInactive();
    }

    private void uncountUnauthenticated() {
        if (countedUnauthenticated) {
            countedUnauthenticated = false;
            context.unauthenticated.decrementAndGet();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof PeerProtocolException || cause.getCause() instanceof PeerProtocolException) {
            context.protocolErrors.incrementAndGet();
            TransportContext.LOG.warn("protocol error on peer connection from {}: {}; closing",
                    ctx.channel().remoteAddress(), cause.getMessage());
        } else {
            TransportContext.LOG.debug("peer connection from {} failed: {}", ctx.channel().remoteAddress(),
                    cause.toString());
        }
        ctx.close();
    }

    private void reject(ChannelHandlerContext ctx, String reason) {
        context.repeatedWarnings.warn("reject:" + remoteHost(ctx), "rejecting peer connection from {}: {}",
                ctx.channel().remoteAddress(), reason);
        ctx.writeAndFlush(new PeerMessage.Reject(reason)).addListener(ChannelFutureListener.CLOSE);
    }

    private void protocolError(ChannelHandlerContext ctx, String what) {
        context.protocolErrors.incrementAndGet();
        TransportContext.LOG.warn("protocol error on peer connection from {}: {}; closing",
                ctx.channel().remoteAddress(), what);
        ctx.close();
    }

    /** The remote IP address of the connection (no port): what repeated warnings about it are grouped by. */
    private static String remoteHost(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress inet && inet.getAddress() != null
                ? inet.getAddress().getHostAddress() : String.valueOf(ctx.channel().remoteAddress());
    }
}
