package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.testing.ConvergeFixture;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.Simple;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Users from the configuration (Converge's own keys, so no redis-server to compare with): the
 * {@code users} list with and without rules, {@code requirepass} beside it or beside an ACL
 * file, invalid rules stopping the start, and users changed at run time kept across a restart.
 */
class AclConfigTest {
    private static final Simple OK = new Simple("OK");

    @Test
    void usersOfTheConfigurationWithAndWithoutRules() {
        try (ConvergeFixture node = ConvergeFixture.start(c -> c.requirepass("rp").user("alice", "pw")
                .user("cache", "c", "on ~cache:* +@read").user("ops", null, "on nopass +@admin (~tmp:* +@write)"));
             RespClient c = new RespClient(node)) {
            assertThat(c.call("PING")).isEqualTo(new Err("NOAUTH Authentication required."));
            assertThat(c.call("AUTH", "rp")).isEqualTo(OK);
            assertThat(c.call("ACL", "LIST")).isEqualTo(List.of(
                    new Bulk("user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~* &* +@all"),
                    new Bulk("user cache on #2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6 ~cache:* "
                            + "resetchannels -@all +@read"),
                    new Bulk("user default on #796e80c7e5bf8a48cb603f229eeec578ec72443dbfe37710cc80de67228c6713 ~* &* +@all"),
                    new Bulk("user ops on nopass resetchannels -@all +@admin (~tmp:* resetchannels -@all +@write)")));
            assertThat(c.call("AUTH", "cache", "c")).isEqualTo(OK);
            assertThat(c.call("GET", "cache:1")).isEqualTo(RespClient.Null.BULK);
            assertThat(c.call("SET", "cache:1", "v")).isEqualTo(new Err(
                    "NOPERM this user has no permissions to run the 'set' command"));
            assertThat(c.call("AUTH", "ops", "any")).isEqualTo(OK);
            assertThat(c.call("SET", "tmp:1", "v")).isEqualTo(OK);
            assertThat(c.call("AUTH", "alice", "pw")).isEqualTo(OK);
            assertThat(c.call("FLUSHALL")).isEqualTo(OK);
        }
    }

    @Test
    void invalidRulesStopTheStart() {
        assertThatThrownBy(() -> ConvergeFixture.start(c -> c.user("bad", "x", "on +nosuch")))
                .hasRootCauseMessage("users: user 'bad': error in rule '+nosuch': Unknown command or category name in ACL");
    }

    @Test
    void requirepassStillProtectsTheDefaultUserBesideAnAclFileWithoutIt() throws Exception {
        Path file = Files.createTempFile("users", ".acl");
        Files.writeString(file, "user alice on >pw ~* +@all\n");
        try (ConvergeFixture node = ConvergeFixture.start(c -> c.requirepass("rp").aclfile(file.toString()));
             RespClient c = new RespClient(node)) {
            assertThat(c.call("PING")).isEqualTo(new Err("NOAUTH Authentication required."));
            assertThat(c.call("AUTH", "alice", "pw")).isEqualTo(OK);
            assertThat(c.call("AUTH", "rp")).isEqualTo(OK);
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void usersChangedAtRunTimeSurviveARestart() throws Exception {
        Path dir = Files.createTempDirectory("acl-restart");
        try {
            try (ConvergeFixture node = ConvergeFixture.start(c -> c.dataDir(dir).user("alice", "pw"));
                 RespClient c = new RespClient(node)) {
                assertThat(c.call("ACL", "SETUSER", "bob", "on", ">b", "~b*", "+get")).isEqualTo(OK);
                assertThat(c.call("ACL", "SETUSER", "alice", "resetpass", ">new")).isEqualTo(OK);
            }
            try (ConvergeFixture node = ConvergeFixture.start(c -> c.dataDir(dir).user("alice", "pw"));
                 RespClient c = new RespClient(node)) {
                assertThat(c.call("AUTH", "bob", "b")).isEqualTo(OK);
                assertThat(c.call("AUTH", "alice", "pw")).isEqualTo(new Err(
                        "WRONGPASS invalid username-password pair or user is disabled."));
                assertThat(c.call("AUTH", "alice", "new")).isEqualTo(OK);
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
