package io.converge.server.command.acl;

import io.converge.server.command.AclCategory;
import io.converge.server.command.CommandSpec;
import io.converge.server.protocol.InlineSplitter;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies ACL rules to a user, one at a time, as Redis 7.0's ACL SETUSER and ACL files do:
 * {@code on off nopass resetpass >pw <pw #hash !hash reset (selector) clearselectors} act on the
 * user; {@code ~p %R~p %W~p allkeys resetkeys &p allchannels resetchannels +cmd -cmd
 * +cmd|sub +cmd|firstarg +@cat -@cat allcommands nocommands} act on its root selector (or, inside
 * parentheses, on a new selector). Rules match case-insensitively; a failing rule throws with
 * Redis's reason and the caller discards the copy it was applying to.
 */
final class AclRules {
    static final String SYNTAX = "Syntax error";
    static final String UNKNOWN = "Unknown command or category name in ACL";
    static final String KEYS_AFTER_ALL = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid "
            + "and does not have any effect. Try 'resetkeys' to start with an empty list of patterns";
    static final String CHANNELS_AFTER_ALL = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not "
            + "valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels";
    static final String NO_SUCH_PASSWORD = "The password you are trying to remove from the user does not exist";
    static final String BAD_HASH = "The password hash must be exactly 64 characters and contain only lowercase "
            + "hexadecimal characters";
    static final String FIRSTARG_OF_SUBCOMMAND = "Allowing first-arg of a subcommand is not supported";

    private final CommandCatalog catalog;
    private final boolean allChannelsByDefault;

    /** Rules over the commands of {@code catalog}; new selectors get all channels when {@code allChannelsByDefault}. */
    AclRules(CommandCatalog catalog, boolean allChannelsByDefault) {
        this.catalog = catalog;
        this.allChannelsByDefault = allChannelsByDefault;
    }

    /** A new user (Redis's ACLCreateUser). */
    UserRules newUser() {
        return UserRules.created(catalog.size(), allChannelsByDefault);
    }

    /** The default user as Redis creates it: {@code on nopass ~* &* +@all}. */
    UserRules defaultUser() {
        UserRules u = newUser().copy();
        try {
            apply(u, "+@all");
            apply(u, "~*");
            apply(u, "&*");
            apply(u, "on");
            apply(u, "nopass");
        } catch (AclRuleException e) {
            throw new IllegalStateException(e);
        }
        return u.freeze();
    }

    /** Applies one rule to {@code u} (an unpublished copy). */
    void apply(UserRules u, String op) throws AclRuleException {
        int len = op.length();
        if (len == 0) {
            return; // an empty rule does nothing
        }
        char first = op.charAt(0);
        if (op.equalsIgnoreCase("on")) {
            u.flags = (u.flags | UserRules.ON) & ~UserRules.OFF;
        } else if (op.equalsIgnoreCase("off")) {
            u.flags = (u.flags | UserRules.OFF) & ~UserRules.ON;
        } else if (op.equalsIgnoreCase("skip-sanitize-payload")) {
            u.flags = (u.flags | UserRules.SKIP_SANITIZE_PAYLOAD) & ~UserRules.SANITIZE_PAYLOAD;
        } else if (op.equalsIgnoreCase("sanitize-payload")) {
            u.flags = (u.flags | UserRules.SANITIZE_PAYLOAD) & ~UserRules.SKIP_SANITIZE_PAYLOAD;
        } else if (op.equalsIgnoreCase("nopass")) {
            u.flags |= UserRules.NOPASS;
            u.passwords.clear();
        } else if (op.equalsIgnoreCase("resetpass")) {
            u.flags &= ~UserRules.NOPASS;
            u.passwords.clear();
        } else if (first == '>' || first == '#') {
            String hash = first == '>' ? Passwords.hash(AclText.bytes(op.substring(1))) : checkedHash(op.substring(1));
            if (!u.passwords.contains(hash)) {
                u.passwords.add(hash);
            }
            u.flags &= ~UserRules.NOPASS;
        } else if (first == '<' || first == '!') {
            String hash = first == '<' ? Passwords.hash(AclText.bytes(op.substring(1))) : checkedHash(op.substring(1));
            if (!u.passwords.remove(hash)) {
                throw new AclRuleException(NO_SUCH_PASSWORD);
            }
        } else if (first == '(' && op.charAt(len - 1) == ')') {
            u.selectors.add(selector(op));
        } else if (op.equalsIgnoreCase("clearselectors")) {
            u.selectors.subList(1, u.selectors.size()).clear();
        } else if (op.equalsIgnoreCase("reset")) {
            apply(u, "resetpass");
            apply(u, "resetkeys");
            apply(u, "resetchannels");
            if (allChannelsByDefault) {
                apply(u, "allchannels");
            }
            apply(u, "off");
            apply(u, "sanitize-payload");
            apply(u, "clearselectors");
            apply(u, "-@all");
        } else {
            applyToSelector(u.root(), op);
        }
    }

    private static String checkedHash(String hash) throws AclRuleException {
        if (!Passwords.isHash(hash)) {
            throw new AclRuleException(BAD_HASH);
        }
        return hash;
    }

    /**
     * A selector made of the rules inside {@code (...)}, split as Redis splits arguments (quotes
     * allowed; unbalanced quotes give an empty selector, as Redis's split gives no arguments).
     */
    private AclSelector selector(String op) throws AclRuleException {
        AclSelector s = new AclSelector(allChannelsByDefault ? AclSelector.ALL_CHANNELS : 0, catalog.size());
        byte[][] rules = InlineSplitter.split(AclText.bytes(op.substring(1, op.length() - 1)));
        if (rules != null) {
            for (byte[] rule : rules) {
                applyToSelector(s, AclText.of(rule));
            }
        }
        return s;
    }

    /** Applies a selector rule (keys, channels, commands) to {@code s}. */
    void applyToSelector(AclSelector s, String op) throws AclRuleException {
        int len = op.length();
        char first = op.charAt(0);
        char second = len > 1 ? op.charAt(1) : 0;
        if (op.equalsIgnoreCase("allkeys") || op.equals("~*")) {
            s.flags |= AclSelector.ALL_KEYS;
            s.keys.clear();
        } else if (op.equalsIgnoreCase("resetkeys")) {
            s.flags &= ~AclSelector.ALL_KEYS;
            s.keys.clear();
        } else if (op.equalsIgnoreCase("allchannels") || op.equals("&*")) {
            s.flags |= AclSelector.ALL_CHANNELS;
            s.channels.clear();
        } else if (op.equalsIgnoreCase("resetchannels")) {
            s.flags &= ~AclSelector.ALL_CHANNELS;
            s.channels.clear();
        } else if (op.equalsIgnoreCase("allcommands") || op.equalsIgnoreCase("+@all")) {
            s.allCommands();
        } else if (op.equalsIgnoreCase("nocommands") || op.equalsIgnoreCase("-@all")) {
            s.noCommands();
        } else if (first == '~' || first == '%') {
            addKeyPattern(s, op);
        } else if (first == '&') {
            if (s.has(AclSelector.ALL_CHANNELS)) {
                throw new AclRuleException(CHANNELS_AFTER_ALL);
            }
            String pattern = op.substring(1);
            if (AclText.hasSpaces(pattern)) {
                throw new AclRuleException(SYNTAX);
            }
            boolean present = false;
            for (AclSelector.Pattern c : s.channels) {
                present |= c.text().equals(pattern);
            }
            if (!present) {
                s.channels.add(AclSelector.Pattern.of(pattern));
            }
            s.flags &= ~AclSelector.ALL_CHANNELS;
        } else if (first == '+' && second != '@') {
            allow(s, op.substring(1));
        } else if (first == '-' && second != '@') {
            CommandSpec cmd = catalog.lookup(op.substring(1));
            if (cmd == null) {
                throw new AclRuleException(UNKNOWN);
            }
            s.change(cmd, false);
        } else if ((first == '+' || first == '-') && second == '@') {
            AclCategory category = AclCategory.byName(op.substring(2));
            if (category == null) {
                throw new AclRuleException(UNKNOWN);
            }
            s.change(catalog, category, first == '+');
        } else {
            throw new AclRuleException(SYNTAX);
        }
    }

    /** {@code ~p}, {@code %R~p}, {@code %W~p}, {@code %RW~p}: a key pattern (merging the access of an equal one). */
    private static void addKeyPattern(AclSelector s, String op) throws AclRuleException {
        if (s.has(AclSelector.ALL_KEYS)) {
            throw new AclRuleException(KEYS_AFTER_ALL);
        }
        int access = 0;
        int offset = 1;
        if (op.charAt(0) == '%') {
            for (; offset < op.length(); offset++) {
                char c = Character.toUpperCase(op.charAt(offset));
                if (c == 'R' && (access & AclSelector.READ) == 0) {
                    access |= AclSelector.READ;
                } else if (c == 'W' && (access & AclSelector.WRITE) == 0) {
                    access |= AclSelector.WRITE;
                } else if (op.charAt(offset) == '~') {
                    offset++;
                    break;
                } else {
                    throw new AclRuleException(SYNTAX);
                }
            }
            if (access == 0) {
                throw new AclRuleException(SYNTAX); // "%~p" grants nothing
            }
        } else {
            access = AclSelector.READ_WRITE;
        }
        String pattern = op.substring(Math.min(offset, op.length()));
        if (AclText.hasSpaces(pattern)) {
            throw new AclRuleException(SYNTAX);
        }
        for (AclSelector.KeyPattern k : s.keys) {
            if (k.pattern.text().equals(pattern)) {
                k.access |= access;
                s.flags &= ~AclSelector.ALL_KEYS;
                return;
            }
        }
        s.keys.add(new AclSelector.KeyPattern(AclSelector.Pattern.of(pattern), access));
        s.flags &= ~AclSelector.ALL_KEYS;
    }

    /** {@code +name}: a command, a container with all its subcommands, a subcommand, or a first argument. */
    private void allow(AclSelector s, String name) throws AclRuleException {
        int bar = name.lastIndexOf('|');
        if (bar < 0) {
            CommandSpec cmd = catalog.lookup(name);
            if (cmd == null) {
                throw new AclRuleException(UNKNOWN);
            }
            s.change(cmd, true);
            return;
        }
        CommandSpec cmd = catalog.lookup(name.substring(0, bar));
        if (cmd == null) {
            throw new AclRuleException(UNKNOWN);
        }
        if (cmd.isSubcommand()) {
            throw new AclRuleException(FIRSTARG_OF_SUBCOMMAND);
        }
        String sub = name.substring(bar + 1);
        if (sub.isEmpty()) {
            throw new AclRuleException(SYNTAX);
        }
        if (cmd.isContainer()) {
            CommandSpec subcommand = catalog.lookup(name);
            if (subcommand == null) {
                throw new AclRuleException(UNKNOWN);
            }
            s.change(subcommand, true);
        } else {
            // Redis's deprecated form (+select|0): a first argument of a command otherwise refused.
            s.addFirstArg(cmd.aclId(), sub);
        }
    }

    /**
     * Joins selector rules that arrive split over several arguments, as Redis does for ACL
     * SETUSER and ACL files: an argument opening with {@code (} but not closing it runs up to the
     * next argument ending with {@code )}, joined by spaces. Returns null when a parenthesis is
     * left open, with its argument's index in {@code unmatched[0]}.
     */
    static List<String> mergeSelectorArguments(List<String> args, int[] unmatched) {
        List<String> merged = new ArrayList<>(args.size());
        StringBuilder open = null;
        int openAt = -1;
        for (int j = 0; j < args.size(); j++) {
            String op = args.get(j);
            // As Redis: an opening argument starts the selector anew even inside an open one.
            if (!op.isEmpty() && op.charAt(0) == '(' && op.charAt(op.length() - 1) != ')') {
                open = new StringBuilder(op);
                openAt = j;
                continue;
            }
            if (open != null) {
                open.append(' ').append(op);
                if (!op.isEmpty() && op.charAt(op.length() - 1) == ')') {
                    merged.add(open.toString());
                    open = null;
                }
                continue;
            }
            merged.add(op);
        }
        if (open != null) {
            unmatched[0] = openAt;
            return null;
        }
        return merged;
    }
}
