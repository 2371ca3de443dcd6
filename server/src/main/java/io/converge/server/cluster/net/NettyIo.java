package io.converge.server.cluster.net;

import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/** Native epoll when available, NIO otherwise; channel classes always match the event-loop group. */
final class NettyIo {

    private NettyIo() {}

    /** I/O handler for the transport's own event loops. */
    static IoHandlerFactory ownIoHandler() {
        return Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    static Class<? extends ServerChannel> serverChannel(IoEventLoopGroup group) {
        return group.isIoType(EpollIoHandler.class) ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    static Class<? extends SocketChannel> socketChannel(IoEventLoopGroup group) {
        return group.isIoType(EpollIoHandler.class) ? EpollSocketChannel.class : NioSocketChannel.class;
    }
}
