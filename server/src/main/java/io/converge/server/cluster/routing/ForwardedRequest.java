package io.converge.server.cluster.routing;

import io.converge.server.cluster.ConsistencyLevel;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A client command (or a whole MULTI/EXEC transaction) that a node which does not replicate its
 * keys sends to a replica to run, with what the replica needs to run it as the client's node
 * would: the client's protocol version, its read and write consistency levels, the datacenter
 * {@code LOCAL_QUORUM} refers to (the client's node's), and the forwarding node's hybrid logical
 * clock (a replica refuses writes from a node whose clock runs too far ahead), and the client's ACL
 * user when it is restricted: the permission checks of the commands themselves were made where
 * the client is connected, but EXEC checks its queued commands again when it runs them, and a
 * script's {@code redis.call}s are checked against the user running it.
 *
 * <p>Wire form, the opaque payload of a peer {@code WRITE} message:
 * <pre>
 * u8 format (1) | u8 kind (0 command, 1 transaction) | u8 protocol (2|3)
 * u8 read level | u8 write level (ConsistencyLevel ordinals) | u16 coordinator datacenter
 * i64 coordinator HLC
 * u32 command count, then per command: u32 argc, then per argument: u32 length, bytes
 * [u16 user name length, user name bytes]   (only for a restricted user)
 * </pre>
 *
 * @param transaction    whether {@code commands} are the queued commands of one MULTI/EXEC
 * @param protocol       RESP version of the reply (2 or 3)
 * @param readLevel      the client's read level
 * @param writeLevel     the client's write level
 * @param coordinatorDc  datacenter index of the forwarding node
 * @param coordinatorHlc the forwarding node's HLC when it sent the request
 * @param commands       the commands, each {@code args} with the name first
 * @param user           the client's ACL user name, or null when the user may run everything
 */
record ForwardedRequest(boolean transaction, int protocol, ConsistencyLevel readLevel, ConsistencyLevel writeLevel,
                        int coordinatorDc, long coordinatorHlc, List<byte[][]> commands, String user) {

    private static final int FORMAT = 1;

    /** A request of a client whose user may run everything (no user sent). */
    ForwardedRequest(boolean transaction, int protocol, ConsistencyLevel readLevel, ConsistencyLevel writeLevel,
                     int coordinatorDc, long coordinatorHlc, List<byte[][]> commands) {
        this(transaction, protocol, readLevel, writeLevel, coordinatorDc, coordinatorHlc, commands, null);
    }
    private static final ConsistencyLevel[] LEVELS = ConsistencyLevel.values();

    /** Encodes the request. */
    byte[] encode() {
        int size = 1 + 1 + 1 + 1 + 1 + 2 + 8 + 4;
        for (byte[][] args : commands) {
            size += 4;
            for (byte[] a : args) {
                size += 4 + a.length;
            }
        }
        byte[] userBytes = user == null ? null : user.getBytes(StandardCharsets.ISO_8859_1);
        if (userBytes != null) {
            size += 2 + userBytes.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put((byte) FORMAT).put((byte) (transaction ? 1 : 0)).put((byte) protocol)
                .put((byte) readLevel.ordinal()).put((byte) writeLevel.ordinal()).putShort((short) coordinatorDc)
                .putLong(coordinatorHlc).putInt(commands.size());
        for (byte[][] args : commands) {
            b.putInt(args.length);
            for (byte[] a : args) {
                b.putInt(a.length).put(a);
            }
        }
        if (userBytes != null) {
            b.putShort((short) userBytes.length).put(userBytes);
        }
        return b.array();
    }

    /** Decodes a request; throws {@link IllegalArgumentException} for anything malformed. */
    static ForwardedRequest decode(byte[] payload) {
        try {
            ByteBuffer b = ByteBuffer.wrap(payload);
            int format = b.get() & 0xFF;
            if (format != FORMAT) {
                throw new IllegalArgumentException("unknown forwarded-command format " + format);
            }
            int kind = b.get() & 0xFF;
            int protocol = b.get() & 0xFF;
            int read = b.get() & 0xFF;
            int write = b.get() & 0xFF;
            int dc = b.getShort() & 0xFFFF;
            long hlc = b.getLong();
            int count = b.getInt();
            if (kind > 1 || (protocol != 2 && protocol != 3) || read >= LEVELS.length || write >= LEVELS.length
                    || count < 1 || count > b.remaining() / 4) {
                throw new IllegalArgumentException("malformed forwarded-command header");
            }
            List<byte[][]> commands = new ArrayList<>(count);
            for (int c = 0; c < count; c++) {
                int argc = b.getInt();
                if (argc < 1 || argc > b.remaining() / 4) {
                    throw new IllegalArgumentException("malformed forwarded command");
                }
                byte[][] args = new byte[argc][];
                for (int i = 0; i < argc; i++) {
                    int len = b.getInt();
                    if (len < 0 || len > b.remaining()) {
                        throw new IllegalArgumentException("malformed forwarded argument");
                    }
                    args[i] = new byte[len];
                    b.get(args[i]);
                }
                commands.add(args);
            }
            String user = null;
            if (b.hasRemaining()) {
                int len = b.getShort() & 0xFFFF;
                if (len > b.remaining()) {
                    throw new IllegalArgumentException("malformed user of a forwarded command");
                }
                byte[] name = new byte[len];
                b.get(name);
                user = new String(name, StandardCharsets.ISO_8859_1);
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes after a forwarded command");
            }
            return new ForwardedRequest(kind == 1, protocol, LEVELS[read], LEVELS[write], dc, hlc, commands, user);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated forwarded command", e);
        }
    }
}
