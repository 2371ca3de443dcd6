package io.converge.server.command.acl;

import io.converge.server.command.ClientCommands;
import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.CommandTable;
import io.converge.server.command.NodeServices;
import io.converge.server.command.PubSub;
import io.converge.server.config.ConfigException;
import io.converge.server.config.ConvergeConfig;
import io.converge.server.config.UserSpec;
import io.converge.server.util.LastWriterMap;
import io.converge.server.util.SharedState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's ACL: its users, the permission checks the dispatcher, EXEC and scripts make, AUTH,
 * the ACL LOG, and the changes ACL SETUSER, DELUSER, LOAD and CONFIG SET requirepass make.
 *
 * <p><b>Where users come from.</b> At start: the default user ({@code on nopass ~* &* +@all},
 * with {@code requirepass} as its password when set), the {@code users} list of the configuration
 * (a base that changes made at run time override) or the ACL file (taken as if loaded by ACL
 * LOAD when the file was last modified), then the changes made at run time and kept in
 * {@code acl.bin} ({@link SharedUsers}): for each user, its latest change wins, a tombstone
 * deleting it. In a cluster every change is shared, so every node converges to the same users.
 *
 * <p><b>Threads.</b> Changes are made under one lock; the connections read a user's rules
 * without one (each change publishes new, never modified rules). Until {@link #start()} (once
 * every command is registered, before clients connect) only a provisional default user exists.
 */
public final class Acl {
    private static final Logger log = LoggerFactory.getLogger(Acl.class);
    private static final String DEFAULT = "default";

    /** The rules are read and written against the node's commands, known once they are all registered. */
    private record Model(CommandCatalog catalog, AclDescriber describer) {}

    private final NodeServices node;
    private final Object lock = new Object();
    private final AclLog aclLog = new AclLog();
    private final SharedUsers shared;
    private final ConcurrentSkipListMap<String, AclUser> users = new ConcurrentSkipListMap<>();
    private final AclUser defaultUser;
    /** The users of the configuration (guarded by lock). */
    private Map<String, UserRules> base = Map.of();
    private volatile Model model;

    /** The ACL of {@code node} (its configuration and data directory are read now). */
    public Acl(NodeServices node) {
        this.node = node;
        ConvergeConfig config = node.config().current();
        Path file = config.effectiveDataDir() == null ? null : config.effectiveDataDir().resolve("acl.bin");
        this.shared = new SharedUsers(lock, file, node.nodeId(), this::merged);
        CommandCatalog none = new CommandCatalog(new CommandTable());
        this.defaultUser = new AclUser(DEFAULT, new AclRules(none, true).defaultUser());
        users.put(DEFAULT, defaultUser);
    }

    // ------------------------------------------------------------------ start

    /**
     * Builds the users once every command is registered: the configured ones, the ACL file's, the
     * changes kept from earlier runs. Throws {@link ConfigException} for invalid rules or an
     * unreadable ACL file (the node does not start, as Redis does not).
     */
    public void start() {
        synchronized (lock) {
            CommandCatalog catalog = new CommandCatalog(node.commands());
            model = new Model(catalog, new AclDescriber(catalog));
            ConvergeConfig config = node.config().current();
            base = configuredUsers(config);
            if (config.hasAclfile()) {
                loadFileAtStart(config);
            }
            Set<String> names = new TreeSet<>(base.keySet());
            for (LastWriterMap.Entry e : shared.all()) {
                names.add(e.name());
            }
            for (String name : names) {
                materialize(name, null);
            }
        }
    }

    private Map<String, UserRules> configuredUsers(ConvergeConfig config) {
        AclRules rules = rules();
        Map<String, UserRules> out = new LinkedHashMap<>();
        UserRules def = rules.defaultUser();
        out.put(DEFAULT, def);
        for (UserSpec spec : config.users()) {
            boolean isDefault = spec.name().equals(DEFAULT);
            UserRules u = isDefault ? def.copy() : rules.newUser().copy();
            List<String> ops = new ArrayList<>();
            if (spec.rules() == null) {
                // A user who may run everything; the default user just takes the password.
                ops.addAll(isDefault ? List.of("resetpass") : List.of("on", "~*", "&*", "+@all"));
                ops.add(">" + spec.password());
            } else {
                if (isDefault) {
                    ops.add("reset"); // as Redis treats "user default ..." in its configuration
                }
                if (spec.password() != null) {
                    ops.add(">" + spec.password());
                }
                ops.addAll(splitRules(spec.rules()));
            }
            for (String op : ops) {
                try {
                    rules.apply(u, op);
                } catch (AclRuleException e) {
                    throw new ConfigException("users: user '" + spec.name() + "': error in rule '" + op + "': "
                            + e.getMessage());
                }
            }
            out.put(spec.name(), u.freeze());
            if (isDefault) {
                def = u;
            }
        }
        if (!config.requirepass().isEmpty()) {
            out.put(DEFAULT, withPassword(out.get(DEFAULT), config.requirepass()));
        }
        return out;
    }

    /** Rules separated by spaces, selectors in parentheses joined (as ACL SETUSER receives them). */
    private static List<String> splitRules(String text) {
        List<String> parts = new ArrayList<>();
        for (String p : text.trim().split("\\s+")) {
            if (!p.isEmpty()) {
                parts.add(p);
            }
        }
        List<String> merged = AclRules.mergeSelectorArguments(parts, new int[1]);
        if (merged == null) {
            throw new ConfigException("users: unmatched parenthesis in the rules '" + text + "'");
        }
        return merged;
    }

    /** {@code rules} with {@code password} as its only password ("": none, nopass), as requirepass sets it. */
    private UserRules withPassword(UserRules rules, String password) {
        UserRules u = rules.copy();
        try {
            AclRules r = rules();
            r.apply(u, "resetpass");
            r.apply(u, password.isEmpty() ? "nopass" : ">" + password);
        } catch (AclRuleException e) {
            throw new IllegalStateException(e);
        }
        return u.freeze();
    }

    /**
     * The ACL file at start: as an ACL LOAD made when the file was last modified (changes made at
     * run time since win over it); a file without a default user leaves the default user alone.
     */
    private void loadFileAtStart(ConvergeConfig config) {
        Path path = Path.of(config.aclfile());
        Map<String, UserRules> loaded;
        long stamp;
        try {
            loaded = AclFile.load(path, config.aclfile(), rules());
            stamp = TimeUnit.MILLISECONDS.toMicros(Files.getLastModifiedTime(path).toMillis());
        } catch (AclFileException e) {
            throw new ConfigException("Aborting startup because of ACL errors: " + e.getMessage());
        } catch (IOException e) {
            throw new ConfigException("cannot read the ACL file " + path + ": " + e.getMessage());
        }
        Map<String, byte[]> values = new HashMap<>();
        loaded.forEach((name, u) -> values.put(name, describe(u)));
        for (LastWriterMap.Entry e : shared.all()) {
            if (e.value() != null && !loaded.containsKey(e.name()) && !e.name().equals(DEFAULT)) {
                values.put(e.name(), null);
            }
        }
        List<LastWriterMap.Entry> stamped = new ArrayList<>();
        values.forEach((name, value) -> stamped.add(new LastWriterMap.Entry(name, value, stamp, "aclfile")));
        shared.mergeLocal(stamped);
    }

    // ------------------------------------------------------------------ users

    /** The default user (the same object for the node's life: its rules change in place). */
    public AclUser defaultUser() {
        return defaultUser;
    }

    /** The user called {@code name}, or null. */
    public AclUser user(String name) {
        return users.get(name);
    }

    /** Whether a user called {@code name} exists. */
    public boolean exists(String name) {
        return users.containsKey(name);
    }

    /** Whether the default user has the {@code nopass} flag (AUTH with a password only is then refused; protected mode). */
    public boolean defaultUserHasNoPassword() {
        return defaultUser.rules().has(UserRules.NOPASS);
    }

    /** The users, by name. */
    List<AclUser> users() {
        return new ArrayList<>(users.values());
    }

    /** The catalog and describer (after start). */
    CommandCatalog catalog() {
        return model.catalog();
    }

    AclDescriber describer() {
        return model.describer();
    }

    /** The rule parser, with the current {@code acl-pubsub-default}. */
    AclRules rules() {
        Model m = model;
        CommandCatalog catalog = m != null ? m.catalog() : new CommandCatalog(new CommandTable());
        return new AclRules(catalog, "allchannels".equals(node.config().current().aclPubsubDefault()));
    }

    AclLog log() {
        return aclLog;
    }

    /** The node's shared users, for the cluster to relay. */
    public SharedState sharedState() {
        return shared;
    }

    /**
     * ACL SETUSER: applies {@code ops} (selectors already joined) to a copy of the user (a new one
     * if absent) and, when all apply, publishes it here and to the cluster. Returns the error
     * reply or null.
     */
    String setUser(String name, List<String> ops) {
        synchronized (lock) {
            AclRules rules = rules();
            AclUser existing = users.get(name);
            UserRules next = existing != null ? existing.rules().copy() : rules.newUser().copy();
            for (String op : ops) {
                try {
                    rules.apply(next, op);
                } catch (AclRuleException e) {
                    return "ERR Error in ACL SETUSER modifier '" + op + "': " + e.getMessage();
                }
            }
            next.freeze();
            Map<String, byte[]> change = new HashMap<>();
            change.put(name, describe(next));
            shared.write(change);
            install(name, next, null);
            return null;
        }
    }

    /** ACL DELUSER of the existing users among {@code names} (not default); returns how many were deleted. */
    int deleteUsers(List<String> names, ClientConnection caller) {
        synchronized (lock) {
            Map<String, byte[]> gone = new LinkedHashMap<>();
            for (String name : names) {
                if (users.containsKey(name) && !name.equals(DEFAULT)) {
                    gone.put(name, null);
                }
            }
            if (!gone.isEmpty()) {
                shared.write(gone);
                for (String name : gone.keySet()) {
                    install(name, null, caller);
                }
            }
            return gone.size();
        }
    }

    /** CONFIG SET requirepass: the default user's password becomes {@code password} ("": nopass), cluster-wide. */
    public void requirepass(String password) {
        synchronized (lock) {
            UserRules next = withPassword(defaultUser.rules(), password);
            Map<String, byte[]> change = new HashMap<>();
            change.put(DEFAULT, describe(next));
            shared.write(change);
            install(DEFAULT, next, null);
        }
    }

    /**
     * ACL LOAD: replaces every user with the ACL file's (a file without a default user gives the
     * default user Redis creates, with {@code requirepass} if set), here and on the other nodes;
     * as Redis 7.0, the connections of every other user than default are closed here (the
     * caller's once its reply is written). Returns the error reply or null.
     */
    String loadFile(ClientConnection caller) {
        ConvergeConfig config = node.config().current();
        synchronized (lock) {
            Map<String, UserRules> loaded;
            try {
                loaded = AclFile.load(Path.of(config.aclfile()), config.aclfile(), rules());
            } catch (AclFileException e) {
                return "ERR " + e.getMessage();
            }
            Map<String, UserRules> next = new LinkedHashMap<>(loaded);
            if (!next.containsKey(DEFAULT)) {
                UserRules fresh = rules().defaultUser();
                next.put(DEFAULT, config.requirepass().isEmpty() ? fresh : withPassword(fresh, config.requirepass()));
            }
            Map<String, byte[]> changes = new LinkedHashMap<>();
            next.forEach((name, u) -> changes.put(name, describe(u)));
            for (String name : users.keySet()) {
                if (!next.containsKey(name)) {
                    changes.put(name, null);
                }
            }
            shared.write(changes);
            for (Map.Entry<String, byte[]> c : changes.entrySet()) {
                install(c.getKey(), next.get(c.getKey()), caller);
            }
            for (ClientConnection c : node.clients().all()) {
                if (c.aclUser() != defaultUser) {
                    disconnect(c, caller);
                }
            }
            return null;
        }
    }

    /** ACL SAVE: writes every user to the ACL file; false (and a log line) when that failed. */
    boolean saveFile() {
        Path path = Path.of(node.config().current().aclfile());
        List<String> lines = new ArrayList<>();
        for (AclUser u : users.values()) {
            lines.add("user " + u.name() + " " + model.describer().user(u.rules()));
        }
        try {
            AclFile.save(path, lines);
            return true;
        } catch (IOException e) {
            log.warn("ACL SAVE to {} failed: {}", path, e.toString());
            return false;
        }
    }

    private byte[] describe(UserRules u) {
        return AclText.bytes(model.describer().user(u));
    }

    /** Peers' changes that won here (under the lock): each user takes its latest state. */
    private void merged(List<LastWriterMap.Entry> applied) {
        if (model == null) {
            return; // start() builds every user from the entries
        }
        for (LastWriterMap.Entry e : applied) {
            materialize(e.name(), null);
        }
    }

    /** Installs the current state of user {@code name}: its latest shared entry, else the configured one. */
    private void materialize(String name, ClientConnection caller) {
        LastWriterMap.Entry e = shared.get(name);
        UserRules rules;
        if (e != null) {
            rules = e.value() == null ? null : parse(name, AclText.of(e.value()));
        } else {
            rules = base.get(name);
        }
        if (rules == null && name.equals(DEFAULT)) {
            rules = base.get(DEFAULT); // the default user cannot be deleted
        }
        install(name, rules, caller);
    }

    /** Rules written by {@link AclDescriber}, as another node (or an earlier run) wrote them. */
    private UserRules parse(String name, String description) {
        AclRules rules = rules();
        UserRules u = rules.newUser().copy();
        List<String> ops = AclRules.mergeSelectorArguments(
                new ArrayList<>(Arrays.asList(description.split(" "))), new int[1]);
        for (String op : ops == null ? List.<String>of() : ops) {
            try {
                rules.apply(u, op);
            } catch (AclRuleException ex) {
                // e.g. a command a newer node knows: the rest of the user still applies
                log.warn("user '{}': rule '{}' from the cluster does not apply here: {}", name, op, ex.getMessage());
            }
        }
        return u.freeze();
    }

    /**
     * Makes {@code rules} user {@code name}'s (null: deletes it, closing its connections). Changed
     * users keep their connections, which see the new rules at their next command, except
     * subscribers to channels the new rules no longer allow, which are closed (as Redis does).
     */
    private void install(String name, UserRules rules, ClientConnection caller) {
        AclUser u = users.get(name);
        if (rules == null) {
            if (u != null && u != defaultUser) {
                users.remove(name);
                u.markDeleted();
                for (ClientConnection c : node.clients().all()) {
                    if (c.aclUser() == u) {
                        disconnect(c, caller);
                    }
                }
            }
            return;
        }
        if (u == null) {
            users.put(name, new AclUser(name, rules));
            return;
        }
        UserRules old = u.rules();
        u.rules(rules);
        if (channelsNarrowed(old, rules)) {
            for (ClientConnection c : node.clients().all()) {
                if (c.aclUser() == u && c.subscribed() && subscriptionsRevoked(c, rules)) {
                    c.channel().close();
                }
            }
        }
    }

    /** Closes {@code c} as Redis does for a deleted user: logged out at once, closed (after its reply if it is the caller). */
    private void disconnect(ClientConnection c, ClientConnection caller) {
        c.authenticated(false, defaultUser);
        if (c == caller) {
            c.closeAfterReply(true);
        } else {
            c.channel().close();
        }
    }

    /** Whether some channel pattern of {@code old} is missing from {@code next} (and no selector of next allows all). */
    private static boolean channelsNarrowed(UserRules old, UserRules next) {
        Set<String> upcoming = new LinkedHashSet<>();
        for (AclSelector s : next.selectors) {
            if (s.has(AclSelector.ALL_CHANNELS)) {
                return false;
            }
            for (AclSelector.Pattern p : s.channels) {
                upcoming.add(p.text());
            }
        }
        for (AclSelector s : old.selectors) {
            for (AclSelector.Pattern p : s.channels) {
                if (!upcoming.contains(p.text())) {
                    return true;
                }
            }
        }
        return false;
    }

    private boolean subscriptionsRevoked(ClientConnection c, UserRules rules) {
        List<AclSelector.Pattern> allowed = new ArrayList<>();
        for (AclSelector s : rules.selectors) {
            allowed.addAll(s.channels);
        }
        PubSub pubsub = node.pubsub();
        for (byte[] p : pubsub.subscribedNames(PubSub.Kind.PATTERN, c)) {
            if (!AclChecker.channelAllowed(allowed, p, true)) {
                return true;
            }
        }
        for (PubSub.Kind kind : new PubSub.Kind[] {PubSub.Kind.CHANNEL, PubSub.Kind.SHARD}) {
            for (byte[] ch : pubsub.subscribedNames(kind, c)) {
                if (!AclChecker.channelAllowed(allowed, ch, false)) {
                    return true;
                }
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ checks

    /**
     * AUTH and HELLO AUTH: whether {@code password} logs {@code client} in as {@code name}
     * (an enabled user with that password, or with {@code nopass}); if so the client is now
     * that user's, else the failure is logged ({@code object}: the command as typed).
     */
    public boolean authenticate(ClientConnection client, byte[] object, byte[] userName, byte[] password) {
        String name = AclText.of(userName);
        AclUser u = users.get(name);
        if (u != null && u.rules().enabled() && passwordMatches(u.rules(), password)) {
            client.authenticated(true, u);
            return true;
        }
        record(AclChecker.AUTH, client.inMulti() ? AclLog.MULTI : AclLog.TOPLEVEL, object, name, client);
        return false;
    }

    private static boolean passwordMatches(UserRules rules, byte[] password) {
        if (rules.has(UserRules.NOPASS)) {
            return true;
        }
        String hash = Passwords.hash(password);
        boolean match = false;
        for (String p : rules.passwords) {
            match |= Passwords.sameHash(hash, p);
        }
        return match;
    }

    /**
     * The dispatcher's check of a client's command (call only when its user is not
     * {@link AclUser#unrestricted()}): null when allowed, else the NOPERM error (logged).
     */
    public byte[] refusal(ClientConnection client, CommandSpec cmd, byte[][] args) {
        AclUser u = client.aclUser();
        AclChecker.Denial d = AclChecker.check(u.rules(), cmd, args);
        if (d == null) {
            return null;
        }
        record(d.reason(), client.inMulti() ? AclLog.MULTI : AclLog.TOPLEVEL, object(d, cmd, args), u.name(), client);
        String text = switch (d.reason()) {
            case AclChecker.COMMAND -> "NOPERM this user has no permissions to run the '" + cmd.fullName() + "' command";
            case AclChecker.KEY -> "NOPERM this user has no permissions to access one of the keys used as arguments";
            case AclChecker.CHANNEL -> "NOPERM this user has no permissions to access one of the channels used as arguments";
            default -> "no permission";
        };
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** EXEC's check of a queued command when it runs (the rules may have changed since it was queued): null or the error. */
    public String execRefusal(ClientConnection client, CommandSpec cmd, byte[][] args) {
        AclUser u = client.aclUser();
        if (u.unrestricted()) {
            return null;
        }
        AclChecker.Denial d = AclChecker.check(u.rules(), cmd, args);
        if (d == null) {
            return null;
        }
        record(d.reason(), AclLog.MULTI, object(d, cmd, args), u.name(), client);
        String reason = switch (d.reason()) {
            case AclChecker.COMMAND -> "no permission to execute the command or subcommand";
            case AclChecker.KEY -> "no permission to touch the specified keys";
            case AclChecker.CHANNEL -> "no permission to access one of the channels used as arguments";
            default -> "no permission";
        };
        return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "
                + "This command is no longer allowed for the following reason: " + reason;
    }

    /** redis.call's check of a script's command against the user running the script: null or the error. */
    public String scriptRefusal(ClientConnection caller, CommandSpec cmd, byte[][] args) {
        AclUser u = caller.aclUser();
        if (u.unrestricted()) {
            return null;
        }
        AclChecker.Denial d = AclChecker.check(u.rules(), cmd, args);
        if (d == null) {
            return null;
        }
        record(d.reason(), AclLog.LUA, object(d, cmd, args), u.name(), caller);
        return switch (d.reason()) {
            case AclChecker.COMMAND -> "ERR The user executing the script can't run this command or subcommand";
            case AclChecker.KEY -> "ERR The user executing the script can't access at least one of the keys mentioned "
                    + "in the command arguments";
            case AclChecker.CHANNEL -> "ERR The user executing the script can't publish to the channel mentioned in "
                    + "the command";
            default -> "ERR The user executing the script is lacking the permissions for the command";
        };
    }

    /** ACL DRYRUN: "OK" (null) or Redis's sentence saying why {@code user} may not run it. */
    static String dryRun(AclUser user, CommandSpec cmd, byte[][] args) {
        AclChecker.Denial d = AclChecker.check(user.rules(), cmd, args);
        if (d == null) {
            return null;
        }
        return switch (d.reason()) {
            case AclChecker.COMMAND -> "This user has no permissions to run the '" + cmd.fullName() + "' command";
            case AclChecker.KEY -> "This user has no permissions to access the '" + AclText.of(args[d.argIndex()])
                    + "' key";
            default -> "This user has no permissions to access the '" + AclText.of(args[d.argIndex()]) + "' channel";
        };
    }

    private static byte[] object(AclChecker.Denial d, CommandSpec cmd, byte[][] args) {
        return d.reason() == AclChecker.COMMAND ? cmd.fullName().getBytes(StandardCharsets.US_ASCII) : args[d.argIndex()];
    }

    private void record(int reason, String context, byte[] object, String username, ClientConnection client) {
        String info = ClientCommands.describe(client).stripTrailing();
        aclLog.add(reason, context, object, username, info, node.config().current().acllogMaxLen());
    }
}
