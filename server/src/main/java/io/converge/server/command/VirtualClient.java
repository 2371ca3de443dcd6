package io.converge.server.command;

import io.converge.server.protocol.ReplyWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.function.Consumer;

/**
 * A client session without a socket, for running a command on this node on behalf of another
 * connection: a command another node forwarded here, one part of a multi-key command split per
 * replica set, or a command a Lua script runs. Its replies collect in memory and are taken as RESP bytes with {@link #take()}.
 * Authenticated (the original connection was checked where it arrived), in the protocol version
 * of the original connection. Used by one thread at a time; not registered with the node's
 * clients (CLIENT LIST does not show it). The deterministic simulation's clients are such
 * sessions too, so they run the production request path.
 */
public final class VirtualClient implements ConnectionChannel {
    /**
     * Heap buffers for the replies: they are copied out at once, never written to a socket, so
     * the direct buffers (and leak tracking) that the reply writer's I/O buffers would be cost
     * for nothing on every forwarded command and every command a script runs.
     */
    private static final ByteBufAllocator HEAP = new AbstractByteBufAllocator(false) {
        @Override
        public ByteBuf ioBuffer() {
            return heap(256);
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity) {
            return heap(initialCapacity);
        }

        @Override
        public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            return new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }

        private ByteBuf heap(int initialCapacity) {
            return new UnpooledHeapByteBuf(this, initialCapacity, Integer.MAX_VALUE);
        }
    };

    private final ReplyWriter writer;
    private final ClientConnection client;

    private final boolean answersAtOnce;

    /** A session of {@code node} whose replies are written in RESP {@code protocol}. */
    public VirtualClient(NodeServices node, int protocol) {
        this(node, protocol, false);
    }

    /**
     * A session of {@code node} whose replies are written in RESP {@code protocol}; with
     * {@code answersAtOnce}, its commands never finish their replies later (a script's session).
     */
    public VirtualClient(NodeServices node, int protocol, boolean answersAtOnce) {
        this.answersAtOnce = answersAtOnce;
        this.writer = new ReplyWriter(HEAP, node.stats()::errorReply);
        this.writer.protocol(protocol);
        this.client = new ClientConnection(0, this, writer, node, true);
    }

    /** The session to run commands in. */
    public ClientConnection client() {
        return client;
    }

    /** The replies written so far, as RESP bytes; the writer starts empty again. */
    public byte[] take() {
        return writer.takeBytes();
    }

    @Override
    public String remoteAddress() {
        return "cluster";
    }

    @Override
    public String localAddress() {
        return "cluster";
    }

    @Override
    public int fileDescriptor() {
        return -1;
    }

    @Override
    public void close() {
        // nothing to close: the session ends with its request
    }

    @Override
    public boolean virtual() {
        return true;
    }

    @Override
    public boolean answersAtOnce() {
        return answersAtOnce;
    }

    @Override
    public void push(Consumer<ReplyWriter> message) {
        // never subscribed: a forwarded command is never a SUBSCRIBE (those run where the client is)
    }

    @Override
    public long queryBufferBytes() {
        return 0;
    }

    @Override
    public long outputBufferBytes() {
        return writer.pendingBytes();
    }

    @Override
    public boolean overOutputLimit(long nowMillis) {
        return false;
    }
}
