package io.converge.server.cluster.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.converge.server.command.NodeServices;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.Simple;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * ACL users in a cluster: a user set on one node logs in on every node, a node that was down
 * catches up (changes and deletions), users survive a restart, concurrent changes of one user
 * converge to one of them; commands a node forwards are checked where the client is connected,
 * and the scripts and transactions they carry are checked on the node that runs them as the
 * client's user.
 */
class AclClusterTest {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Simple OK = new Simple("OK");
    private static final Err WRONGPASS = new Err("WRONGPASS invalid username-password pair or user is disabled.");

    private static RespClient client(TestCluster cluster, int id) {
        return new RespClient("127.0.0.1", cluster.port(id));
    }

    @Test
    void usersSpreadToEveryNodeIncludingOneThatWasDownAndSurviveRestarts() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(3), c -> { })) {
            try (RespClient one = client(cluster, 1); RespClient three = client(cluster, 3)) {
                assertThat(one.call("ACL", "SETUSER", "bob", "on", ">pw", "~b*", "+@all")).isEqualTo(OK);
                await().atMost(WAIT).untilAsserted(() -> assertThat(three.call("AUTH", "bob", "pw")).isEqualTo(OK));
                assertThat(three.call("GET", "x1")).isEqualTo(new Err(
                        "NOPERM this user has no permissions to access one of the keys used as arguments"));
                assertThat(three.call("ACL", "WHOAMI")).isEqualTo(new RespClient.Bulk("bob"));
            }
            cluster.stopNode(3);
            try (RespClient one = client(cluster, 1); RespClient two = client(cluster, 2)) {
                assertThat(one.call("ACL", "SETUSER", "carol", "on", ">c", "~*", "&*", "+@all")).isEqualTo(OK);
                assertThat(two.call("ACL", "DELUSER", "bob")).isEqualTo(1L);
                await().atMost(WAIT).untilAsserted(() -> assertThat(one.call("ACL", "USERS")).isEqualTo(
                        List.of(new RespClient.Bulk("carol"), new RespClient.Bulk("default"))));
            }
            cluster.startNode(3);
            cluster.awaitAllUp();
            try (RespClient three = client(cluster, 3)) {
                // Node 3 was down: it asks the others for their users once it is back.
                await().atMost(WAIT).untilAsserted(() -> assertThat(three.call("AUTH", "carol", "c")).isEqualTo(OK));
                assertThat(three.call("AUTH", "bob", "pw")).isEqualTo(WRONGPASS);
            }
            // A client library logging in with a user name on another node.
            RedisClient lettuce = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(cluster.port(3))
                    .withAuthentication("carol", "c".toCharArray()).withTimeout(Duration.ofSeconds(10)).build());
            try (StatefulRedisConnection<String, String> conn = lettuce.connect()) {
                assertThat(conn.sync().set("lettuce", "v")).isEqualTo("OK");
                assertThat(conn.sync().aclWhoami()).isEqualTo("carol");
            } finally {
                lettuce.shutdown();
            }
            // Saved with each node's data: node 2 restarted alone keeps them before it hears from the others.
            cluster.stopNode(2);
            cluster.startNode(2);
            try (RespClient two = client(cluster, 2)) {
                assertThat(two.call("AUTH", "carol", "c")).isEqualTo(OK);
                assertThat(two.call("AUTH", "bob", "pw")).isEqualTo(WRONGPASS);
            }
            cluster.awaitAllUp();
            // Two nodes change one user at once: every node ends with the same one of the two, whole.
            try (RespClient one = client(cluster, 1); RespClient two = client(cluster, 2);
                 RespClient three = client(cluster, 3)) {
                assertThat(one.call("ACL", "SETUSER", "dan", "on", ">d1", "~one*", "+get")).isEqualTo(OK);
                assertThat(two.call("ACL", "SETUSER", "dan", "on", ">d2", "~two*", "+set")).isEqualTo(OK);
                await().atMost(WAIT).untilAsserted(() -> {
                    Object first = one.call("ACL", "GETUSER", "dan");
                    assertThat(two.call("ACL", "GETUSER", "dan")).isEqualTo(first);
                    assertThat(three.call("ACL", "GETUSER", "dan")).isEqualTo(first);
                    // SETUSER adds to the user it finds: node 2's may have run on node 1's user already
                    // (then it holds both changes), or concurrently (then one of them wins whole).
                    assertThat(first.toString()).satisfiesAnyOf(
                            s -> assertThat(s).contains("~one*").contains("+get").doesNotContain("~two*"),
                            s -> assertThat(s).contains("~two*").contains("+set").doesNotContain("~one*"),
                            s -> assertThat(s).contains("~one* ~two*").contains("+get +set"));
                });
            }
        }
    }

    @Test
    void forwardedCommandsAreCheckedWhereTheClientIsConnected() {
        try (TestCluster cluster = TestCluster.start(List.of(3), List.of(1), c -> { })) {
            NodeServices one = cluster.node(1).services();
            NodeServices two = cluster.node(2).services();
            String remote = keyOnlyOn(two, one, "k");
            String remoteDenied = keyOnlyOn(two, one, "x");
            try (RespClient admin = client(cluster, 1)) {
                assertThat(admin.call("ACL", "SETUSER", "fw", "on", ">pw", "~k*", "+get", "+set", "+eval", "+multi",
                        "+exec", "+acl|whoami")).isEqualTo(OK);
                assertThat(admin.call("FUNCTION", "FLUSH")).isEqualTo(OK);
            }
            try (RespClient two2 = client(cluster, 2)) {
                await().atMost(WAIT).untilAsserted(() -> assertThat(two2.call("ACL", "GETUSER", "fw"))
                        .isInstanceOf(List.class));
            }
            try (RespClient c = client(cluster, 1); RespClient admin = client(cluster, 1);
                 RespClient admin2 = client(cluster, 2)) {
                assertThat(c.call("AUTH", "fw", "pw")).isEqualTo(OK);
                assertThat(c.call("SET", remote, "v")).isEqualTo(OK); // forwarded to node 2, allowed
                assertThat(c.call("GET", remote)).isEqualTo(new RespClient.Bulk("v"));
                assertThat(c.call("GET", remoteDenied)).isEqualTo(new Err(
                        "NOPERM this user has no permissions to access one of the keys used as arguments"));
                assertThat(c.call("DEL", remote)).isEqualTo(new Err(
                        "NOPERM this user has no permissions to run the 'del' command"));
                // The script runs on node 2, where its redis.call is checked as user fw.
                Object refused = c.call("EVAL", "return redis.call('del', KEYS[1])", "1", remote);
                assertThat(refused).isInstanceOf(Err.class);
                assertThat(((Err) refused).text()).startsWith(
                        "ERR The user executing the script can't run this command or subcommand script: ");
                assertThat(c.call("EVAL", "return redis.call('get', KEYS[1])", "1", remote))
                        .isEqualTo(new RespClient.Bulk("v"));
                assertThat(admin2.call("ACL", "LOG", "1").toString()).contains("lua").contains("fw");
                assertThat(admin.call("ACL", "LOG").toString()).contains(remoteDenied).contains("del")
                        .doesNotContain("lua");
                // A forwarded transaction: its commands are checked again when EXEC runs them on node 2.
                assertThat(c.call("MULTI")).isEqualTo(OK);
                assertThat(c.call("GET", remote)).isEqualTo(new Simple("QUEUED"));
                assertThat(admin.call("ACL", "SETUSER", "fw", "-get")).isEqualTo(OK);
                await().atMost(WAIT).untilAsserted(() -> assertThat(admin2.call("ACL", "DRYRUN", "fw", "get", remote))
                        .isNotEqualTo(OK));
                assertThat(c.call("EXEC")).isEqualTo(List.of(new Err("NOPERM ACLs rules changed between the moment "
                        + "the transaction was accumulated and the EXEC call. This command is no longer allowed for "
                        + "the following reason: no permission to execute the command or subcommand")));
            }
        }
    }

    /** A key starting with {@code prefix} that node {@code holder} replicates and node {@code not} does not. */
    private static String keyOnlyOn(NodeServices holder, NodeServices not, String prefix) {
        for (int i = 0; i < 10_000; i++) {
            byte[] key = (prefix + i).getBytes(StandardCharsets.US_ASCII);
            if (holder.replicatedHere(key) && !not.replicatedHere(key)) {
                return prefix + i;
            }
        }
        throw new AssertionError("no key only on the node");
    }
}
