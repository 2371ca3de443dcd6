package io.converge.server.cluster.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import javax.net.ssl.SSLException;

/**
 * Sits behind a peer connection's {@link io.netty.handler.ssl.SslHandler} until the TLS
 * handshake ends: a failure (no certificate, one the CA did not sign, plaintext from a node
 * without TLS) is logged once a minute per subject, counted as an authentication failure, and
 * closes the connection (a dialled one is retried with the usual backoff); a success removes it.
 */
final class PeerTlsGuard extends ChannelInboundHandlerAdapter {
    private static final int MAX_REASON = 200;
    private final TransportContext context;
    /** "node 2 at 127.0.0.1:17002" for a dialled connection, null for an accepted one. */
    private final String dialled;

    PeerTlsGuard(TransportContext context, String dialled) {
        this.context = context;
        this.dialled = dialled;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            ctx.fireUserEventTriggered(evt);
            if (done.isSuccess()) {
                ctx.pipeline().remove(this);
                return;
            }
            context.authFailures.incrementAndGet();
            String reason = reason(done.cause());
            if (dialled != null) {
                context.repeatedWarnings.warn("tls-out:" + dialled, "TLS handshake with {} failed, refused: {}",
                        dialled, reason);
            } else {
                String from = String.valueOf(ctx.channel().remoteAddress());
                context.repeatedWarnings.warn("tls-in:" + from.replaceFirst(":\\d+$", ""),
                        "TLS handshake with a peer connection from {} failed, refused: {}", from, reason);
            }
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                ctx.close(); // the handshake's failure: logged with its completion event
                return;
            }
        }
        ctx.fireExceptionCaught(cause);
    }

    private static String reason(Throwable cause) {
        Throwable t = cause;
        while (t.getMessage() == null && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String text = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return text.length() <= MAX_REASON ? text : text.substring(0, MAX_REASON) + "...";
    }
}
