package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RQ (jobs in lists and hashes, results in streams) and Celery (with Kombu's Redis transport: lists, BRPOP, MULTI, a Lua script for its unacked-message
 * mutex, pub/sub) against a 3-node cluster, as users run it: the Debian package's Celery and
 * redis-py under {@code /usr/bin/python3} ({@code ./converge test} installs them), a worker process
 * consuming from node 1 and storing results on node 2, a producer sending tasks and waiting for
 * every result.
 */
class PythonQueuesOnClusterTest {
    /** The Debian interpreter, with the Debian packages of redis-py and Celery. */
    static final String PYTHON = "/usr/bin/python3";

    @Test
    void celeryRunsTasksThroughTheCluster(@TempDir Path dir) throws Exception {
        assertThat(run(dir, List.of(PYTHON, "-c", "import celery, redis"), 30).exitCode)
                .as("Celery and redis-py for %s (./converge test installs python3-celery and python3-redis)", PYTHON)
                .isZero();
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { })) {
            Files.writeString(dir.resolve("tasks.py"), """
                    from celery import Celery
                    app = Celery('tasks', broker='redis://127.0.0.1:%d/0', backend='redis://127.0.0.1:%d/0')
                    app.conf.broker_transport_options = {'visibility_timeout': 60}
                    @app.task
                    def add(x, y):
                        return x + y
                    """.formatted(cluster.port(1), cluster.port(2)));
            Files.writeString(dir.resolve("produce.py"), """
                    from tasks import add
                    results = [add.delay(i, i * 10) for i in range(40)]
                    print(sum(r.get(timeout=60) for r in results))
                    """);
            Process worker = new ProcessBuilder(PYTHON, "-m", "celery", "-A", "tasks", "worker", "-P", "solo",
                    "--loglevel=WARNING", "--without-heartbeat", "--without-mingle", "--without-gossip")
                    .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(dir.resolve("worker.log").toFile())
                    .start();
            try {
                Result produced = run(dir, List.of(PYTHON, "produce.py"), 120);
                assertThat(produced.exitCode).as("producer output:\n%s\nworker log:\n%s", produced.output,
                        Files.readString(dir.resolve("worker.log"))).isZero();
                // sum of i + 10 i for i < 40
                assertThat(produced.output.strip()).isEqualTo(Integer.toString(11 * (39 * 40 / 2)));
            } finally {
                worker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void rqRunsJobsThroughTheClusterAndKeepsTheirResultsInStreams(@TempDir Path dir) throws Exception {
        assertThat(run(dir, List.of(PYTHON, "-c", "import rq, redis"), 30).exitCode)
                .as("RQ and redis-py for %s (./converge test installs python3-rq and python3-redis)", PYTHON)
                .isZero();
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { })) {
            Files.writeString(dir.resolve("jobs.py"), """
                    def add(x, y):
                        return x + y
                    """);
            Files.writeString(dir.resolve("enqueue.py"), """
                    from redis import Redis
                    from rq import Queue
                    from jobs import add
                    q = Queue('default', connection=Redis(port=%d))
                    jobs = [q.enqueue(add, i, i * 10) for i in range(30)]
                    open('ids.txt', 'w').write('\\n'.join(j.id for j in jobs))
                    """.formatted(cluster.port(1)));
            // RQ 1.13 keeps each job's results in a stream (XADD with MAXLEN ~ 10, XREVRANGE, XLEN).
            Files.writeString(dir.resolve("fetch.py"), """
                    import time
                    from redis import Redis
                    from rq.job import Job
                    from rq.results import Result
                    conn = Redis(port=%d)
                    total = 0
                    for jid in open('ids.txt').read().split():
                        job = Job.fetch(jid, connection=conn)
                        deadline = time.time() + 20
                        result = job.latest_result()
                        while result is None and time.time() < deadline:
                            time.sleep(0.2)
                            result = job.latest_result()
                        assert result is not None, jid
                        assert result.type == Result.Type.SUCCESSFUL, (jid, result.type, result.exc_string)
                        assert job.result == result.return_value, (jid, job.result, result.return_value)
                        assert len(job.results()) == 1, (jid, job.results())
                        total += result.return_value
                    print(total)
                    """.formatted(cluster.port(3)));
            Result enqueued = run(dir, List.of(PYTHON, "enqueue.py"), 60);
            assertThat(enqueued.exitCode).as("enqueue output:\n%s", enqueued.output).isZero();
            Result worked = run(dir, List.of(PYTHON, "-m", "rq.cli", "worker", "--burst", "--url",
                    "redis://127.0.0.1:" + cluster.port(2), "default"), 120);
            assertThat(worked.exitCode).as("worker output:\n%s", worked.output).isZero();
            Result fetched = run(dir, List.of(PYTHON, "fetch.py"), 120);
            assertThat(fetched.exitCode).as("fetch output:\n%s\nworker output:\n%s", fetched.output, worked.output)
                    .isZero();
            assertThat(fetched.output.strip()).isEqualTo(Integer.toString(11 * (29 * 30 / 2)));
        }
    }

    /** A finished process: its exit code (-1: killed after the timeout) and its output. */
    record Result(int exitCode, String output) {}

    /** Runs {@code command} in {@code dir}, killed after {@code timeoutSeconds}. */
    static Result run(Path dir, List<String> command, int timeoutSeconds) throws IOException,
            InterruptedException {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, Files.readString(out, StandardCharsets.UTF_8) + "\n(timed out)");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }
}
