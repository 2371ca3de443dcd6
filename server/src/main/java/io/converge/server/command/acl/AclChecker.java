package io.converge.server.command.acl;

import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandSpec;
import io.converge.server.util.Glob;
import java.util.Arrays;
import java.util.List;

/**
 * Whether a user may run a command with its arguments, as Redis 7.0 decides: each selector is
 * tried in turn and the first that allows the command, every key it names (with the access the
 * key spec implies) and every channel it publishes or subscribes to lets it run. When none does,
 * the denial reported is the most specific one: a channel over a key over the command, and among
 * equals the one found at the latest argument.
 *
 * <p>Commands flagged {@code no-auth} (AUTH, HELLO) are never refused for the command itself.
 * Channels are checked for PUBLISH, SPUBLISH, SUBSCRIBE, SSUBSCRIBE (names matched against the
 * channel patterns) and PSUBSCRIBE (its patterns must equal a channel pattern literally).
 */
final class AclChecker {
    /** Denial reasons, in Redis's order of relevance (ACL_DENIED_*). */
    static final int COMMAND = 1;
    static final int KEY = 2;
    static final int AUTH = 3;
    static final int CHANNEL = 4;

    /** Why a command was refused: {@code reason} and, for a key or channel, the index of that argument. */
    record Denial(int reason, int argIndex) {}

    private static final int PUBLISH = 1;
    private static final int SUBSCRIBE = 2;
    private static final int PATTERN_SUBSCRIBE = 3;

    private AclChecker() {}

    /** Null when {@code rules} allow {@code cmd} with {@code args}, else why not. */
    static Denial check(UserRules rules, CommandSpec cmd, byte[][] args) {
        if (rules.unrestricted()) {
            return null;
        }
        int relevant = COMMAND;
        int lastIndex = 0;
        List<AclKeys.KeyRef> keys = null;
        for (AclSelector s : rules.selectors) {
            Denial d;
            if (!commandAllowed(s, cmd, args)) {
                d = new Denial(COMMAND, 0);
            } else {
                if (keys == null && !s.has(AclSelector.ALL_KEYS) && hasKeys(cmd)) {
                    keys = AclKeys.of(cmd, args); // found once for all selectors
                }
                d = keysDenied(s, cmd, args, keys);
                if (d == null) {
                    d = channelsDenied(s, cmd, args);
                }
                if (d == null) {
                    return null;
                }
            }
            if (d.reason() > relevant || (d.reason() == relevant && d.argIndex() > lastIndex)) {
                relevant = d.reason();
                lastIndex = d.argIndex();
            }
        }
        return new Denial(relevant, lastIndex);
    }

    private static boolean hasKeys(CommandSpec cmd) {
        return cmd.hasKeys() || !cmd.keySpecs().isEmpty();
    }

    private static boolean commandAllowed(AclSelector s, CommandSpec cmd, byte[][] args) {
        if (s.has(AclSelector.ALL_COMMANDS) || cmd.has(CommandFlag.NO_AUTH) || s.bit(cmd.aclId())) {
            return true;
        }
        int at = cmd.isSubcommand() ? 2 : 1;
        if (args.length < 2 || at >= args.length) {
            return false;
        }
        for (String allowed : s.firstArgs(cmd.aclId())) {
            if (allowed.equalsIgnoreCase(AclText.of(args[at]))) {
                return true;
            }
        }
        return false;
    }

    private static Denial keysDenied(AclSelector s, CommandSpec cmd, byte[][] args, List<AclKeys.KeyRef> keys) {
        if (s.has(AclSelector.ALL_KEYS) || keys == null) {
            return null;
        }
        for (AclKeys.KeyRef ref : keys) {
            if (!keyAllowed(s, args[ref.index()], ref.access())) {
                return new Denial(KEY, ref.index());
            }
        }
        return null;
    }

    /** Whether a pattern of {@code s} granting at least {@code access} matches {@code key}. */
    static boolean keyAllowed(AclSelector s, byte[] key, int access) {
        if (s.has(AclSelector.ALL_KEYS)) {
            return true;
        }
        for (AclSelector.KeyPattern p : s.keys) {
            if ((p.access & access) == access && Glob.matches(p.pattern.bytes(), key, false)) {
                return true;
            }
        }
        return false;
    }

    private static Denial channelsDenied(AclSelector s, CommandSpec cmd, byte[][] args) {
        if (s.has(AclSelector.ALL_CHANNELS)) {
            return null;
        }
        int kind = channelKind(cmd);
        if (kind == 0) {
            return null;
        }
        int last = kind == PUBLISH ? Math.min(1, args.length - 1) : args.length - 1;
        for (int i = 1; i <= last; i++) {
            if (!channelAllowed(s.channels, args[i], kind == PATTERN_SUBSCRIBE)) {
                return new Denial(CHANNEL, i);
            }
        }
        return null;
    }

    /** Whether {@code channel} (a pattern itself when {@code isPattern}) is covered by one of {@code patterns}. */
    static boolean channelAllowed(List<AclSelector.Pattern> patterns, byte[] channel, boolean isPattern) {
        for (AclSelector.Pattern p : patterns) {
            if (isPattern ? Arrays.equals(p.bytes(), channel) : Glob.matches(p.bytes(), channel, false)) {
                return true;
            }
        }
        return false;
    }

    private static int channelKind(CommandSpec cmd) {
        return switch (cmd.fullName()) {
            case "publish", "spublish" -> PUBLISH;
            case "subscribe", "ssubscribe" -> SUBSCRIBE;
            case "psubscribe" -> PATTERN_SUBSCRIBE;
            default -> 0;
        };
    }
}
