package io.converge.server.tls;

import io.converge.server.config.ConfigException;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.config.LiveConfig;
import io.converge.server.config.TlsOptions;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's TLS contexts, as its configuration describes them, and the {@link SslHandler}s made
 * from them for each new connection. Off until something needs TLS ({@link #enable()}: the TLS
 * listener, or TLS peer links), then rebuilt whenever CONFIG SET changes a TLS key (Redis 7.0's
 * reload without restart): a new certificate, key, CA, protocol list or tls-auth-clients applies
 * to the connections made afterwards, while established ones keep the session they negotiated.
 * A change whose files cannot be loaded is refused with Redis's CONFIG SET error, the reason
 * logged, and the contexts in force stay.
 */
public final class TlsContexts {
    /** Redis's CONFIG SET error when the new TLS configuration cannot be applied. */
    public static final String UPDATE_FAILED = "Unable to update TLS configuration. Check server logs.";
    private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

    private final LiveConfig config;
    /** Null while TLS is off. */
    private volatile Contexts current;

    /** The contexts of a node whose configuration is {@code config} (off until {@link #enable()}). */
    public TlsContexts(LiveConfig config) {
        this.config = config;
        config.onChange(this::prepare);
    }

    /**
     * Builds the contexts from the configuration in force unless they exist; throws
     * ConfigException naming the key and file at fault (the node then refuses to start).
     */
    public synchronized void enable() {
        if (current == null) {
            current = build(config.current().tls());
        }
    }

    /** Whether the contexts are built (something of this node speaks TLS). */
    public boolean enabled() {
        return current != null;
    }

    /** The handler that makes a new client connection TLS (server side, per tls-auth-clients). */
    public SslHandler newServerHandler(ByteBufAllocator alloc) {
        Contexts c = contexts();
        return handler(c.server.newHandler(alloc), c.preferServerCiphers);
    }

    /** The handler of a connection a peer dialled: a certificate is always required. */
    public SslHandler newPeerServerHandler(ByteBufAllocator alloc) {
        Contexts c = contexts();
        return handler(c.peerServer.newHandler(alloc), c.preferServerCiphers);
    }

    /** The handler of a connection this node dials to a peer at {@code host:port}. */
    public SslHandler newClientHandler(ByteBufAllocator alloc, String host, int port) {
        return contexts().client.newHandler(alloc, host, port);
    }

    private Contexts contexts() {
        Contexts c = current;
        if (c == null) {
            throw new IllegalStateException("TLS is not enabled");
        }
        return c;
    }

    /** CONFIG SET: builds the contexts of {@code next} when its TLS keys differ; refuses it if they cannot be built. */
    private synchronized Runnable prepare(ConvergeConfig now, ConvergeConfig next) {
        if (current == null || now.tls().equals(next.tls())) {
            return null;
        }
        Contexts built;
        try {
            built = build(next.tls());
        } catch (ConfigException e) {
            log.warn("Failed applying new TLS configuration, keeping the previous one: {}", e.getMessage());
            throw new ConfigException(UPDATE_FAILED);
        }
        return () -> {
            current = built;
            log.info("TLS configuration reloaded: new connections use it");
        };
    }

    private static Contexts build(TlsOptions o) {
        return new Contexts(TlsContextFactory.server(o), TlsContextFactory.peerServer(o), TlsContextFactory.client(o),
                o.preferServerCiphers());
    }

    /** Applies tls-prefer-server-ciphers, which Netty's builder does not cover, to a new server handler. */
    private static SslHandler handler(SslHandler handler, boolean preferServerCiphers) {
        SSLEngine engine = handler.engine();
        SSLParameters params = engine.getSSLParameters();
        params.setUseCipherSuitesOrder(preferServerCiphers);
        engine.setSSLParameters(params);
        return handler;
    }

    /** The contexts built from one configuration. */
    private record Contexts(SslContext server, SslContext peerServer, SslContext client, boolean preferServerCiphers) {}
}
