package io.converge.server.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits behind the {@link io.netty.handler.ssl.SslHandler} of a TLS connection until its handshake
 * ends: a failed handshake (no or an untrusted client certificate, a protocol the server does not
 * accept, plaintext on the TLS port, a timeout) is logged in one line, as Redis logs it, and closes
 * only that connection; a successful one removes this handler, so the connection's reads pass
 * nothing extra. The handshake's own exception is not passed on (the one line says it all).
 */
public final class TlsHandshakeGuard extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TlsHandshakeGuard.class);
    private static final int MAX_REASON = 200;

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            ctx.fireUserEventTriggered(evt);
            if (done.isSuccess()) {
                ctx.pipeline().remove(this);
            } else {
                log.warn("Error accepting a client connection: {} (conn: {})", reason(done.cause()),
                        ctx.channel().remoteAddress());
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (sslFailure(cause)) {
            ctx.close(); // the handshake's failure: logged once with its completion event
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    /** Whether {@code cause} is (or wraps) a TLS failure. */
    static boolean sslFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return true;
            }
        }
        return false;
    }

    private static String reason(Throwable cause) {
        Throwable t = cause;
        while (t.getCause() != null && t.getCause() != t && t.getMessage() == null) {
            t = t.getCause();
        }
        String text = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        // Netty's "not an SSL/TLS record" carries a hex dump of everything the client sent.
        return text.length() <= MAX_REASON ? text : text.substring(0, MAX_REASON) + "...";
    }
}
