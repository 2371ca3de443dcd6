package io.converge.server.scripting;

import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandFlag;
import io.converge.server.command.CommandSpec;
import io.converge.server.command.NodeServices;
import io.converge.server.command.ScriptActivity;
import io.converge.server.command.VirtualClient;

/**
 * One script run as {@code redis.call} sees it: the checks Redis 7.0 makes before a script may
 * run a command, in its order (the ACL rules of the user running the script among them), and the session the commands run in (their replies come back as
 * RESP bytes, in the protocol the script chose with {@code redis.setresp}).
 */
final class ScriptCall {
    private static final java.util.Set<String> PUBLISHING = java.util.Set.of("publish", "spublish");
    private final NodeServices node;
    private final ScriptActivity.Run run;
    private final boolean readOnly;
    private final VirtualClient session;
    /** The client running the script: its user's ACL rules apply to the script's commands. */
    private final ClientConnection caller;
    /** The script's name in error messages: its SHA1 (EVAL) or the function's name (FCALL). */
    final String name;
    /** The RESP version of the script's calls and result conversion ({@code redis.setresp}). */
    int resp = 2;
    private boolean wrote;
    /** Whether the script was told to stop (killed), for logging it once. */
    boolean stopping;

    ScriptCall(NodeServices node, ScriptActivity.Run run, boolean readOnly, String name, VirtualClient session,
               ClientConnection caller) {
        this.node = node;
        this.caller = caller;
        this.run = run;
        this.readOnly = readOnly;
        this.name = name;
        this.session = session;
        session.client().protocol(2);
    }

    /** The running script's activity record (its kill flag and busy state). */
    ScriptActivity.Run run() {
        return run;
    }

    /** Whether the script ran a write command. */
    boolean wrote() {
        return wrote;
    }

    /** Switches the protocol of the script's calls (redis.setresp). */
    void resp(int version) {
        resp = version;
        session.client().protocol(version);
    }

    /** A command the script may not run, with the error text redis.call raises. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** Runs {@code args} for the script; returns the reply as RESP bytes, or throws with the refusal. */
    byte[] execute(byte[][] args) throws Refused {
        CommandSpec cmd = node.commands().lookup(args[0]);
        if (cmd != null && cmd.isContainer() && args.length > 1) {
            cmd = cmd.subcommands().lookup(args[1]);
        }
        if (cmd == null) {
            throw new Refused("ERR Unknown Redis command called from script");
        }
        if (!cmd.arityAccepts(args.length)) {
            throw new Refused("ERR Wrong number of args calling Redis command from script");
        }
        if (cmd.has(CommandFlag.NOSCRIPT)) {
            throw new Refused("ERR This Redis command is not allowed from script");
        }
        if (!caller.aclUser().unrestricted()) {
            String denied = node.acl().scriptRefusal(caller, cmd, args);
            if (denied != null) {
                throw new Refused(denied);
            }
        }
        boolean write = cmd.has(CommandFlag.WRITE);
        // Redis treats may-replicate commands, and publishing, as writes in scripts.
        if (write || cmd.has(CommandFlag.MAY_REPLICATE) || PUBLISHING.contains(cmd.fullName())) {
            if (readOnly) {
                throw new Refused("ERR Write commands are not allowed from read-only scripts.");
            }
            String refusal = node.engine().writeRefusal();
            if (refusal != null && write) {
                throw new Refused(refusal);
            }
        }
        if (!node.holdsEveryKey() && cmd.hasKeys()) {
            for (byte[] key : cmd.keys(args)) {
                if (!node.replicatedHere(key)) {
                    // Redis Cluster's rule: a script runs where its keys live, and only touches those.
                    throw new Refused("ERR Script attempted to access a non local key in a cluster node");
                }
            }
        }
        if (!wrote && cmd.has(CommandFlag.DENYOOM) && node.engine().overMemoryLimit()) {
            throw new Refused("OOM command not allowed when used memory > 'maxmemory'.");
        }
        if (write) {
            wrote = true;
            run.wrote();
        }
        ClientConnection client = session.client();
        node.dispatcher().execute(client, cmd, args);
        return session.take();
    }
}
