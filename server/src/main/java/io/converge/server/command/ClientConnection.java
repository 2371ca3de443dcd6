package io.converge.server.command;

import io.converge.crdt.Bytes;
import io.converge.server.command.acl.AclUser;
import io.converge.server.protocol.ReplyWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The state of one client session: identity, protocol version, authentication, name, selected
 * database, MULTI queue and WATCHed keys, plus its reply writer.
 *
 * <p>Mutated only on the connection's event loop thread (by its own commands); fields that other
 * clients read (CLIENT LIST, CLIENT KILL, INFO) are volatile, so those reads see recent values.
 */
public final class ClientConnection {
    /** A key recorded by WATCH with the engine's version of it at that time. */
    public record WatchedKey(byte[] key, long version) {}

    private final long id;
    private final ConnectionChannel channel;
    private final ReplyWriter reply;
    private final CommandContext context;
    private final long createdMillis;
    private volatile long lastInteractionMillis;
    private volatile boolean authenticated;
    private volatile AclUser user;
    private volatile String name;
    private volatile String libName;
    private volatile String libVersion;
    private volatile int db;
    private volatile CommandSpec lastCommand;
    private volatile List<QueuedCommand> multiQueue;
    private boolean multiDirty;
    private List<WatchedKey> watched;
    private boolean closeAfterReply;
    private volatile boolean noEvict;
    private volatile boolean noTouch;
    private Object routingState;
    /** Errors already attributed to some command execution (see CommandDispatcher). */
    long errorsAccounted;
    /** A write command ran since the replies were last let through (event loop only). */
    private boolean ranWrite;
    /** Lua scripts of this connection not answered yet, and whether the last of them runs inline (event loop only). */
    private int scriptsInFlight;
    private boolean lastScriptInline;
    /** Pub/sub subscriptions per {@link PubSub.Kind} (connection thread only); counts readable anywhere. */
    private final Set<Bytes>[] subscriptions = newSubscriptionSets();
    private volatile int channelCount;
    private volatile int patternCount;
    private volatile int shardChannelCount;
    /** Their sum, read on every command (subscribed mode). */
    private volatile int subscriptionCount;
    private volatile boolean monitoring;
    /** CLIENT TRACKING settings, or null while tracking is off. */
    private volatile ClientTracking.Mode tracking;
    /** CLIENT CACHING yes/no for the next command (OPTIN/OPTOUT), or null. */
    private volatile Boolean caching;

    /** Creates the session of a new connection. */
    public ClientConnection(long id, ConnectionChannel channel, ReplyWriter reply, NodeServices node, boolean authenticated) {
        this.id = id;
        this.channel = channel;
        this.reply = reply;
        this.createdMillis = System.currentTimeMillis();
        this.lastInteractionMillis = createdMillis;
        this.authenticated = authenticated;
        this.user = node.acl().defaultUser();
        this.context = new CommandContext(this, node);
    }

    /** Unique client id (CLIENT ID). */
    public long id() {
        return id;
    }

    /** The network side. */
    public ConnectionChannel channel() {
        return channel;
    }

    /** Where this client's replies are written. */
    public ReplyWriter reply() {
        return reply;
    }

    /** The reusable context passed to handlers. */
    CommandContext context() {
        return context;
    }

    /** Protocol version, 2 or 3. */
    public int protocol() {
        return reply.protocol();
    }

    /** Switches protocol version. */
    public void protocol(int version) {
        reply.protocol(version);
    }

    /** Creation time (epoch ms). */
    public long createdMillis() {
        return createdMillis;
    }

    /** Last time the client sent something (epoch ms). */
    public long lastInteractionMillis() {
        return lastInteractionMillis;
    }

    /** Records activity now. */
    public void touch(long nowMillis) {
        this.lastInteractionMillis = nowMillis;
    }

    /**
     * Whether the client has authenticated, or was authenticated as the default user when it
     * connected because that user needed no password then (Redis's {@code c->authenticated}).
     */
    public boolean isAuthenticated() {
        return authenticated;
    }

    /**
     * Whether the client must still authenticate before running commands: it has not, and the
     * default user now has a password or is disabled (Redis's {@code authRequired}).
     */
    public boolean mustAuthenticate() {
        return !authenticated && !context.node().acl().defaultUser().openWithoutPassword();
    }

    /** Marks the client (un)authenticated as {@code user}. */
    public void authenticated(boolean value, AclUser user) {
        this.authenticated = value;
        this.user = user;
    }

    /** The name of the client's user ("default" unless AUTH named another). */
    public String user() {
        return user.name();
    }

    /** The client's ACL user, whose rules its commands are checked against. */
    public AclUser aclUser() {
        return user;
    }

    /** Client name (CLIENT SETNAME), or null. */
    public String name() {
        return name;
    }

    /** Sets or clears (null) the client name. */
    public void name(String name) {
        this.name = name;
    }

    /** Library name from CLIENT SETINFO, or null. */
    public String libName() {
        return libName;
    }

    /** Sets the library name. */
    public void libName(String libName) {
        this.libName = libName;
    }

    /** Library version from CLIENT SETINFO, or null. */
    public String libVersion() {
        return libVersion;
    }

    /** Sets the library version. */
    public void libVersion(String libVersion) {
        this.libVersion = libVersion;
    }

    /** Selected database (always 0 in Converge). */
    public int db() {
        return db;
    }

    /** Selects a database. */
    public void db(int db) {
        this.db = db;
    }

    /** The last command executed (for CLIENT LIST), or null. */
    public CommandSpec lastCommand() {
        return lastCommand;
    }

    void lastCommand(CommandSpec cmd) {
        this.lastCommand = cmd;
    }

    // ------------------------------------------------------------------ MULTI / WATCH

    /** Whether a MULTI is open. */
    public boolean inMulti() {
        return multiQueue != null;
    }

    /** Opens a transaction. */
    public void beginMulti() {
        multiQueue = new ArrayList<>();
        multiDirty = false;
    }

    /** Number of queued commands, or -1 outside MULTI (CLIENT LIST's multi=). */
    public int queuedCount() {
        List<QueuedCommand> q = multiQueue;
        return q == null ? -1 : q.size();
    }

    /** Queues a command. */
    public void queue(CommandSpec spec, byte[][] args) {
        multiQueue.add(new QueuedCommand(spec, args));
    }

    /** Flags the open transaction so EXEC aborts (a queued command was refused). */
    public void flagTransactionError() {
        if (multiQueue != null) {
            multiDirty = true;
        }
    }

    /** Whether a queued command was refused. */
    public boolean multiDirty() {
        return multiDirty;
    }

    /** Closes the transaction and returns what was queued (empty outside MULTI). */
    public List<QueuedCommand> endMulti() {
        List<QueuedCommand> q = multiQueue;
        multiQueue = null;
        multiDirty = false;
        return q == null ? List.of() : q;
    }

    /** Records a WATCHed key. */
    public void watch(byte[] key, long version) {
        if (watched == null) {
            watched = new ArrayList<>();
        }
        for (WatchedKey w : watched) {
            if (java.util.Arrays.equals(w.key(), key)) {
                return;
            }
        }
        watched.add(new WatchedKey(key, version));
    }

    /** WATCHed keys (empty if none). */
    public List<WatchedKey> watchedKeys() {
        return watched == null ? List.of() : watched;
    }

    /** Forgets WATCHed keys. */
    public void unwatchAll() {
        watched = null;
    }

    // ------------------------------------------------------------------ pub/sub

    @SuppressWarnings("unchecked")
    private static Set<Bytes>[] newSubscriptionSets() {
        Set<Bytes>[] sets = new Set[PubSub.Kind.values().length];
        for (int i = 0; i < sets.length; i++) {
            sets[i] = new LinkedHashSet<>();
        }
        return sets;
    }

    /** The channels, patterns or shard channels this client subscribed to, in order (connection thread only). */
    Set<Bytes> subscriptions(PubSub.Kind kind) {
        return subscriptions[kind.ordinal()];
    }

    /** Updates the counts others read after {@link #subscriptions} changed. */
    void subscriptionsChanged() {
        channelCount = subscriptions[PubSub.Kind.CHANNEL.ordinal()].size();
        patternCount = subscriptions[PubSub.Kind.PATTERN.ordinal()].size();
        shardChannelCount = subscriptions[PubSub.Kind.SHARD.ordinal()].size();
        subscriptionCount = channelCount + patternCount + shardChannelCount;
    }

    /** Channels subscribed (CLIENT LIST's sub=). */
    public int channelCount() {
        return channelCount;
    }

    /** Patterns subscribed (psub=). */
    public int patternCount() {
        return patternCount;
    }

    /** Shard channels subscribed (ssub=). */
    public int shardChannelCount() {
        return shardChannelCount;
    }

    /** Whether the client is in subscribed mode (any subscription): in RESP2 it may then run only pub/sub commands. */
    public boolean subscribed() {
        return subscriptionCount > 0;
    }

    /** The client's CLIENT TRACKING settings, or null while tracking is off. */
    public ClientTracking.Mode tracking() {
        return tracking;
    }

    void tracking(ClientTracking.Mode mode) {
        this.tracking = mode;
    }

    /** CLIENT CACHING's answer for the next command (null: none given). */
    Boolean caching() {
        return caching;
    }

    void caching(Boolean value) {
        this.caching = value;
    }

    /** Whether the client runs MONITOR. */
    public boolean monitoring() {
        return monitoring;
    }

    /** Marks the client as monitoring or not (see {@link Monitor}). */
    void monitoring(boolean value) {
        this.monitoring = value;
    }

    // ------------------------------------------------------------------ order of scripts

    /**
     * Where this connection's next Lua script must run to keep its scripts in order: null when
     * none is in flight (any place will do), otherwise whether the last one runs inline on the
     * event loop. Event loop only.
     */
    public Boolean scriptPlace() {
        return scriptsInFlight == 0 ? null : lastScriptInline;
    }

    /** A script of this connection was handed to {@code inline ? the event loop's batch : the script thread}. */
    public void scriptStarted(boolean inline) {
        scriptsInFlight++;
        lastScriptInline = inline;
    }

    /** This connection's last script, handed to the event loop's batch, went on to the script thread. */
    public void scriptMovedToThread() {
        lastScriptInline = false;
    }

    /** A script of this connection was answered. Event loop only. */
    public void scriptFinished() {
        scriptsInFlight--;
    }

    // ------------------------------------------------------------------ durability of replies

    /**
     * Records that a write command ran for this connection since its replies were last let
     * through: they then acknowledge a write (see {@code Engine.awaitDurable(boolean)}).
     */
    public void ranWrite() {
        ranWrite = true;
    }

    /** Whether a write command ran since the last call; clears the mark. */
    public boolean takeRanWrite() {
        boolean w = ranWrite;
        ranWrite = false;
        return w;
    }

    // ------------------------------------------------------------------ flags

    /** Whether the connection closes once the current replies are written (QUIT, protocol error). */
    public boolean closeAfterReply() {
        return closeAfterReply;
    }

    /** Requests closing once the current replies are written. */
    public void closeAfterReply(boolean value) {
        this.closeAfterReply = value;
    }

    /** CLIENT NO-EVICT state. */
    public boolean noEvict() {
        return noEvict;
    }

    /** Sets CLIENT NO-EVICT. */
    public void noEvict(boolean value) {
        this.noEvict = value;
    }

    /** CLIENT NO-TOUCH state (reads do not update access time). */
    public boolean noTouch() {
        return noTouch;
    }

    /** Sets CLIENT NO-TOUCH. */
    public void noTouch(boolean value) {
        this.noTouch = value;
    }

    /** Per-connection state of the cluster router (consistency overrides, transaction placement), or null. */
    public Object routingState() {
        return routingState;
    }

    /** Attaches the cluster router's per-connection state (see {@code CommandDispatcher.Router}). */
    public void routingState(Object state) {
        this.routingState = state;
    }

    @Override
    public String toString() {
        return "client id=" + id + " addr=" + channel.remoteAddress();
    }
}
