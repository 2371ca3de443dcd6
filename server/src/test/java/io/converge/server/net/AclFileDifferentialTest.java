package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.config.ConvergeConfig;
import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.ServerTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The ACL file against redis-server 7.0, each with its own file of the same content: users
 * loaded at start, ACL LOAD (its error messages, every other user's connections closed, a file
 * without a default user), ACL SAVE (the file written), with the file paths replaced by
 * {@code FILE} before comparing.
 */
class AclFileDifferentialTest extends DifferentialTestBase {
    private static final String INITIAL = "user alice on >pw ~a* &* +@all\nuser bob on nopass ~b* +get\n";
    private final Path dir = tempDir();
    private final Path redisFile = write(dir.resolve("redis.acl"), INITIAL);
    private final Path convergeFile = write(dir.resolve("converge.acl"), INITIAL);

    @Override
    protected String[] redisArgs() {
        return new String[] {"--aclfile", redisFile.toString()};
    }

    @Override
    protected void configureConverge(ConvergeConfig.Builder config) {
        config.aclfile(convergeFile.toString());
    }

    @AfterAll
    void removeFiles() throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("aclfile");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.ISO_8859_1);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path fileOf(ServerTarget t) {
        return t == redis ? redisFile : convergeFile;
    }

    /** Runs {@code scenario} on each target with its file; replies with the file's path as FILE, compared. */
    private Object both(Function<ServerTarget, Object> scenario) {
        Object expected = scenario.apply(redis).toString().replace(redisFile.toString(), "FILE");
        Object actual = scenario.apply(converge).toString().replace(convergeFile.toString(), "FILE");
        assertThat(actual).as("converge vs redis").isEqualTo(expected);
        return actual;
    }

    private Object loadWith(String content) {
        return both(t -> {
            write(fileOf(t), content);
            try (RespClient c = new RespClient(t)) {
                return List.of(c.call("ACL", "LOAD"), AclDifferentialTest.normalize(c.call("ACL", "LIST")));
            }
        });
    }

    @Test
    void usersOfTheFileAreLoadedAtStart() {
        both(t -> {
            try (RespClient c = new RespClient(t)) {
                return List.of(AclDifferentialTest.normalize(c.call("ACL", "LIST")), c.call("AUTH", "alice", "pw"),
                        c.call("GET", "a1"), c.call("GET", "b1"));
            }
        });
    }

    @Test
    void loadReportsEveryErrorAndChangesNothing() {
        loadWith("user alice on >pw bogus\n# comment\nuser alice on\nuser x y\nuser z (+get\nuser   q on  \n"
                + "\"user\" r\nuser ok on +nosuch\n");
        loadWith("user alice on >pw (~a* +get) (+set ~b*)\n  user  default  on nopass   +@all ~* &*  \r\nuser bob\n");
        loadWith("user alice on ~* %R~x\nuser b &* &x\nuser c <nope #abc\n");
        both(t -> {
            try {
                Files.delete(fileOf(t));
                try (RespClient c = new RespClient(t)) {
                    return c.call("ACL", "LOAD");
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                write(fileOf(t), INITIAL);
            }
        });
    }

    @Test
    void loadReplacesUsersAndClosesTheConnectionsOfEveryOtherUserThanDefault() {
        loadWith(INITIAL);
        both(t -> {
            List<Object> out = new ArrayList<>();
            write(fileOf(t), "user alice on >pw ~a* &* +@all\nuser carol on >c ~* +@all\n\nuser default on nopass ~* "
                    + "&* +@all -flushall\n");
            try (RespClient alice = new RespClient(t); RespClient bob = new RespClient(t);
                 RespClient def = new RespClient(t); RespClient loader = new RespClient(t)) {
                out.add(alice.call("AUTH", "alice", "pw"));
                out.add(bob.call("AUTH", "bob", "x"));
                out.add(loader.call("AUTH", "alice", "pw"));
                out.add(loader.call("ACL", "LOAD"));
                out.add(alice.isClosedByServer(2000));
                out.add(bob.isClosedByServer(2000));
                out.add(loader.isClosedByServer(2000));
                out.add(def.call("PING"));
                out.add(def.call("FLUSHALL"));
                out.add(AclDifferentialTest.normalize(def.call("ACL", "LIST")));
            }
            return out;
        });
        // A file without a default user: the default user is Redis's again.
        loadWith("user alice on >pw ~a* &* +@all\n");
        loadWith(INITIAL);
    }

    @Test
    void saveWritesTheUsersToTheFile() {
        loadWith(INITIAL);
        both(t -> {
            try (RespClient c = new RespClient(t)) {
                List<Object> out = new ArrayList<>();
                out.add(c.call("ACL", "SETUSER", "dave", "on", ">d", "~d*", "resetchannels", "&n*", "+get", "+set",
                        "(+hget ~h*)"));
                out.add(c.call("ACL", "SETUSER", "bob", "+del"));
                out.add(c.call("ACL", "SAVE"));
                out.add(AclDifferentialTest.normalizeRules(Files.readString(fileOf(t), StandardCharsets.ISO_8859_1)
                        .replace("\n", " | ")));
                out.add(c.call("ACL", "LOAD"));
                out.add(AclDifferentialTest.normalize(c.call("ACL", "LIST")));
                out.add(c.call("ACL", "DELUSER", "dave"));
                return out;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        both(t -> {
            Path file = fileOf(t);
            try {
                Files.delete(file);
                Files.createDirectory(file);
                try (RespClient c = new RespClient(t)) {
                    return c.call("ACL", "SAVE");
                } finally {
                    Files.delete(file);
                    write(file, INITIAL);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        loadWith(INITIAL);
        assertThat(new RespClient(converge).call("ACL", "LOAD")).isNotInstanceOf(Err.class);
        assertThat(new RespClient(converge).call("ACL", "USERS")).isEqualTo(List.of(new Bulk("alice"), new Bulk("bob"),
                new Bulk("default")));
    }
}
