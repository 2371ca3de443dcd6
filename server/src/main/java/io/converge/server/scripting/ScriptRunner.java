package io.converge.server.scripting;

import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandContext;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.command.CommandDispatcher.LateReply;
import io.converge.server.command.NodeServices;
import io.converge.server.command.ScriptActivity;
import io.converge.server.command.VirtualClient;
import io.converge.server.protocol.ReplyWriter;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.ThreadExecutorMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where and how a script runs. Atomicity: a script holds the whole keyspace
 * ({@code Engine.runExclusive}) from its first instruction to its result, so no other command
 * of this node sees it half done, as in Redis (other replicas may run other scripts at the same
 * time: see docs/semantics.md). Threads: a client's script that may run long (it loops, defines
 * functions or searches patterns) runs on the node's script thread, and the client's connection
 * waits for the result without holding its event loop, so other clients and SCRIPT KILL are still
 * read (they wait at {@link ScriptActivity#gate}, then get BUSY, as in Redis). A straight-line
 * script ({@link LuaBytecode}), as most scripts of rate limiters and locks are, runs on the
 * client's own event loop at the end of its round of reads ({@link InlineBatch}), which spares
 * it two hand-overs between threads. Either way the scripts waiting at a time run one after the
 * other under a single hold of the keyspace ({@link #runBatch}), and a connection's scripts run
 * in the order it sent them. A script that EXEC runs, or that another node forwarded, runs at
 * once on the calling thread, since its reply is needed there. Writes: in a cluster, the client's
 * reply waits for its write consistency level ({@link NodeServices.WriteTracking}).
 */
public final class ScriptRunner implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ScriptRunner.class);

    private final NodeServices node;
    private final String redisVersion;
    private final int redisVersionNum;
    /** Most scripts run under one hold of the keyspace (see {@link #runBatch}). */
    private static final int MAX_BATCH = 32;
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final ConcurrentLinkedQueue<LuaRuntime> idle = new ConcurrentLinkedQueue<>();
    /** Clients' scripts waiting for the script thread, in arrival order. */
    private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
    /** The script thread ({@link #work}). */
    private final Thread worker;
    /** Whether the script thread is (about to be) parked for want of work: a new script wakes it. */
    private volatile boolean idleWorker;
    private volatile boolean closed;
    /** Which scripts are straight-line, as the Lua states found when they compiled them. */
    private final ScriptShapes shapes = new ScriptShapes();

    /** The script running now, if any (FUNCTION STATS). */
    private volatile Running running;

    /** A running script: its name, the command that runs it, since when. */
    record Running(String name, byte[][] command, long startNanos) {
        long elapsedMillis() {
            return (System.nanoTime() - startNanos) / 1_000_000;
        }
    }

    /** The script running now, or null. */
    Running running() {
        return running;
    }

    /** What a script run does with its Lua state, inside the keyspace lock. */
    @FunctionalInterface
    interface Body {
        /** Runs the script for {@code call} in {@code runtime}, writing its result or error into {@code out}. */
        void run(LuaRuntime runtime, ScriptCall call, ReplyWriter out);
    }

    /** The runner of {@code node}; {@code redisVersion} is what redis.REDIS_VERSION reports. */
    ScriptRunner(NodeServices node, String redisVersion) {
        this.node = node;
        this.redisVersion = redisVersion;
        String[] parts = redisVersion.split("\\.");
        this.redisVersionNum = (Integer.parseInt(parts[0]) << 16) | (Integer.parseInt(parts[1]) << 8)
                | Integer.parseInt(parts[2]);
        this.worker = new Thread(this::work, "converge-script");
        worker.setDaemon(true);
        worker.start();
    }

    /**
     * Runs a script for the command of {@code ctx}: now, or on the script thread with the reply
     * coming later (see the class comment).
     *
     * @param name     the script's name in errors (SHA1, or the function's name)
     * @param readOnly whether write commands are refused (EVAL_RO, FCALL_RO, no-writes functions)
     * @param function whether it is a function (FCALL: FUNCTION KILL stops it, not SCRIPT KILL)
     * @param prepare  run before the lock (on the script thread when the client may wait), e.g. to
     *                 fetch an unknown script from the other nodes; returns an error text to reply
     *                 instead, or null
     * @param straightLine whether the script is known to be straight-line ({@link LuaBytecode}): it
     *                 may then run on the client's event loop (see {@link InlineBatch})
     */
    void run(CommandContext ctx, String name, boolean readOnly, boolean function, Prepare prepare, Body body,
             boolean straightLine) {
        ClientConnection caller = ctx.connection();
        if (!ctx.mayBlock()) {
            String refusal = prepare.prepare();
            if (refusal != null) {
                ctx.reply().error(refusal);
                return;
            }
            runLocked(caller, name, ctx.args(), readOnly, function, body, ctx.reply());
            return;
        }
        CompletableFuture<LateReply> done = new CommandDispatcher.QueuedScript();
        ctx.blockOn(done);
        Queued job = new Queued(caller, caller.protocol(), ctx.args(), name, readOnly, function, straightLine,
                prepare, body, done);
        // A connection's scripts run in order: while one is in flight, the next goes where it went.
        Boolean place = caller.scriptPlace();
        InlineBatch inline = (place == null ? straightLine : place) ? InlineBatch.here(this) : null;
        caller.scriptStarted(inline != null);
        if (inline != null) {
            inline.add(job);
        } else {
            toScriptThread(job);
        }
    }

    /** Queues {@code job} for the script thread. */
    private void toScriptThread(Queued job) {
        queue.add(job);
        if (idleWorker) {
            LockSupport.unpark(worker);
        }
    }

    /**
     * The straight-line scripts that arrived on one event loop during its current round of reads,
     * run on that loop once the round is over, under one hold of the keyspace, with no hand-over to
     * the script thread and back: the reply is written by the thread that read the request, which
     * is what a small script costs least with. A straight-line script cannot loop (see {@link
     * LuaBytecode}), so it holds the loop no longer than a transaction of the same commands does
     * (EXEC runs on the loop too). Scripts that may run long keep the script thread, where the
     * loops stay free to answer BUSY and SCRIPT KILL. A connection whose inline script is still in
     * flight sends its next scripts here too, to keep their order; one that is not straight-line
     * is passed on to the script thread when its turn comes, after what came before it, and the
     * connection's later scripts follow it there.
     */
    private static final class InlineBatch implements Runnable {
        private static final ThreadLocal<InlineBatch> BATCHES = new ThreadLocal<>();

        private final ScriptRunner runner;
        private final EventExecutor loop;
        private final VirtualClient[] outputs = new VirtualClient[4];
        private List<Queued> jobs = new ArrayList<>();

        private InlineBatch(ScriptRunner runner, EventExecutor loop) {
            this.runner = runner;
            this.loop = loop;
        }

        /** The batch of the event loop running now, or null when this thread is not an event loop. */
        static InlineBatch here(ScriptRunner runner) {
            InlineBatch batch = BATCHES.get();
            if (batch == null || batch.runner != runner) {
                EventExecutor loop = ThreadExecutorMap.currentExecutor();
                if (loop == null || !loop.inEventLoop()) {
                    return null;
                }
                batch = new InlineBatch(runner, loop);
                BATCHES.set(batch);
            }
            return batch;
        }

        void add(Queued job) {
            jobs.add(job);
            if (jobs.size() == 1) {
                loop.execute(this); // after the loop's current round of reads
            }
        }

        @Override
        public void run() {
            List<Queued> taken = jobs;
            jobs = new ArrayList<>();
            Set<ClientConnection> moved = null;
            Queued[] batch = new Queued[MAX_BATCH];
            int n = 0;
            for (Queued job : taken) {
                if (!job.straightLine() || (moved != null && moved.contains(job.caller()))) {
                    if (n > 0) {
                        runner.runBatch(batch, n, outputs); // what came before it runs first
                        n = 0;
                    }
                    if (moved == null) {
                        moved = Collections.newSetFromMap(new IdentityHashMap<>());
                    }
                    moved.add(job.caller());
                    job.caller().scriptMovedToThread(); // its later scripts follow it there
                    runner.toScriptThread(job);
                    continue;
                }
                if (runner.ready(job, outputs)) {
                    batch[n++] = job;
                    if (n == MAX_BATCH) {
                        runner.runBatch(batch, n, outputs);
                        n = 0;
                    }
                }
            }
            if (n > 0) {
                runner.runBatch(batch, n, outputs);
            }
        }
    }

    /** A client's script waiting for the script thread, with what it needs to run and to answer. */
    private record Queued(ClientConnection caller, int protocol, byte[][] command, String name, boolean readOnly,
                          boolean function, boolean straightLine, Prepare prepare, Body body,
                          CompletableFuture<LateReply> done) {
        /** Answers the client with {@code reply} (RESP bytes) once {@code acked} completes. */
        void answer(byte[] reply, boolean wrote, CompletableFuture<Void> acked) {
            acked.whenComplete((v, error) -> done.complete(c -> {
                c.scriptFinished();
                if (wrote) {
                    c.ranWrite();
                }
                if (error == null) {
                    c.reply().raw(reply);
                } else {
                    c.reply().error("ERR " + messageOf(error));
                }
            }));
        }

        /** Answers the client with an internal error: the script could not run. */
        void fail(Throwable e) {
            log.warn("script {} failed", name, e);
            done.complete(c -> {
                c.scriptFinished();
                c.reply().error("ERR internal error while running the script: " + e);
            });
        }
    }

    /** The script thread: takes the queued scripts in order, a batch at a time, until the node stops. */
    private void work() {
        VirtualClient[] outputs = new VirtualClient[4];
        Queued[] batch = new Queued[MAX_BATCH];
        while (!closed) {
            int n = 0;
            Queued next;
            while (n < MAX_BATCH && (next = queue.poll()) != null) {
                if (ready(next, outputs)) {
                    batch[n++] = next;
                }
            }
            if (n > 0) {
                runBatch(batch, n, outputs);
                Arrays.fill(batch, 0, n, null);
                continue;
            }
            idleWorker = true;
            if (queue.isEmpty() && !closed) {
                LockSupport.park(this);
            }
            idleWorker = false;
        }
    }

    /** Runs {@code q}'s preparation; false (and the client answered) when it refused or failed. */
    private boolean ready(Queued q, VirtualClient[] outputs) {
        try {
            String refusal = q.prepare().prepare();
            if (refusal == null) {
                return true;
            }
            VirtualClient out = output(outputs, q.protocol());
            out.client().reply().error(refusal);
            q.answer(out.take(), false, DONE);
        } catch (RuntimeException | Error e) {
            q.fail(e);
        }
        return false;
    }

    /**
     * Runs the first {@code n} scripts of {@code batch}, one after the other, under a single hold
     * of the keyspace: each is still atomic (nothing else runs between its first instruction and
     * its result), and the cost of taking every stripe lock is paid once per batch instead of once
     * per script, which is most of what a small script costs when clients queue many.
     */
    private void runBatch(Queued[] batch, int n, VirtualClient[] outputs) {
        NodeServices.WriteTracking tracking = node.writeTracking();
        node.engine().runExclusive(List.of(), true, () -> {
            for (int i = 0; i < n; i++) {
                Queued q = batch[i];
                try {
                    VirtualClient out = output(outputs, q.protocol());
                    Object token = tracking.begin();
                    boolean wrote;
                    CompletableFuture<Void> acked;
                    try {
                        wrote = runHeld(q.caller(), q.name(), q.command(), q.readOnly(), q.function(), q.body(),
                                out.client().reply());
                    } finally {
                        acked = tracking.end(token, q.caller());
                    }
                    q.answer(out.take(), wrote, acked);
                } catch (RuntimeException | Error e) {
                    q.fail(e);
                }
            }
        });
    }

    /** The reply collector for RESP {@code protocol} among one thread's {@code outputs} (reused from script to script). */
    private VirtualClient output(VirtualClient[] outputs, int protocol) {
        VirtualClient out = outputs[protocol];
        if (out == null) {
            out = new VirtualClient(node, protocol);
            outputs[protocol] = out;
        }
        return out;
    }

    /** Whether script {@code sha} is known to be straight-line (compiled here, see {@link LuaBytecode}). */
    boolean straightLine(String sha) {
        return shapes.straightLine(sha);
    }

    /** Work before the lock (see {@link #run}). */
    @FunctionalInterface
    interface Prepare {
        /** Nothing to prepare. */
        Prepare NONE = () -> null;

        /** Null to go on, or the error to reply. */
        String prepare();
    }

    /**
     * Compiles script {@code body} (SHA1 {@code sha}) in an idle Lua state, as SCRIPT LOAD and a
     * first EVAL do before the script enters the cache; returns the compiler's error, or null.
     */
    String compile(String sha, byte[] body, long cacheGeneration) {
        try {
            return withIdle(runtime -> runtime.prepare(sha, body, cacheGeneration));
        } catch (LuaRuntime.LibraryError e) {
            return e.getMessage(); // no Lua state could be started
        }
    }

    /**
     * Loads function library {@code code} in an idle Lua state without keeping it, as FUNCTION
     * LOAD does to check it; returns its functions or throws Redis's error.
     */
    List<LuaRuntime.FunctionInfo> inspectLibrary(byte[] code) throws LuaRuntime.LibraryError {
        return withIdle(runtime -> runtime.loadLibrary(code, false));
    }

    /** Work on an idle Lua state outside the keyspace lock. */
    @FunctionalInterface
    private interface RuntimeTask<T> {
        T apply(LuaRuntime runtime) throws LuaRuntime.LibraryError;
    }

    private <T> T withIdle(RuntimeTask<T> task) throws LuaRuntime.LibraryError {
        LuaRuntime runtime = idle.poll();
        try {
            if (runtime == null) {
                runtime = new LuaRuntime(node, redisVersion, redisVersionNum, shapes);
            }
            return task.apply(runtime);
        } catch (RuntimeException | LinkageError e) {
            log.error("cannot start a Lua interpreter", e);
            throw new LuaRuntime.LibraryError("ERR Lua scripting is not available on this node: " + e);
        } finally {
            if (runtime != null) {
                idle.add(runtime);
            }
        }
    }

    /** Runs {@code body} holding the whole keyspace; returns whether the script wrote. */
    private boolean runLocked(ClientConnection caller, String name, byte[][] command, boolean readOnly,
                              boolean function, Body body, ReplyWriter out) {
        boolean[] wrote = new boolean[1];
        node.engine().runExclusive(List.of(), true,
                () -> wrote[0] = runHeld(caller, name, command, readOnly, function, body, out));
        return wrote[0];
    }

    /** Runs {@code body}; the caller holds the whole keyspace. Returns whether the script wrote. */
    private boolean runHeld(ClientConnection caller, String name, byte[][] command, boolean readOnly,
                            boolean function, Body body, ReplyWriter out) {
        LuaRuntime runtime = idle.poll();
        if (runtime == null) {
            try {
                runtime = new LuaRuntime(node, redisVersion, redisVersionNum, shapes);
            } catch (RuntimeException | LinkageError e) {
                log.error("cannot start a Lua interpreter", e);
                out.error("ERR Lua scripting is not available on this node: " + e);
                return false;
            }
        }
        ScriptActivity.Run run = node.scripts().start(caller, function);
        ScriptCall call = new ScriptCall(node, run, readOnly, name, runtime.session(), caller);
        running = new Running(name, command, System.nanoTime());
        boolean healthy = false;
        try {
            body.run(runtime, call, out);
            healthy = true;
        } finally {
            running = null;
            node.scripts().end(run);
            if (healthy) {
                idle.add(runtime);
            } else {
                runtime.close(); // a state an exception left mid-way is not reused
            }
        }
        return call.wrote();
    }

    /** Stops the script thread and frees the idle Lua states (the node is stopping). */
    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(worker);
        LuaRuntime runtime;
        while ((runtime = idle.poll()) != null) {
            runtime.close();
        }
    }

    private static String messageOf(Throwable error) {
        Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return t.getMessage() == null ? t.toString() : t.getMessage();
    }
}
