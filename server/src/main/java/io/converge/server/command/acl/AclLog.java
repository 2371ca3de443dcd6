package io.converge.server.command.acl;

import io.converge.server.protocol.ReplyWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * ACL LOG: the latest denials on this node, newest first, as Redis 7.0 keeps them. A denial like
 * one of the ten newest entries (same reason, context, object and user, within 60 s) bumps that
 * entry's count, moves it to the front and takes the new time and client instead of adding one.
 * At most {@code acllog-max-len} entries are kept. Each node keeps its own log.
 */
final class AclLog {
    /** Contexts of a denial. */
    static final String TOPLEVEL = "toplevel";
    static final String MULTI = "multi";
    static final String LUA = "lua";
    private static final long GROUPING_MILLIS = 60_000;
    private static final int SCAN = 10;

    private static final class Entry {
        long count = 1;
        final int reason;
        final String context;
        final byte[] object;
        final String username;
        long millis;
        String clientInfo;

        Entry(int reason, String context, byte[] object, String username, long millis, String clientInfo) {
            this.reason = reason;
            this.context = context;
            this.object = object;
            this.username = username;
            this.millis = millis;
            this.clientInfo = clientInfo;
        }

        boolean sameAs(Entry o) {
            return reason == o.reason && context.equals(o.context) && Math.abs(millis - o.millis) <= GROUPING_MILLIS
                    && java.util.Arrays.equals(object, o.object) && username.equals(o.username);
        }
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>();

    /** Records a denial; keeps at most {@code maxLen} entries. */
    synchronized void add(int reason, String context, byte[] object, String username, String clientInfo, long maxLen) {
        Entry e = new Entry(reason, context, object, username, System.currentTimeMillis(), clientInfo);
        Iterator<Entry> it = entries.iterator();
        for (int i = 0; i < SCAN && it.hasNext(); i++) {
            Entry old = it.next();
            if (old.sameAs(e)) {
                it.remove();
                old.count++;
                old.millis = e.millis;
                old.clientInfo = e.clientInfo;
                entries.addFirst(old);
                return;
            }
        }
        entries.addFirst(e);
        while (entries.size() > maxLen) {
            entries.removeLast();
        }
    }

    /** ACL LOG RESET. */
    synchronized void reset() {
        entries.clear();
    }

    /** One entry as shown, copied under the lock. */
    private record Shown(long count, int reason, String context, byte[] object, String username, long millis,
                         String clientInfo) {}

    /** Writes the newest {@code count} entries as ACL LOG does (a map of seven fields each). */
    void write(ReplyWriter r, long count) {
        List<Shown> shown = new ArrayList<>();
        long now;
        synchronized (this) {
            now = System.currentTimeMillis();
            for (Entry e : entries) {
                if (shown.size() >= count) {
                    break;
                }
                shown.add(new Shown(e.count, e.reason, e.context, e.object, e.username, e.millis, e.clientInfo));
            }
        }
        r.arrayHeader(shown.size());
        for (Shown e : shown) {
            r.mapHeader(7);
            r.bulk("count");
            r.integer(e.count());
            r.bulk("reason");
            r.bulk(reasonName(e.reason()));
            r.bulk("context");
            r.bulk(e.context());
            r.bulk("object");
            r.bulk(e.object());
            r.bulk("username");
            r.bulk(AclText.bytes(e.username()));
            r.bulk("age-seconds");
            r.doubleValue((now - e.millis()) / 1000.0);
            r.bulk("client-info");
            r.bulk(e.clientInfo().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static String reasonName(int reason) {
        return switch (reason) {
            case AclChecker.COMMAND -> "command";
            case AclChecker.KEY -> "key";
            case AclChecker.CHANNEL -> "channel";
            case AclChecker.AUTH -> "auth";
            default -> "unknown";
        };
    }
}
