package io.converge.server.net;

import io.converge.server.command.NodeServices;
import io.converge.server.config.ConvergeConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The client-facing TCP server: epoll when available (else NIO), one event loop per core (or
 * {@code io-threads}), listening on every {@code bind} address. Each connection gets a
 * {@link ClientHandler}; commands execute on the connection's event loop.
 */
public final class NettyServer implements AutoCloseable {
    /** Set to "nio" to force the NIO transport. */
    public static final String TRANSPORT_PROPERTY = "converge.transport";

    private final NodeServices node;
    private final List<Channel> serverChannels = new ArrayList<>();
    private EventLoopGroup group;
    private int port;
    private String transport;

    /** Creates the server for {@code node} (not started). */
    public NettyServer(NodeServices node) {
        this.node = node;
    }

    /** Binds every configured address; throws if one cannot be bound. */
    public void start() throws InterruptedException {
        ConvergeConfig config = node.config().current();
        // Default: half the cores. The other half runs the GC, the log writer, replication and the
        // kernel's network work; measured on 2 cores, one loop gave 1.4-1.6x the pipelined
        // throughput of two and lower p99 (BENCHMARKS.md).
        int threads = config.ioThreads() > 0 ? config.ioThreads() : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        boolean epoll = Epoll.isAvailable() && !"nio".equalsIgnoreCase(System.getProperty(TRANSPORT_PROPERTY));
        IoHandlerFactory ioFactory = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        transport = epoll ? "epoll" : "nio";
        group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("converge-io", true), ioFactory);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 511)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ClientHandler(node));
                    }
                });
        int wanted = config.port();
        try {
            for (String address : config.bind()) {
                Channel ch = bootstrap.bind(address, wanted).sync().channel();
                serverChannels.add(ch);
                if (wanted == 0) {
                    // Port 0: the first bind picks a free port; the other addresses use the same one.
                    wanted = ((InetSocketAddress) ch.localAddress()).getPort();
                }
            }
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        port = wanted;
        node.networkStarted(port, transport);
    }

    /** The bound port. */
    public int port() {
        return port;
    }

    /** "epoll" or "nio". */
    public String transport() {
        return transport;
    }

    /** Stops accepting, closes every connection and stops the event loops. */
    @Override
    public void close() {
        for (Channel ch : serverChannels) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        serverChannels.clear();
        node.clients().all().forEach(c -> c.channel().close());
        if (group != null) {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
            group = null;
        }
    }
}
