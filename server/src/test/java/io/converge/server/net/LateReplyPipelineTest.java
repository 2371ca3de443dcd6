package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.command.ClientConnection;
import io.converge.server.command.CommandDispatcher;
import io.converge.server.command.CommandDispatcher.LateReply;
import io.converge.server.command.CommandSpec;
import io.converge.server.testing.ConvergeFixture;
import io.converge.server.testing.RespClient;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
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
 * {@code ECHO late-fail-...} complete later exceptionally; everything else runs synchronously.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LateReplyPipelineTest {
    private ConvergeFixture node;
    private ScheduledExecutorService delays;
    private final AtomicInteger lateCompleted = new AtomicInteger();

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
                if (!cmd.name().equals("echo") || !first.startsWith("late-")) {
                    dispatcher.execute(client, cmd, args);
                    return null;
                }
                CompletableFuture<LateReply> late = new CompletableFuture<>();
                long delayMicros;
                synchronized (random) {
                    delayMicros = random.nextInt(3000);
                }
                Runnable complete;
                if (first.startsWith("late-keep-")) {
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
            switch (random.nextInt(6)) {
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
        try (RespClient c = new RespClient(node)) {
            c.send(pipeline.toByteArray());
            assertThat(c.read(expected.size())).isEqualTo(expected);
            // The connection is usable afterwards, synchronously and asynchronously.
            assertThat(c.call("ECHO", "late-keep-after")).isEqualTo(new RespClient.Bulk("late-keep-after"));
            assertThat(c.call("GET", "pipeline-counter")).isEqualTo(new RespClient.Bulk(Long.toString(counter)));
        }
    }

    @Test
    void largePipelineBeyondOneReadBatchCompletes() {
        // Far more input than one socket read: reading pauses while a reply is awaited and resumes.
        ByteArrayOutputStream pipeline = new ByteArrayOutputStream();
        List<Object> expected = new ArrayList<>();
        String pad = "x".repeat(900);
        for (int i = 0; i < 1500; i++) {
            String arg = (i % 3 == 0 ? "late-keep-" : "sync-") + i + pad;
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
