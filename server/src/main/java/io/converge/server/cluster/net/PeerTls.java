package io.converge.server.cluster.net;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslHandler;

/**
 * Where the peer transport gets the TLS handlers of its connections when the cluster's peer links
 * use mutual TLS: both sides present a certificate and verify the other's against their CA,
 * before and in addition to the secret handshake.
 */
public interface PeerTls {
    /** The server side of a connection a peer dialled: a peer certificate is required. */
    SslHandler accepting(ByteBufAllocator alloc);

    /** The client side of a connection this node dials to {@code host:port}. */
    SslHandler dialling(ByteBufAllocator alloc, String host, int port);
}
