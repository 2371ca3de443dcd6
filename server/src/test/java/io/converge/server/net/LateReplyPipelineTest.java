package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.command.CommandDispatcher.AwaitingAcks;
import io.converge.server.command.CommandDispatcher.LateReply;
import io.converge.server.command.CommandSpec;
import io.converge.server.testing.ConvergeFixture;
import io.converge.server.testing.RespClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Pipelined requests whose replies complete later (as in a cluster: a write waiting for its
 * replicas, a command forwarded to another node) mixed with ones that complete at once: the
 * replies must come back complete and in request order, whatever the completion order.
 *
 * <p>A test router on a real node makes {@code ECHO late-keep-...} run at once and complete later
 * keeping its reply, {@code ECHO late-swap-...} complete later with a reply written only then,
 * {@code ECHO late-fail-...} complete later exceptionally; these are barriers: no later command
 * of the connection may run before they complete. {@code ECHO late-ack-...} and
 * {@code ECHO late-ackfail-...} return an {@link AwaitingAcks} (as a replicated write does), which
 * later commands need not wait for; {@code ECHO late-ack-hold-N} completes only when
 * {@code ECHO release-N} runs. Everything else runs synchronously.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LateReplyPipelineTest {
    private ConvergeFixture node;
    private ScheduledExecutorService delays;
    private final AtomicInteger lateCompleted = new AtomicInteger();
    /** What the router saw, in order: "run:ARG" when an ECHO ran, "done:ARG" when a barrier completed. */
    private final List<String> events = new ArrayList<>();
    /** Acknowledgement waits held until {@code ECHO release-N} runs, by N. */
    private final Map<String, AwaitingAcks> held = new ConcurrentHashMap<>();

    @BeforeAll
    void start() {
        node = ConvergeFixture.start(c -> c.set("appendonly", "no"));
        delays = Executors.newScheduledThreadPool(2);
        CommandDispatcher dispatcher = node.node().services().dispatcher();
        Random random = new Random(7);
        dispatcher.router(new CommandDispatcher.Router() {
            @Override
            public CompletableFuture<LateReply> route(ClientConnection client, CommandSpec cmd, byte[][] args) {
                String first = args.length > 1 ? new String(args[1], StandardCharsets.UTF_8) : "";
                if (cmd.name().equals("echo")) {
                    record("run:" + first);
                }
                if (first.startsWith("release-")) {
                    dispatcher.execute(client, cmd, args);
                    held.remove(first.substring("release-".length())).complete(LateReply.KEEP);
                    return null;
                }
                if (!cmd.name().equals("echo") || !first.startsWith("late-")) {
                    dispatcher.execute(client, cmd, args);
                    return null;
                }
                if (first.startsWith("late-ack-hold-")) {
                    dispatcher.execute(client, cmd, args);
                    AwaitingAcks acks = new AwaitingAcks();
                    held.put(first.substring("late-ack-hold-".length()), acks);
                    return acks;
                }
                boolean acks = first.startsWith("late-ack");
                CompletableFuture<LateReply> late = acks ? new AwaitingAcks() : new CompletableFuture<>();
                long delayMicros;
                synchronized (random) {
                    delayMicros = first.startsWith("late-ack-slow-") ? 300_000 : random.nextInt(3000);
                }
                Runnable complete;
                if (first.startsWith("late-ack-")) {
                    dispatcher.execute(client, cmd, args);
                    complete = () -> late.complete(LateReply.KEEP);
                } else if (first.startsWith("late-ackfail-")) {
                    dispatcher.execute(client, cmd, args); // written now, replaced by the error
                    complete = () -> late.complete(c -> c.reply().error("ERR not acknowledged:" + first));
                } else if (first.startsWith("late-keep-")) {
                    dispatcher.execute(client, cmd, args); // the reply is written now and held back
                    complete = () -> late.complete(LateReply.KEEP);
                } else if (first.startsWith("late-swap-")) {
                    dispatcher.execute(client, cmd, args); // written now, then replaced
                    complete = () -> late.complete(c -> c.reply().bulk("swapped:" + first));
                } else {
                    complete = () -> late.completeExceptionally(new IllegalStateException("failed:" + first));
                }
                delays.schedule(() -> {
                    lateCompleted.incrementAndGet();
                    if (!acks) {
                        record("done:" + first);
                    }
                    complete.run();
                }, delayMicros, TimeUnit.MICROSECONDS);
                return late;
            }

            @Override
            public String checkQueued(ClientConnection client, CommandSpec cmd, byte[][] args) {
                return null;
            }
        });
    }

    private void record(String event) {
        synchronized (events) {
            events.add(event);
        }
    }

    @AfterAll
    void stop() {
        node.node().services().dispatcher().router(null);
        delays.shutdownNow();
        node.close();
    }

    @Test
    void pipelinedRepliesStayInOrderWhateverCompletesLater() {
        Random random = new Random(42);
        ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        List<Object> expected = new ArrayList<>();
        long counter = 0;
        for (int i = 0; i < 600; i++) {
            switch (random.nextInt(8)) {
                case 6 -> {
                    String arg = "late-ack-" + i;
                    pipeline.writeBytes(RespClient.encode("ECHO", arg));
                    expected.add(new RespClient.Bulk(arg));
                }
                case 7 -> {
                    String arg = "late-ackfail-" + i;
                    pipeline.writeBytes(RespClient.encode("ECHO", arg));
                    expected.add(new RespClient.Err("ERR not acknowledged:" + arg));
                }
                case 0 -> {
                    String arg = "late-keep-" + i;
                    pipeline.writeBytes(RespClient.encode("ECHO", arg));
                    expected.add(new RespClient.Bulk(arg));
                }
                case 1 -> {
                    String arg = "late-swap-" + i;
                    pipeline.writeBytes(RespClient.encode("ECHO", arg));
                    expected.add(new RespClient.Bulk("swapped:" + arg));
                }
                case 2 -> {
                    String arg = "late-fail-" + i;
                    pipeline.writeBytes(RespClient.encode("ECHO", arg));
                    expected.add(new RespClient.Err("ERR failed:" + arg));
                }
                case 3 -> {
                    pipeline.writeBytes(RespClient.encode("INCR", "pipeline-counter"));
                    expected.add(++counter);
                }
                case 4 -> {
                    String arg = "sync-" + i;
                    pipeline.writeBytes(RespClient.encode("ECHO", arg));
                    expected.add(new RespClient.Bulk(arg));
                }
                default -> {
                    pipeline.writeBytes(RespClient.encode("PING"));
                    expected.add(new RespClient.Simple("PONG"));
                }
            }
        }
        synchronized (events) {
            events.clear();
        }
        try (RespClient c = new RespClient(node)) {
            c.send(pipeline.toByteArray());
            assertThat(c.read(expected.size())).isEqualTo(expected);
            assertBarriersHeld();
            // The connection is usable afterwards, synchronously and asynchronously.
            assertThat(c.call("ECHO", "late-keep-after")).isEqualTo(new RespClient.Bulk("late-keep-after"));
            assertThat(c.call("GET", "pipeline-counter")).isEqualTo(new RespClient.Bulk(Long.toString(counter)));
        }
    }

    /** A barrier (late-keep/swap/fail) completed before the next ECHO of the pipeline ran. */
    private void assertBarriersHeld() {
        List<String> seen;
        synchronized (events) {
            seen = List.copyOf(events);
        }
        String openBarrier = null;
        for (String event : seen) {
            if (event.startsWith("done:")) {
                if (event.substring(5).equals(openBarrier)) {
                    openBarrier = null;
                }
            } else {
                assertThat(openBarrier).as("%s ran before the barrier completed", event).isNull();
                String arg = event.substring(4);
                boolean barrierArg = arg.startsWith("late-") && !arg.startsWith("late-ack");
                openBarrier = barrierArg ? arg : null;
            }
        }
    }

    @Test
    void commandsAwaitingAcksDoNotHoldBackLaterCommands() {
        // The first reply can only complete after the third command ran: with one command at a
        // time this pipeline would never be answered.
        try (RespClient c = new RespClient(node)) {
            ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
            pipeline.writeBytes(RespClient.encode("ECHO", "late-ack-hold-1"));
            pipeline.writeBytes(RespClient.encode("SET", "acks-key", "v1"));
            pipeline.writeBytes(RespClient.encode("ECHO", "late-ack-hold-2"));
            pipeline.writeBytes(RespClient.encode("ECHO", "release-2"));
            pipeline.writeBytes(RespClient.encode("GET", "acks-key"));
            pipeline.writeBytes(RespClient.encode("ECHO", "release-1"));
            c.send(pipeline.toByteArray());
            assertThat(c.read(6)).containsExactly(new RespClient.Bulk("late-ack-hold-1"), new RespClient.Simple("OK"),
                    new RespClient.Bulk("late-ack-hold-2"), new RespClient.Bulk("release-2"),
                    new RespClient.Bulk("v1"), new RespClient.Bulk("release-1"));
        }
    }

    @Test
    void quitBehindRepliesAwaitingAcksAnswersAllThenCloses() {
        try (RespClient c = new RespClient(node)) {
            ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
            pipeline.writeBytes(RespClient.encode("ECHO", "late-ack-hold-q"));
            pipeline.writeBytes(RespClient.encode("PING"));
            pipeline.writeBytes(RespClient.encode("QUIT"));
            c.send(pipeline.toByteArray());
            // Nothing leaves (not even PONG) and the connection stays open while the first reply is awaited.
            assertThat(c.readUntilClosedOrIdle(300)).isEmpty();
            held.remove("q").complete(LateReply.KEEP);
            assertThat(c.read(3)).containsExactly(new RespClient.Bulk("late-ack-hold-q"),
                    new RespClient.Simple("PONG"), new RespClient.Simple("OK"));
            assertThat(c.isClosedByServer(2000)).isTrue();
        }
    }

    @Test
    void morePipelinedWritesThanMayBeInFlightAllComplete() {
        // Beyond ClientHandler.MAX_IN_FLIGHT awaited commands, input waits for completions and resumes.
        ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        List<Object> expected = new ArrayList<>();
        for (int i = 0; i < 3 * ClientHandler.MAX_IN_FLIGHT; i++) {
            String arg = "late-ack-" + i;
            pipeline.writeBytes(RespClient.encode("ECHO", arg));
            expected.add(new RespClient.Bulk(arg));
        }
        try (RespClient c = new RespClient(node)) {
            c.send(pipeline.toByteArray());
            assertThat(c.read(expected.size())).isEqualTo(expected);
        }
    }

    @Test
    void repliesHeldBehindASlowWriteBeyondTheByteBoundStillArriveInOrder() {
        // More reply bytes than ClientHandler.MAX_HELD_BYTES pile up behind a write whose
        // acknowledgement takes 300 ms: input pauses, then everything leaves in order.
        String big = "y".repeat(64 * 1024);
        int count = (int) (ClientHandler.MAX_HELD_BYTES / big.length()) * 2;
        ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        List<Object> expected = new ArrayList<>();
        pipeline.writeBytes(RespClient.encode("ECHO", "late-ack-slow-1"));
        expected.add(new RespClient.Bulk("late-ack-slow-1"));
        for (int i = 0; i < count; i++) {
            pipeline.writeBytes(RespClient.encode("ECHO", i + big));
            expected.add(new RespClient.Bulk(i + big));
        }
        try (RespClient c = new RespClient(node)) {
            c.send(pipeline.toByteArray());
            assertThat(c.read(expected.size())).isEqualTo(expected);
        }
    }

    @Test
    void largePipelineBeyondOneReadBatchCompletes() {
        // Far more input than one socket read: reading pauses while a reply is awaited and resumes.
        ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        List<Object> expected = new ArrayList<>();
        String pad = "x".repeat(900);
        for (int i = 0; i < 1500; i++) {
            String arg = (i % 3 == 0 ? "late-keep-" : i % 3 == 1 ? "late-ack-" : "sync-") + i + pad;
            pipeline.writeBytes(RespClient.encode("ECHO", arg));
            expected.add(new RespClient.Bulk(arg));
        }
        try (RespClient c = new RespClient(node)) {
            c.send(pipeline.toByteArray());
            assertThat(c.read(expected.size())).isEqualTo(expected);
        }
    }

    @Test
    void quitAfterALateReplyAnswersBothThenCloses() {
        try (RespClient c = new RespClient(node)) {
            ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
            pipeline.writeBytes(RespClient.encode("ECHO", "late-keep-q"));
            pipeline.writeBytes(RespClient.encode("QUIT"));
            pipeline.writeBytes(RespClient.encode("PING"));
            c.send(pipeline.toByteArray());
            assertThat(c.read(2)).containsExactly(new RespClient.Bulk("late-keep-q"), new RespClient.Simple("OK"));
            assertThat(c.isClosedByServer(2000)).isTrue();
        }
    }

    @Test
    void closingTheConnectionWhileAReplyIsAwaitedIsHarmless() throws Exception {
        int before = lateCompleted.get();
        try (RespClient c = new RespClient(node)) {
            c.send(RespClient.encode("ECHO", "late-keep-abandoned"));
        }
        long deadline = System.currentTimeMillis() + 2000;
        while (lateCompleted.get() == before && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
        Thread.sleep(20);
        try (RespClient c = new RespClient(node)) {
            assertThat(c.call("PING")).isEqualTo(new RespClient.Simple("PONG"));
        }
    }
}
