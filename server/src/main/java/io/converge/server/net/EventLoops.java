package io.converge.server.net;

import io.converge.server.config.ConvergeConfig;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * A node's network threads: one group of event loops serving both its client connections and
 * (in a cluster) its peer connections.
 *
 * <p>Sharing matters for latency: a replicated write is applied on a client connection's loop,
 * which hands its delta to a peer connection, then completes the client's reply when the peers'
 * acknowledgements arrive. When those connections live on the same loop, none of these steps
 * wakes another thread, and the deltas of a whole batch of pipelined commands go out in one
 * write. Separate groups would add two thread hand-offs per write and compete for the same cores.
 *
 * <p>Size: {@code io-threads}, or by default half the cores (at least one). The other half runs
 * the GC, the log writer, timers and the kernel's network work; measured on 2 cores, one loop
 * gave 1.4-1.6x the pipelined throughput of two and a lower p99 (BENCHMARKS.md).
 */
public final class EventLoops implements AutoCloseable {
    /** Set to "nio" to force the NIO transport. */
    public static final String TRANSPORT_PROPERTY = "converge.transport";

    private final IoEventLoopGroup group;
    private final boolean epoll;

    /** Starts the event loops {@code config} asks for. */
    public EventLoops(ConvergeConfig config) {
        int threads = config.ioThreads() > 0 ? config.ioThreads()
                : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        epoll = Epoll.isAvailable() && !"nio".equalsIgnoreCase(System.getProperty(TRANSPORT_PROPERTY));
        IoHandlerFactory ioFactory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("converge-io", true), ioFactory);
    }

    /** The event loops. */
    public IoEventLoopGroup group() {
        return group;
    }

    /** Whether the loops use Linux epoll (else Java NIO). */
    public boolean epoll() {
        return epoll;
    }

    /** "epoll" or "nio". */
    public String transportName() {
        return epoll ? "epoll" : "nio";
    }

    /** Stops the loops, waiting a little for their last tasks. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
    }
}
