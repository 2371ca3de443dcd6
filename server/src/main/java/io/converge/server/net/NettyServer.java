package io.converge.server.net;

import io.converge.server.command.NodeServices;
import io.converge.server.config.ConfigException;
import io.converge.server.config.ConvergeConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The client-facing TCP server: listens on every {@code bind} address on the node's
 * {@link EventLoops} (epoll when available, else NIO), on {@code port} for plaintext and on
 * {@code tls-port} for TLS. Each connection gets a {@link ClientHandler}, behind an
 * {@link io.netty.handler.ssl.SslHandler} on the TLS port; commands execute on the connection's
 * event loop.
 */
public final class NettyServer implements AutoCloseable {
    private final NodeServices node;
    private final EventLoops loops;
    private final List<Channel> serverChannels = new ArrayList<>();
    private int port;
    private int tlsPort;

    /** Creates the server for {@code node} on {@code loops} (not started; the loops stay the caller's). */
    public NettyServer(NodeServices node, EventLoops loops) {
        this.node = node;
        this.loops = loops;
    }

    /**
     * Binds every configured address: the plaintext {@code port} (unless TLS-only) and the
     * {@code tls-port} (if set); throws if one cannot be bound or the TLS files cannot be loaded.
     */
    public void start() throws InterruptedException {
        ConvergeConfig config = node.config().current();
        if (config.tlsPort() > 0) {
            try {
                node.tls().enable(); // fails here, before anything listens, if the TLS files are unusable
            } catch (ConfigException e) {
                throw new ConfigException("Failed to configure TLS: " + e.getMessage(), e);
            }
        }
        try {
            if (!config.tlsOnly()) {
                port = bindAll(config.bind(), config.port(), new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new ClientHandler(node));
                    }
                });
            }
            if (config.tlsPort() > 0) {
                // A separate listener with its own pipeline: the plaintext one above carries no TLS handler.
                tlsPort = bindAll(config.bind(), config.tlsPort(), new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(node.tls().newServerHandler(ch.alloc()), new TlsHandshakeGuard(),
                                new ClientHandler(node));
                    }
                });
            }
        } catch (RuntimeException | InterruptedException e) {
            close();
            throw e;
        }
        node.networkStarted(port, tlsPort, loops.transportName());
    }

    /** Binds {@code port} on every address with connections set up by {@code init}; returns the port bound. */
    private int bindAll(List<String> addresses, int wanted, ChannelInitializer<SocketChannel> init)
            throws InterruptedException {
        Class<? extends ServerChannel> channelType = loops.epoll() ? EpollServerSocketChannel.class
                : NioServerSocketChannel.class;
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.group())
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 511)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(init);
        for (String address : addresses) {
            Channel ch = bootstrap.bind(address, wanted).sync().channel();
            serverChannels.add(ch);
            if (wanted == 0) {
                // Port 0: the first bind picks a free port; the other addresses use the same one.
                wanted = ((InetSocketAddress) ch.localAddress()).getPort();
            }
        }
        return wanted;
    }

    /** The bound plaintext port (0: none, TLS only). */
    public int port() {
        return port;
    }

    /** The bound TLS port (0: none). */
    public int tlsPort() {
        return tlsPort;
    }

    /** "epoll" or "nio". */
    public String transport() {
        return loops.transportName();
    }

    /**
     * Stops accepting and closes every client connection, returning once they are closed (or
     * after 5 s): no client command runs after this, so what stops next (the cluster's
     * replication) never misses a write a client was told succeeded. The event loops keep running.
     */
    @Override
    public void close() {
        for (Channel ch : serverChannels) {
            ch.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        serverChannels.clear();
        node.clients().all().forEach(c -> c.channel().close());
        for (EventExecutor loop : loops.group()) {
            if (loop.inEventLoop()) {
                return; // waiting here would keep this loop from closing its own connections
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (node.clients().count() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2); // each connection leaves the registry once its channel is inactive
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
