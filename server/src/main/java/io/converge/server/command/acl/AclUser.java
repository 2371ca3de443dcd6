package io.converge.server.command.acl;

/**
 * A user that connections authenticate as. Its rules are replaced whole when ACL SETUSER (here
 * or on another node) changes them, so the connections authenticated as the user see the new
 * rules at their next command, as in Redis; a deleted user is marked so, and its connections are
 * closed.
 */
public final class AclUser {
    private final String name;
    private volatile UserRules rules;
    private volatile boolean deleted;

    AclUser(String name, UserRules rules) {
        this.name = name;
        this.rules = rules;
    }

    /** The user name. */
    public String name() {
        return name;
    }

    UserRules rules() {
        return rules;
    }

    void rules(UserRules rules) {
        this.rules = rules;
    }

    /** Whether the user was deleted (its connections are being closed). */
    public boolean deleted() {
        return deleted;
    }

    void markDeleted() {
        deleted = true;
    }

    /** Whether the user may run any command on any key and channel: the dispatcher's check is then a no-op. */
    public boolean unrestricted() {
        return rules.unrestricted();
    }

    /**
     * Whether one of the user's selectors gives access to every key ({@code allkeys}): SORT's BY
     * and GET patterns read keys no key spec names, so Redis allows them only then.
     */
    public boolean allKeys() {
        for (AclSelector s : rules.selectors) {
            if (s.has(AclSelector.ALL_KEYS)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the user is enabled and needs no password (a new connection is then authenticated as it). */
    public boolean openWithoutPassword() {
        UserRules r = rules;
        return r.has(UserRules.NOPASS) && r.enabled();
    }

    @Override
    public String toString() {
        return "user " + name;
    }
}
