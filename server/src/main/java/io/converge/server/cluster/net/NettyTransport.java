package io.converge.server.cluster.net;

import io.converge.server.cluster.ConnectionState;
import io.converge.server.cluster.NodeSpec;
import io.converge.server.cluster.PartitionControl;
import io.converge.server.cluster.PeerMessageHandler;
import io.converge.server.cluster.Topology;
import io.converge.server.cluster.Transport;
import io.converge.server.cluster.wire.PeerMessage;
import io.converge.server.node.InfoBuilder;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The production {@link Transport}: TCP between nodes with Netty, length-prefixed binary
 * frames ({@code PeerCodec}), mutual challenge–response authentication with the cluster secret.
 *
 * <p>Each node dials every other node and uses that connection only to <em>send</em>; it
 * receives on the connections other nodes dialled to it. So a pair of nodes shares two TCP
 * connections, one per direction, and nobody has to decide who dials whom. Outbound
 * connections reconnect forever with exponential backoff (cut short when the peer dials in: it
 * is evidently reachable); both directions exchange keep-alives when idle and close a connection
 * that stays silent for the idle timeout.
 *
 * <p>A message larger than a frame ({@link NettyTransportSettings#maxFrameBytes}, 1 MiB by
 * default) travels as fragments, up to {@link NettyTransportSettings#maxMessageBytes} (1 GiB):
 * interleaved with heartbeats and acknowledgements on the sending side ({@code
 * OutboundConnection}), reassembled within bounds on the receiving side ({@code
 * PeerFrameDecoder}) and delivered off the event loop ({@code InboundDelivery}).
 *
 * <p><b>Partitions on demand.</b> {@link #partition} cuts this node off from some peers the way a
 * network failure would, for chaos tests and the time-to-converge benchmark: connections with
 * them are closed, this node's reconnect attempts fail as if they were unreachable (the backoff
 * keeps running), their handshakes are dropped, nothing they send is delivered. The replication
 * layer is told nothing special. {@link #heal} lifts the cut; connections come back through the
 * ordinary reconnect path.
 */
public final class NettyTransport implements Transport, PartitionControl {

    private final TransportContext context;
    private final boolean ownsGroup;
    private final OutboundConnection[] outbound;
    private final Set<Channel> inbound = ConcurrentHashMap.newKeySet();
    private volatile Channel serverChannel;
    private volatile boolean started;
    private volatile boolean closed;

    /**
     * A transport for node {@code localNodeId} of {@code topology}, on {@code group} (shared with
     * the client server) or, if {@code null}, on its own event loops (closed with it).
     */
    public NettyTransport(Topology topology, int localNodeId, NettyTransportSettings settings, IoEventLoopGroup group) {
        if (!topology.contains(localNodeId)) {
            throw new IllegalArgumentException("node " + localNodeId + " is not in the cluster description");
        }
        this.ownsGroup = group == null;
        IoEventLoopGroup loops = group != null ? group
                : new MultiThreadIoEventLoopGroup(Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())),
                        NettyIo.ownIoHandler());
        this.context = new TransportContext(topology, localNodeId, settings, loops);
        int maxId = 0;
        for (int id : topology.nodeIds()) {
            maxId = Math.max(maxId, id);
        }
        this.outbound = new OutboundConnection[maxId + 1];
        for (int id : topology.nodeIds()) {
            if (id != localNodeId) {
                outbound[id] = new OutboundConnection(context, id);
            }
        }
        context.peerReachable = id -> {
            OutboundConnection c = connection(id);
            if (c != null) {
                c.dialNowIfWaiting();
            }
        };
    }

    @Override
    public int localNodeId() {
        return context.localNodeId;
    }

    @Override
    public void setHandler(PeerMessageHandler handler) {
        context.handler = handler;
    }

    /**
     * Makes every peer link mutual TLS, under the secret handshake: each side presents its
     * certificate and verifies the other's. Call before {@link #start()}.
     */
    public void useTls(PeerTls tls) {
        if (started) {
            throw new IllegalStateException("TLS must be chosen before the transport starts");
        }
        context.tls = tls;
    }

    /** Binds the peer port (failing loudly if it is taken) and starts dialling every peer. */
    @Override
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("transport already started");
        }
        if (closed) {
            throw new IllegalStateException("transport is closed");
        }
        started = true;
        NodeSpec self = context.topology.node(context.localNodeId);
        String host = context.settings.bindHost() != null ? context.settings.bindHost() : self.host();
        long idle = context.settings.idleTimeoutMillis();
        ServerBootstrap server = new ServerBootstrap()
                .group(context.group)
                .channel(NettyIo.serverChannel(context.group))
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (closed) {
                            ch.close();
                            return;
                        }
                        inbound.add(ch);
                        ch.closeFuture().addListener(f -> inbound.remove(ch));
                        PeerTls tls = context.tls;
                        if (tls != null) {
                            ch.pipeline().addLast(tls.accepting(ch.alloc()), new PeerTlsGuard(context, null));
                        }
                        ch.pipeline().addLast(
                                context.newDecoder(),
                                context.encoder,
                                new IdleStateHandler(idle, idle / 3, 0, TimeUnit.MILLISECONDS),
                                new InboundConnectionHandler(context));
                    }
                });
        try {
            serverChannel = server.bind(host, self.peerPort()).sync().channel();
        } catch (Exception e) {
            close();
            throw new IllegalStateException("cannot listen for peers on " + host + ":" + self.peerPort() + ": " + e, e);
        }
        TransportContext.LOG.info("node {} listening for peers on {}", context.localNodeId, serverChannel.localAddress());
        for (OutboundConnection c : outbound) {
            if (c != null) {
                c.connect();
            }
        }
    }

    /** The port actually bound (useful when the description says port 0 is impossible, for tests). */
    public int boundPort() {
        Channel ch = serverChannel;
        return ch == null ? -1 : ((InetSocketAddress) ch.localAddress()).getPort();
    }

    @Override
    public boolean send(int toNodeId, PeerMessage message) {
        if (toNodeId == context.localNodeId) {
            throw new IllegalArgumentException("node " + toNodeId + " cannot send to itself");
        }
        OutboundConnection c = connection(toNodeId);
        return c != null && !closed && c.send(message);
    }

    /**
     * On an event loop thread (a client or peer connection's, the node's loops are shared),
     * queues {@code task} behind the events being handled, so it runs in the same loop iteration
     * once they are done; elsewhere runs it now.
     */
    @Override
    public void runSoon(Runnable task) {
        for (EventExecutor loop : context.group) {
            if (loop.inEventLoop()) {
                try {
                    loop.execute(task);
                    return;
                } catch (RejectedExecutionException e) {
                    break; // the loop is shutting down: run it here
                }
            }
        }
        task.run();
    }

    @Override
    public ConnectionState connectionState(int nodeId) {
        if (closed) {
            return ConnectionState.CLOSED;
        }
        OutboundConnection c = connection(nodeId);
        return c == null ? ConnectionState.DISCONNECTED : c.state();
    }

    /** Messages to {@code nodeId} dropped because its queue was full (or the message over the message limit). */
    public long droppedMessages(int nodeId) {
        OutboundConnection c = connection(nodeId);
        return c == null ? 0 : c.droppedMessages();
    }

    /** Messages to {@code nodeId} currently queued. */
    public int queuedMessages(int nodeId) {
        OutboundConnection c = connection(nodeId);
        return c == null ? 0 : c.queuedMessages();
    }

    /** How many times the connection to {@code nodeId} was (re)established. */
    public long connects(int nodeId) {
        OutboundConnection c = connection(nodeId);
        return c == null ? 0 : c.connects();
    }

    /** Bytes queued for {@code nodeId} and not yet written (data messages; a large one's unwritten rest included). */
    public long queuedBytes(int nodeId) {
        OutboundConnection c = connection(nodeId);
        return c == null ? 0 : c.queuedBytes();
    }

    /** Fragment frames written, to all peers. */
    public long fragmentsSent() {
        return context.frames.fragmentsSent.get();
    }

    /** Messages sent in fragments (larger than a frame), to all peers. */
    public long messagesFragmented() {
        return context.frames.messagesFragmented.get();
    }

    /** Size of the largest message sent in fragments (0 while every message fitted in a frame). */
    public long largestMessageSent() {
        return context.frames.largestSent.get();
    }

    /** Fragmented messages lost with their connection before their last fragment was written. */
    public long largeSendsAborted() {
        return context.frames.largeSendsAborted.get();
    }

    /** Fragment frames received, from all peers. */
    public long fragmentsReceived() {
        return context.frames.fragmentsReceived.get();
    }

    /** Messages reassembled from fragments, from all peers. */
    public long messagesReassembled() {
        return context.frames.messagesReassembled.get();
    }

    /** Size of the largest message reassembled from fragments (0 if none was). */
    public long largestMessageReceived() {
        return context.frames.largestReceived.get();
    }

    /** Fragment sequences refused (each also a protocol error that closed its connection). */
    public long reassemblyErrors() {
        return context.frames.reassemblyErrors.get();
    }

    /**
     * Writes the transport's limits and counters as INFO fields ({@code cluster} section):
     * {@code peer_max_frame_bytes}, {@code peer_max_message_bytes}, fragments and fragmented
     * messages each way, the largest of them, reassembly and protocol errors, authentication
     * failures, connections refused for too many waiting to authenticate, and messages dropped
     * for full queues (all peers).
     */
    public void writeInfo(InfoBuilder out) {
        long dropped = 0;
        for (OutboundConnection c : outbound) {
            if (c != null) {
                dropped += c.droppedMessages();
            }
        }
        FrameStats f = context.frames;
        out.field("peer_max_frame_bytes", context.settings.maxFrameBytes())
                .field("peer_max_message_bytes", context.settings.maxMessageBytes())
                .field("peer_messages_fragmented_sent", f.messagesFragmented.get())
                .field("peer_fragments_sent", f.fragmentsSent.get())
                .field("peer_largest_message_sent_bytes", f.largestSent.get())
                .field("peer_large_sends_aborted", f.largeSendsAborted.get())
                .field("peer_messages_reassembled", f.messagesReassembled.get())
                .field("peer_fragments_received", f.fragmentsReceived.get())
                .field("peer_largest_message_received_bytes", f.largestReceived.get())
                .field("peer_reassembly_errors", f.reassemblyErrors.get())
                .field("peer_protocol_errors", context.protocolErrors.get())
                .field("peer_auth_failures", context.authFailures.get())
                .field("peer_unauthenticated_refused", context.unauthenticatedRefused.get())
                .field("peer_dropped_messages", dropped);
    }

    /** Inbound connections accepted and not authenticated yet. */
    public int unauthenticatedConnections() {
        return context.unauthenticated.get();
    }

    /** Inbound connections closed at once because too many were waiting to authenticate. */
    public long unauthenticatedRefused() {
        return context.unauthenticatedRefused.get();
    }

    /** Handshakes that failed because a side did not prove the cluster secret. */
    public long authFailures() {
        return context.authFailures.get();
    }

    /** Connections closed for malformed or unexpected input. */
    public long protocolErrors() {
        return context.protocolErrors.get();
    }

    /** The open inbound (receiving) connections; for tests. */
    Set<Channel> inboundChannels() {
        return inbound;
    }

    /** Number of open inbound (receiving) connections. */
    public int inboundConnections() {
        return inbound.size();
    }

    /**
     * Cuts this node off from {@code nodeIds} (added to any existing cut), as a network partition
     * would: closes the connections to and from them, and until {@link #heal} fails every reconnect
     * attempt to them and drops their handshakes and messages. Throws {@link
     * IllegalArgumentException} (changing nothing) if an id is this node's or not a cluster member.
     */
    @Override
    public void partition(Collection<Integer> nodeIds) {
        List<Integer> ids = new ArrayList<>(nodeIds.size());
        for (int id : nodeIds) {
            if (id == context.localNodeId) {
                throw new IllegalArgumentException("node " + id + " is this node; it cannot be partitioned from itself");
            }
            if (!context.topology.contains(id)) {
                throw new IllegalArgumentException("node " + id + " is not a member of cluster '" + context.clusterName
                        + "'");
            }
            ids.add(id);
        }
        // The cut first, then the channels: a handshake that raced past the cut check has its
        // peer-id attribute set by now and is closed here (see InboundConnectionHandler.onHello).
        context.cut.add(ids);
        for (int id : ids) {
            outbound[id].sever();
        }
        for (Channel ch : inbound) {
            Integer peer = ch.attr(TransportContext.PEER_ID).get();
            if (peer != null && context.cut.contains(peer)) {
                ch.close();
            }
        }
        TransportContext.LOG.warn("node {} partitioned from nodes {} by operator command (now cut off from {})",
                context.localNodeId, ids, context.cut.members());
    }

    /**
     * Lifts the cut for {@code nodeIds} (every node when empty); returns the nodes it was lifted
     * for. Connections come back through the ordinary reconnect path.
     */
    @Override
    public SortedSet<Integer> heal(Collection<Integer> nodeIds) {
        SortedSet<Integer> healed = context.cut.remove(nodeIds.isEmpty() ? context.cut.members() : nodeIds);
        if (!healed.isEmpty()) {
            TransportContext.LOG.warn("node {} healed its partition from nodes {} by operator command{}",
                    context.localNodeId, healed, context.cut.members().isEmpty() ? ""
                            : " (still cut off from " + context.cut.members() + ")");
        }
        return healed;
    }

    /** The nodes this node is currently cut off from by {@link #partition}, ascending. */
    @Override
    public SortedSet<Integer> partitionedFrom() {
        return context.cut.members();
    }

    private OutboundConnection connection(int nodeId) {
        return nodeId >= 0 && nodeId < outbound.length ? outbound[nodeId] : null;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (OutboundConnection c : outbound) {
            if (c != null) {
                c.close();
            }
        }
        Channel server = serverChannel;
        if (server != null) {
            server.close().syncUninterruptibly();
        }
        for (Channel ch : inbound) {
            ch.close();
        }
        if (ownsGroup) {
            context.group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        context.deliveryExecutors.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
