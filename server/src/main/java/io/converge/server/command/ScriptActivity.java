package io.converge.server.command;

import io.converge.server.config.LiveConfig;
import java.util.concurrent.CompletableFuture;

/**
 * The Lua script or function running on this node now, if any, as the rest of the node sees it:
 * Redis's "busy script" rules.
 *
 * <p>Scripts hold the whole keyspace while they run, so at most one runs at a time. While one
 * runs, other clients' commands wait at the {@link #gate} (their connections' threads stay free:
 * they hold the request, not the thread), except other scripts, which queue behind it on the
 * script thread. Once the script has run {@code busy-reply-threshold}
 * milliseconds, the gate opens and those commands get {@code BUSY} replies from the dispatcher,
 * except the ones flagged {@code allow_busy} (SCRIPT KILL, FUNCTION KILL, SHUTDOWN ...), as in
 * Redis. SCRIPT KILL and FUNCTION KILL mark the run killed; the script's count hook sees it
 * ({@link Run#check}) and ends the script with an error, unless it already wrote (then it must
 * be left to finish, as in Redis: its writes cannot be undone).
 */
public final class ScriptActivity {
    /** Redis's reply to other clients while a script is busy. */
    public static final String BUSY_SCRIPT = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
    /** Redis's reply to other clients while a function is busy. */
    public static final String BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

    private final LiveConfig config;
    private volatile Run current;

    ScriptActivity(LiveConfig config) {
        this.config = config;
    }

    /** One running script (EVAL family) or function (FCALL family). */
    public final class Run {
        private final ClientConnection caller;
        private final boolean function;
        private final long startNanos = System.nanoTime();
        /** Completes when the script ends or becomes busy: waiting commands then go on. */
        private final CompletableFuture<Void> released = new CompletableFuture<>();
        private volatile boolean busy;
        private volatile boolean killed;
        private volatile boolean wrote;

        private Run(ClientConnection caller, boolean function) {
            this.caller = caller;
            this.function = function;
        }

        /** Records that the script ran a write command (it can no longer be killed). */
        public void wrote() {
            wrote = true;
        }

        /**
         * Called by the running script now and then (its instruction-count hook): marks it busy
         * once it has run longer than the threshold, which releases the waiting commands.
         * Returns whether it was killed and must stop.
         */
        public boolean check() {
            if (!busy && (System.nanoTime() - startNanos) / 1_000_000 >= config.current().busyReplyThresholdMs()) {
                busy = true;
                released.complete(null);
            }
            return killed;
        }
    }

    /** Marks the start of a script run for {@code caller}; end it with {@link #end}. */
    public Run start(ClientConnection caller, boolean function) {
        Run r = new Run(caller, function);
        current = r;
        return r;
    }

    /** Marks the end of {@code run}: waiting commands go on. */
    public void end(Run run) {
        if (current == run) {
            current = null;
        }
        run.released.complete(null);
    }

    /** Whether a script is running now (the network layer then asks {@link #gate}). */
    public boolean running() {
        return current != null;
    }

    /**
     * For the network layer, before it runs a request of {@code client} that is not itself a
     * script: null to run it now, or a future to wait for first (a script is running and is not
     * busy yet; the script's own client never waits).
     */
    public CompletableFuture<Void> gate(ClientConnection client) {
        Run r = current;
        if (r == null || r.busy || r.caller == client) {
            return null;
        }
        return r.released;
    }

    /** For the dispatcher: the BUSY error for {@code cmd} of {@code client}, or null when it may run. */
    String refusal(ClientConnection client, CommandSpec cmd) {
        Run r = current;
        if (r == null || !r.busy || r.caller == client || cmd.has(CommandFlag.ALLOW_BUSY)) {
            return null;
        }
        return r.function ? BUSY_FUNCTION : BUSY_SCRIPT;
    }

    /**
     * SCRIPT KILL ({@code function} false) or FUNCTION KILL: null when the running script was
     * marked killed, otherwise Redis's error.
     */
    public String kill(boolean function) {
        Run r = current;
        if (r == null) {
            return "NOTBUSY No scripts in execution right now.";
        }
        if (r.wrote) {
            return "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either "
                    + "wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.";
        }
        if (r.function != function) {
            return r.function ? BUSY_FUNCTION : BUSY_SCRIPT;
        }
        r.killed = true;
        return null;
    }
}
