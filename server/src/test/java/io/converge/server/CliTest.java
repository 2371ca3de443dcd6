package io.converge.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {}

    private static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpAndVersion() {
        Run help = run("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("server", "up");
        Run serverHelp = run("server", "--help");
        assertThat(serverHelp.out()).contains("--port", "--config", "--data-dir", "--bind", "--requirepass", "--set", "--cluster",
                "--tls-port", "--tls-cert-file", "--tls-key-file", "--tls-ca-cert-file", "--tls-auth-clients");
        Run version = run("--version");
        assertThat(version.out()).contains("converge", "Redis 7.0.15 compatible");
    }

    @Test
    void upRefusesImpossibleShapesAndPorts() {
        // A working `up` cluster is tested in cluster.routing.LocalClusterUpTest (on free ports).
        Run noNodes = run("up", "--nodes", "0");
        assertThat(noNodes.code()).isEqualTo(2);
        assertThat(noNodes.err()).contains("--nodes and --dcs must be at least 1");
        Run noRoom = run("up", "--base-port", "60000");
        assertThat(noRoom.code()).isEqualTo(2);
        assertThat(noRoom.err()).contains("--base-port 60000 leaves no room for 3 client ports and peer ports");
    }

    @Test
    void configurationErrorsAreReportedWithExitCode1() throws IOException {
        Path f = dir.resolve("bad.yaml");
        Files.writeString(f, "colour: blue\n");
        Run r = run("server", "--config", f.toString(), "--port", "0");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("unknown configuration key 'colour'");
        Run bad = run("server", "--set", "maxmemory=lots", "--port", "0");
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("maxmemory");
        Run tls = run("server", "--port", "0", "--tls-port", Integer.toString(io.converge.server.testing.FreePorts.find()),
                "--tls-cert-file", dir.resolve("none.crt").toString(), "--tls-key-file", dir.resolve("none.key").toString(),
                "--tls-ca-cert-file", dir.resolve("ca.crt").toString(), "--data-dir", dir.resolve("tls").toString());
        assertThat(tls.code()).isEqualTo(1);
        assertThat(tls.err()).contains("Failed to configure TLS: Failed to load private key (tls-key-file)", "none.key");
        Run auth = run("server", "--tls-auth-clients", "sometimes", "--port", "0");
        assertThat(auth.code()).isEqualTo(1);
        assertThat(auth.err()).contains("tls-auth-clients", "no, yes, optional");
    }
}
