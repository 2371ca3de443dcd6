package io.converge.server.command.acl;

import java.util.ArrayList;
import java.util.List;

/**
 * What one user may do: its flags ({@code on}/{@code off}, {@code nopass}, the payload
 * sanitization flags), its password hashes (SHA-256, hex) and its selectors, the root one first.
 *
 * <p>Rules are applied to a fresh copy ({@link #copy()}) that is then published whole to the
 * {@link AclUser} (copy on write): once published an instance is never changed again, so the
 * connections reading it on their threads need no lock.
 */
final class UserRules {
    static final int ON = 1;
    static final int OFF = 2;
    static final int NOPASS = 4;
    static final int SKIP_SANITIZE_PAYLOAD = 8;
    static final int SANITIZE_PAYLOAD = 16;
    /** The flags in the order Redis lists them, with their names. */
    static final int[] FLAGS = {ON, OFF, NOPASS, SKIP_SANITIZE_PAYLOAD, SANITIZE_PAYLOAD};
    static final String[] FLAG_NAMES = {"on", "off", "nopass", "skip-sanitize-payload", "sanitize-payload"};

    int flags;
    final List<String> passwords = new ArrayList<>();
    final List<AclSelector> selectors = new ArrayList<>();
    private boolean unrestricted;

    private UserRules() {}

    /**
     * A new user as Redis creates one: disabled, no password, a root selector allowing nothing
     * (its channels: all of them when {@code acl-pubsub-default} is {@code allchannels}).
     */
    static UserRules created(int commandIds, boolean allChannels) {
        UserRules u = new UserRules();
        u.flags = OFF;
        u.selectors.add(new AclSelector(AclSelector.ROOT | (allChannels ? AclSelector.ALL_CHANNELS : 0), commandIds));
        return u.freeze();
    }

    /** A deep copy, to apply rules to. */
    UserRules copy() {
        UserRules u = new UserRules();
        u.flags = flags;
        u.passwords.addAll(passwords);
        for (AclSelector s : selectors) {
            u.selectors.add(s.copy());
        }
        return u;
    }

    /** Computes what the permission check's fast path needs; returns this. */
    UserRules freeze() {
        AclSelector root = root();
        unrestricted = root.has(AclSelector.ALL_COMMANDS) && root.has(AclSelector.ALL_KEYS)
                && root.has(AclSelector.ALL_CHANNELS);
        return this;
    }

    /** The root selector. */
    AclSelector root() {
        return selectors.get(0);
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    /** Whether the root selector allows every command, key and channel: nothing to check. */
    boolean unrestricted() {
        return unrestricted;
    }

    /** Whether the user may log in: enabled. */
    boolean enabled() {
        return !has(OFF);
    }
}
