package io.converge.server.command;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

/**
 * The slow log: commands whose execution took at least {@code slowlog-log-slower-than}
 * microseconds, newest first, at most {@code slowlog-max-len} of them, recorded as Redis records
 * them (at most 32 arguments, the last standing for those left out; arguments cut at 128 bytes;
 * passwords of AUTH and HELLO redacted). Commands on every I/O thread record here, so it locks;
 * a command faster than the threshold costs one comparison.
 */
public final class SlowLog {
    /** Arguments kept per entry, the last one saying how many more there were. */
    static final int MAX_ARGS = 32;
    /** Bytes kept of each argument. */
    static final int MAX_ARG_BYTES = 128;
    private static final byte[] REDACTED = "(redacted)".getBytes(StandardCharsets.US_ASCII);

    /**
     * One slow command.
     *
     * @param id         increasing from 0 since the node started
     * @param unixTime   when it ended, in seconds
     * @param micros     how long it ran
     * @param args       its arguments, trimmed and redacted as described above
     * @param client     the client's address ({@code ip:port})
     * @param clientName the client's name, or empty
     */
    public record Entry(long id, long unixTime, long micros, byte[][] args, String client, String clientName) {}

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long nextId;

    /**
     * Records {@code args} of {@code client}, which ran {@code micros}, when that is at least
     * {@code slowerThan} (negative: nothing is recorded); keeps at most {@code maxLen} entries.
     */
    public void record(ClientConnection client, byte[][] args, long micros, long slowerThan, long maxLen) {
        if (slowerThan < 0 || micros < slowerThan) {
            return;
        }
        byte[][] kept = trim(args);
        String name = client.name();
        String address = client.channel().remoteAddress();
        long unixTime = System.currentTimeMillis() / 1000;
        synchronized (this) {
            entries.addFirst(new Entry(nextId++, unixTime, micros, kept, address, name == null ? "" : name));
            while (entries.size() > maxLen) {
                entries.removeLast();
            }
        }
    }

    /** The newest {@code count} entries (all when negative), newest first. */
    public synchronized List<Entry> newest(long count) {
        List<Entry> out = new ArrayList<>();
        Iterator<Entry> it = entries.iterator();
        while (it.hasNext() && (count < 0 || out.size() < count)) {
            out.add(it.next());
        }
        return out;
    }

    /** Number of entries. */
    public synchronized int size() {
        return entries.size();
    }

    /** Drops every entry (ids go on increasing). */
    public synchronized void reset() {
        entries.clear();
    }

    /** The arguments as an entry keeps them: at most {@link #MAX_ARGS}, each cut, passwords redacted. */
    static byte[][] trim(byte[][] args) {
        boolean[] secret = credentials(args);
        int kept = Math.min(args.length, MAX_ARGS);
        byte[][] out = new byte[kept][];
        for (int i = 0; i < kept; i++) {
            if (kept != args.length && i == kept - 1) {
                out[i] = ("... (" + (args.length - kept + 1) + " more arguments)").getBytes(StandardCharsets.US_ASCII);
            } else if (secret[i]) {
                out[i] = REDACTED;
            } else if (args[i].length > MAX_ARG_BYTES) {
                byte[] tail = ("... (" + (args[i].length - MAX_ARG_BYTES) + " more bytes)")
                        .getBytes(StandardCharsets.US_ASCII);
                out[i] = Arrays.copyOf(args[i], MAX_ARG_BYTES + tail.length);
                System.arraycopy(tail, 0, out[i], MAX_ARG_BYTES, tail.length);
            } else {
                out[i] = args[i];
            }
        }
        return out;
    }

    /** Which arguments are credentials: every argument of AUTH; the user and password of HELLO's AUTH option. */
    private static boolean[] credentials(byte[][] args) {
        boolean[] secret = new boolean[args.length];
        if (CommandContext.equalsIgnoreCase(args[0], "auth")) {
            Arrays.fill(secret, 1, args.length, true);
        } else if (CommandContext.equalsIgnoreCase(args[0], "hello")) {
            for (int j = 2; j < args.length; j++) { // after the protocol version: AUTH user pass, SETNAME name
                if (CommandContext.equalsIgnoreCase(args[j], "auth")) {
                    for (int k = j + 1; k <= j + 2 && k < args.length; k++) {
                        secret[k] = true;
                    }
                    j += 2;
                } else if (CommandContext.equalsIgnoreCase(args[j], "setname")) {
                    j++;
                }
            }
        }
        return secret;
    }
}
