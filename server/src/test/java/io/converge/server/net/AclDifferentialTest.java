package io.converge.server.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Bulk;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.RespClient.Simple;
import io.converge.server.testing.ServerTarget;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisAccessControlException;

/**
 * ACL against redis-server 7.0: the same ACL SETUSER rules on both, then the same commands as
 * those users, replies compared: rule errors, GETUSER and LIST (single-command rules compared as
 * a set: Redis lists them in its hash table's order, which changes from run to run), DRYRUN over
 * key access, every command under category rules, NOPERM texts for commands, subcommands, keys
 * by access and channels, selectors, scripts, MULTI/EXEC, AUTH failures, the ACL LOG (minus
 * ages and client details), disconnections, and Jedis logging in with a user name.
 */
class AclDifferentialTest extends DifferentialTestBase {
    private static final Simple OK = new Simple("OK");

    // ------------------------------------------------------------------ helpers

    /** Runs {@code scenario} against each target (redis first) and asserts the results equal. */
    private <T> T both(Function<ServerTarget, T> scenario) {
        T expected = scenario.apply(redis);
        T actual = scenario.apply(converge);
        assertThat(actual).as("converge vs redis").isEqualTo(expected);
        return actual;
    }

    /** {@code command} on a fresh default-user connection to both, replies equal (normalized). */
    private Object admin(String... command) {
        return both(t -> {
            try (RespClient c = new RespClient(t)) {
                return normalize(c.call(command));
            }
        });
    }

    /** Runs {@code exchange} on both as {@code user} (password {@code pw}), results equal (normalized). */
    private Object as(String user, String pw, Function<RespClient, List<Object>> exchange) {
        return same(2, c -> {
            assertThat(c.call("AUTH", user, pw)).isEqualTo(OK);
            return normalize(exchange.apply(c));
        });
    }

    /**
     * Replies with rule descriptions made comparable: each run of single-command rules (+get
     * -hget +client|id...) sorted, since Redis writes them in its hash table's order.
     */
    static Object normalize(Object reply) {
        if (reply instanceof Bulk b) {
            return new Bulk(normalizeRules(b.text()));
        }
        if (reply instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            for (Object o : l) {
                out.add(normalize(o));
            }
            return out;
        }
        if (reply instanceof RespClient.RespMap m) {
            return new RespClient.RespMap((List<Object>) normalize(m.entries()));
        }
        return reply;
    }

    static String normalizeRules(String text) {
        if (!text.contains("@all")) {
            return text;
        }
        String[] tokens = text.split(" ", -1);
        List<String> out = new ArrayList<>();
        List<String> run = new ArrayList<>();
        for (String t : tokens) {
            boolean single = (t.startsWith("+") || t.startsWith("-")) && !t.startsWith("+@") && !t.startsWith("-@");
            if (single) {
                boolean closes = t.endsWith(")");
                run.add(closes ? t.substring(0, t.length() - 1) : t);
                if (closes) {
                    flush(run, out, ")");
                }
            } else {
                flush(run, out, "");
                out.add(t);
            }
        }
        flush(run, out, "");
        return String.join(" ", out);
    }

    private static void flush(List<String> run, List<String> out, String suffix) {
        if (run.isEmpty()) {
            return;
        }
        run.sort(Comparator.comparing((String s) -> s.substring(1)).thenComparing(s -> s));
        run.set(run.size() - 1, run.get(run.size() - 1) + suffix);
        out.addAll(run);
        run.clear();
    }

    /** The ACL LOG entries without their age and client details (checked to name the user instead). */
    private static List<Object> logWithoutTimes(Object log) {
        List<Object> entries = new ArrayList<>();
        for (Object e : (List<?>) log) {
            List<?> fields = (List<?>) e;
            List<Object> kept = new ArrayList<>();
            String user = null;
            for (int i = 0; i < fields.size(); i += 2) {
                String name = ((Bulk) fields.get(i)).text();
                Object value = fields.get(i + 1);
                if (name.equals("username")) {
                    user = ((Bulk) value).text();
                }
                if (name.equals("age-seconds")) {
                    continue;
                }
                if (name.equals("client-info")) {
                    String info = ((Bulk) value).text();
                    assertThat(info).startsWith("id=").contains(" cmd=").doesNotEndWith("\n");
                    continue;
                }
                kept.add(name);
                kept.add(value);
            }
            assertThat(user).isNotNull();
            entries.add(kept);
        }
        return entries;
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    // ------------------------------------------------------------------ rules

    @Test
    void rulesGetuserAndListAreRedis() {
        List<String[]> cases = List.of(
                new String[] {"on", ">p1", ">p2", "~a*", "%R~r*", "%W~w*", "&ch*", "+get", "+@hash", "-hget",
                    "+client|id", "+select|0", "(+set ~s*)", "(+@read %R~x*)"},
                new String[] {"on", "nopass", "allkeys", "allchannels", "allcommands", "-@dangerous"},
                new String[] {"+@all", "-@read", "+get"},
                new String[] {"#5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8", ">x", "<x"},
                new String[] {"%RW~a", "%R~b", "%W~b", "%R~c"},
                new String[] {"on", "nopass", "+@all", "~*", "reset"},
                new String[] {"on", "+@all", "-config|set", "-acl", "-client|kill"},
                new String[] {"+CLIENT|ID", "+Config|GET", "+select|A", "+select|a", "+SELECT|b", "-client"},
                new String[] {"(+get ~a)", "(+set ~b)", "clearselectors", "(+hget)", "(", "+hset", "~h", ")"},
                new String[] {"ON", "skip-sanitize-payload", "~K*", "&C*", "ALLCHANNELS", "+@ALL", "-@all", "+GET"},
                new String[] {"sanitize-payload", "off", "nopass", "resetpass"},
                new String[] {"~", "&", "%R", "%RW~*"},
                new String[] {"~a*", "~a*", "%R~a*", "&x", "&x", ">p", ">p"},
                new String[] {"+@all", "-@keyspace", "+del"},
                new String[] {"-@all", "+@list", "-lpush"},
                new String[] {"(+get (+set"},
                new String[] {"+@hash", "-@write"},
                new String[] {"+@pubsub", "&news.*", "-punsubscribe"});
        int n = 0;
        for (String[] rules : cases) {
            String name = "r" + n++;
            Object set = admin(concat(new String[] {"ACL", "SETUSER", name}, rules));
            admin("ACL", "GETUSER", name);
            admin("ACL", "DRYRUN", name, "get", "a1");
            Object list = both(t -> {
                try (RespClient c = new RespClient(t)) {
                    for (Object line : (List<?>) c.call("ACL", "LIST")) {
                        if (((Bulk) line).text().startsWith("user " + name + " ")) {
                            return normalize(line);
                        }
                    }
                    return null;
                }
            });
            assertThat(list != null).as("ACL LIST line of %s", name).isEqualTo(set.equals(OK));
            admin("ACL", "DELUSER", name);
        }
    }

    @Test
    void ruleErrorsAreRedis() {
        List<String[]> errors = List.of(new String[] {"foo"}, new String[] {"+nosuch"}, new String[] {"+@nosuch"},
                new String[] {"~*", "~a"}, new String[] {"&*", "&a"}, new String[] {"<nope"}, new String[] {"#abc"},
                new String[] {"!5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"},
                new String[] {"#5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8"},
                new String[] {"+client|id|x"}, new String[] {"+client|nosuch"}, new String[] {"+select|"},
                new String[] {"-select|0"}, new String[] {"(+get"}, new String[] {"on", "(+get ~a)", "(foo)"},
                new String[] {"on", "x", "(+get", "~a"}, new String[] {"%X~a"}, new String[] {"%~a"},
                new String[] {"%RR~a"}, new String[] {"+"}, new String[] {"-"}, new String[] {"+@"}, new String[] {"#"},
                new String[] {"allkeys", "%R~x"}, new String[] {"~a b"}, new String[] {"(~a b)"},
                new String[] {"on", "+get", "bogus"});
        for (String[] rules : errors) {
            Object reply = admin(concat(new String[] {"ACL", "SETUSER", "bad"}, rules));
            assertThat(reply).as("ACL SETUSER bad %s", Arrays.toString(rules)).isInstanceOf(Err.class);
            admin("ACL", "GETUSER", "bad"); // nothing applied: the user was not created
        }
        admin("ACL", "SETUSER", "b o b");
        admin("ACL", "SETUSER", "b\u0000b");
        admin("ACL", "SETUSER");
        admin("ACL", "DELUSER", "default", "nosuch");
        admin("ACL", "DELUSER", "nosuch", "nosuch");
        admin("ACL", "GETUSER", "nobody");
        admin("ACL", "GETUSER", "a", "b");
    }

    // ------------------------------------------------------------------ key access, commands, DRYRUN

    @Test
    void dryRunFollowsKeySpecAccess() {
        admin("ACL", "SETUSER", "ivy", "on", "nopass", "+@all", "%R~r*", "%W~w*", "~rw*");
        List<String[]> commands = List.of(new String[] {"get", "r1"}, new String[] {"get", "w1"},
                new String[] {"set", "w1", "v"}, new String[] {"set", "r1", "v"}, new String[] {"set", "w1", "v", "get"},
                new String[] {"set", "w1", "v", "GET"}, new String[] {"getdel", "r1"}, new String[] {"getex", "r1"},
                new String[] {"append", "w1", "x"}, new String[] {"exists", "w1"}, new String[] {"exists", "zz"},
                new String[] {"del", "r1"}, new String[] {"lpush", "w1", "x"}, new String[] {"rpoplpush", "r1", "w1"},
                new String[] {"lmove", "r1", "w1", "left", "left"}, new String[] {"smove", "r1", "w1", "m"},
                new String[] {"copy", "r1", "w1"}, new String[] {"rename", "w1", "w2"},
                new String[] {"rename", "rw1", "w2"}, new String[] {"sunionstore", "w1", "r1", "r2"},
                new String[] {"sintercard", "1", "w1"}, new String[] {"sintercard", "x", "w1"},
                new String[] {"zunionstore", "w1", "1", "r1"}, new String[] {"zunionstore", "w1", "2", "r1", "w2"},
                new String[] {"zunionstore", "w1", "bad", "r1"}, new String[] {"touch", "r1"},
                new String[] {"object", "encoding", "w1"}, new String[] {"type", "w1"}, new String[] {"ttl", "w1"},
                new String[] {"expire", "r1", "10"}, new String[] {"incr", "w1"}, new String[] {"mset", "w1", "x", "r1", "y"},
                new String[] {"msetnx", "w1", "x"}, new String[] {"hset", "w1", "f", "v"},
                new String[] {"eval", "return 1", "1", "r1"}, new String[] {"eval_ro", "return 1", "1", "r1"},
                new String[] {"eval", "return 1", "0"}, new String[] {"fcall", "f", "1", "r1"},
                new String[] {"watch", "zz"}, new String[] {"lpos", "r1", "x"}, new String[] {"strlen", "w1"},
                new String[] {"dump", "w1"}, new String[] {"restore", "r1", "0", "x"}, new String[] {"unlink", "r1"},
                new String[] {"blpop", "r1", "0"}, new String[] {"lmpop", "1", "r1", "left"},
                new String[] {"zmpop", "1", "w1", "min"}, new String[] {"memory", "usage", "w1"},
                new String[] {"getrange", "r1", "0", "1"}, new String[] {"setrange", "w1", "0", "x"},
                new String[] {"lcs", "r1", "r2"}, new String[] {"zrangestore", "w1", "r1", "0", "1"},
                new String[] {"hincrby", "rw1", "f", "1"}, new String[] {"pexpiretime", "zz"},
                new String[] {"zadd", "w1", "1", "a"}, new String[] {"sadd", "r1", "a"}, new String[] {"psetex", "w", "1", "x"},
                new String[] {"setbit", "w1", "0", "1"}, new String[] {"setbit", "r1", "0", "1"},
                new String[] {"getbit", "r1", "0"}, new String[] {"bitcount", "w1"}, new String[] {"bitpos", "r1", "1"},
                new String[] {"bitop", "and", "w1", "r1", "r2"}, new String[] {"bitop", "and", "r1", "w1"},
                new String[] {"bitfield", "r1", "get", "u8", "0"}, new String[] {"bitfield", "w1", "set", "u8", "0", "1"},
                new String[] {"bitfield_ro", "r1", "get", "u8", "0"}, new String[] {"bitfield_ro", "w1", "get", "u8", "0"});
        for (String[] cmd : commands) {
            admin(concat(new String[] {"ACL", "DRYRUN", "ivy"}, cmd));
        }
        admin("ACL", "DRYRUN", "nobody", "get", "a");
        admin("ACL", "DRYRUN", "ivy", "nocmd", "a");
        admin("ACL", "DRYRUN", "ivy", "get");
        admin("ACL", "DRYRUN", "ivy", "client", "nosuch");
        admin("ACL", "DRYRUN", "ivy", "client");
        admin("ACL", "DELUSER", "ivy");
    }

    /** Every command both servers have, under category and command rules: DRYRUN answers alike. */
    @Test
    void everyCommandUnderCategoryRules() {
        List<String[]> commands = new ArrayList<>();
        try (RespClient c = new RespClient(converge); RespClient r = new RespClient(redis)) {
            for (Object info : (List<?>) c.call("COMMAND", "INFO")) {
                List<?> i = (List<?>) info;
                String name = ((Bulk) i.get(0)).text();
                long arity = (Long) i.get(1);
                List<?> subs = (List<?>) i.get(9);
                if (subs.isEmpty()) {
                    addCommand(commands, r, name, arity);
                }
                for (Object s : subs) {
                    List<?> sub = (List<?>) s;
                    addCommand(commands, r, ((Bulk) sub.get(0)).text(), (Long) sub.get(1));
                }
            }
        }
        assertThat(commands).hasSizeGreaterThan(150);
        List<String[]> ruleSets = List.of(new String[] {"+@read"}, new String[] {"+@write", "-@string"},
                new String[] {"+@all", "-@dangerous"}, new String[] {"+@hash", "+@set", "-hset"},
                new String[] {"+@slow"}, new String[] {"+@fast", "-@connection"}, new String[] {"+@keyspace", "-del"},
                new String[] {"+@pubsub", "+@transaction", "+@scripting"}, new String[] {"+@admin", "+client|id"},
                new String[] {"+@all", "-client", "+client|id"}, new String[] {"+@list", "+@sortedset", "-@blocking"},
                new String[] {"+@connection", "-@fast"});
        for (String[] rules : ruleSets) {
            admin(concat(new String[] {"ACL", "SETUSER", "cats", "reset", "on", "nopass", "~*", "&*"}, rules));
            List<Object> expected = dryRunAll(redis, commands);
            List<Object> actual = dryRunAll(converge, commands);
            for (int i = 0; i < commands.size(); i++) {
                assertThat(actual.get(i)).as("DRYRUN %s with %s", Arrays.toString(commands.get(i)),
                        Arrays.toString(rules)).isEqualTo(expected.get(i));
            }
        }
        admin("ACL", "DELUSER", "cats");
    }

    private static void addCommand(List<String[]> commands, RespClient redis, String fullName, long arity) {
        String[] parts = fullName.split("\\|");
        if (((List<?>) redis.call(concat(new String[] {"COMMAND", "INFO"}, parts[0]))).get(0) == RespClient.Null.ARRAY) {
            return; // Redis does not have it
        }
        if (parts.length == 2 && !((List<?>) redis.call("COMMAND", "DOCS", parts[0])).toString().contains(fullName)) {
            return; // a subcommand newer than Redis 7.0 (CLIENT SETINFO...)
        }
        int argc = (int) Math.abs(arity);
        String[] args = new String[argc];
        Arrays.fill(args, "1");
        System.arraycopy(parts, 0, args, 0, parts.length);
        commands.add(args);
    }

    private static List<Object> dryRunAll(ServerTarget target, List<String[]> commands) {
        List<Object> out = new ArrayList<>();
        try (RespClient c = new RespClient(target)) {
            for (String[] cmd : commands) {
                out.add(c.call(concat(new String[] {"ACL", "DRYRUN", "cats"}, cmd)));
            }
        }
        return out;
    }

    /** ACL CAT of each category lists, of the commands Converge has, the ones Redis lists. */
    @Test
    void categoriesAreRedisForEveryCommandWeHave() {
        admin("ACL", "CAT");
        try (RespClient c = new RespClient(converge); RespClient r = new RespClient(redis)) {
            List<String> ours = new ArrayList<>();
            for (Object info : (List<?>) c.call("COMMAND", "INFO")) {
                ours.add(((Bulk) ((List<?>) info).get(0)).text());
                for (Object sub : (List<?>) ((List<?>) info).get(9)) {
                    ours.add(((Bulk) ((List<?>) sub).get(0)).text());
                }
            }
            for (Object cat : (List<?>) r.call("ACL", "CAT")) {
                String category = ((Bulk) cat).text();
                List<String> expected = names(r.call("ACL", "CAT", category));
                List<String> actual = names(c.call("ACL", "CAT", category));
                expected.removeIf(name -> !ours.contains(name));
                actual.removeIf(name -> name.equals("client|setinfo") || name.equals("client|no-touch"));
                assertThat(actual).as("ACL CAT %s", category).containsExactlyInAnyOrderElementsOf(expected);
            }
        }
        admin("ACL", "CAT", "nosuch");
        admin("ACL", "CAT", "a", "b");
    }

    private static List<String> names(Object reply) {
        List<String> out = new ArrayList<>();
        for (Object o : (List<?>) reply) {
            out.add(((Bulk) o).text());
        }
        return out;
    }

    // ------------------------------------------------------------------ NOPERM and the log

    @Test
    void deniedCommandsKeysChannelsAndTheirLog() {
        admin("ACL", "LOG", "RESET");
        admin("ACL", "SETUSER", "alice", "on", ">pw", "~a*", "%R~r*", "%W~w*", "&ch*", "+get", "+set", "+@hash",
                "-hget", "+client|id", "+select|0", "+publish", "+subscribe", "+psubscribe", "+ping", "+acl|whoami",
                "+multi", "+exec", "+discard", "+watch");
        as("alice", "pw", c -> List.of(c.call("GET", "a1"), c.call("GET", "b1"), c.call("GET", "r1"),
                c.call("GET", "w1"), c.call("SET", "w1", "x"), c.call("SET", "w1", "x", "GET"), c.call("SET", "r1", "x"),
                c.call("HSET", "a1h", "f", "v"), c.call("HGET", "a1h", "f"), c.call("CLIENT", "LIST"),
                c.call("SELECT", "0"), c.call("SELECT", "1"), c.call("PUBLISH", "ch1", "x"),
                c.call("PUBLISH", "other", "x"), c.call("DEL", "a1"), c.call("ACL", "WHOAMI"), c.call("ACL", "LIST"),
                c.call("CLIENT", "NOSUCH"), c.call("GET"), c.call("NOSUCH"), c.call("HSET", "zz", "f", "v"),
                c.call("WATCH", "a1", "b1")));
        Object log = both(t -> {
            try (RespClient c = new RespClient(t)) {
                return List.of(logWithoutTimes(c.call("ACL", "LOG")), logWithoutTimes(c.call("ACL", "LOG", "2")),
                        c.call("ACL", "LOG", "-1"), c.call("ACL", "LOG", "x"), c.call("ACL", "LOG", "1", "2"));
            }
        });
        assertThat(log.toString()).contains("client|list").contains("text=channel");
        admin("ACL", "LOG", "RESET");
        admin("ACL", "LOG");
        admin("ACL", "DELUSER", "alice");
    }

    @Test
    void sortPatternsNeedAccessToEveryKey() {
        admin("RPUSH", "s1", "3", "1", "2");
        admin("ACL", "SETUSER", "sorter", "on", ">pw", "~s*", "+@all");
        admin("ACL", "SETUSER", "sorter2", "on", ">pw", "~s*", "(~* +sort)", "+@all");
        as("sorter", "pw", c -> List.of(c.call("SORT", "s1"), c.call("SORT", "s1", "BY", "nosort"),
                c.call("SORT", "s1", "BY", "w_*"), c.call("SORT", "s1", "GET", "#"), c.call("SORT", "s1", "GET", "g_*"),
                c.call("SORT_RO", "s1", "BY", "w_*"), c.call("SORT", "s1", "STORE", "s2")));
        as("sorter2", "pw", c -> List.of(c.call("SORT", "s1", "BY", "w_*"), c.call("SORT", "s1", "GET", "#")));
        admin("ACL", "DELUSER", "sorter", "sorter2");
        admin("DEL", "s1", "s2");
    }

    @Test
    void channelPermissions() {
        admin("ACL", "SETUSER", "sub", "on", ">pw", "&ch*", "&news.*", "+@pubsub", "+ping");
        same(3, c -> {
            assertThat(c.call("AUTH", "sub", "pw")).isEqualTo(OK);
            return List.of(c.call("PUBLISH", "ch1", "m"), c.call("PUBLISH", "news.x", "m"), c.call("PUBLISH", "x", "m"),
                    c.call("SPUBLISH", "ch1", "m"), c.call("SPUBLISH", "zz", "m"), c.call("SUBSCRIBE", "ch1", "ch2"),
                    c.call("SUBSCRIBE", "ch3", "other"), c.call("PSUBSCRIBE", "news.*"), c.call("PSUBSCRIBE", "ch1*"),
                    c.call("PSUBSCRIBE", "ch*"), c.call("SSUBSCRIBE", "ch9"), c.call("SSUBSCRIBE", "x"),
                    c.call("UNSUBSCRIBE", "zz"), c.call("PING"));
        });
        admin("ACL", "DRYRUN", "sub", "psubscribe", "ch*", "c*");
        admin("ACL", "DRYRUN", "sub", "subscribe", "ch1", "x", "y");
        admin("ACL", "DELUSER", "sub");
    }

    @Test
    void selectorsTryEachInTurn() {
        admin("ACL", "LOG", "RESET");
        admin("ACL", "SETUSER", "sel", "on", ">pw", "~a*", "+get", "(+set ~b*)", "(%R~c* +@read)", "(+@hash", "~h*)");
        as("sel", "pw", c -> List.of(c.call("GET", "a1"), c.call("GET", "b1"), c.call("GET", "c1"),
                c.call("SET", "b1", "v"), c.call("SET", "a1", "v"), c.call("SET", "c1", "v"), c.call("HGET", "c1", "f"),
                c.call("HSET", "h1", "f", "v"), c.call("HSET", "c1", "f", "v"), c.call("MGET", "c1", "c2"),
                c.call("MGET", "a1", "c1"), c.call("DEL", "b1"), c.call("LPUSH", "x", "y")));
        admin("ACL", "GETUSER", "sel");
        admin("ACL", "DRYRUN", "sel", "mget", "c1", "a1");
        admin("ACL", "DRYRUN", "sel", "set", "a1", "v");
        both(t -> {
            try (RespClient c = new RespClient(t)) {
                return logWithoutTimes(c.call("ACL", "LOG"));
            }
        });
        admin("ACL", "DELUSER", "sel");
    }

    @Test
    void scriptsAreCheckedAgainstTheirCaller() {
        admin("ACL", "LOG", "RESET");
        admin("ACL", "SETUSER", "lua", "on", ">pw", "~k*", "+@scripting", "+get", "+set", "-publish");
        as("lua", "pw", c -> List.of(
                c.call("EVAL", "return redis.call('get', KEYS[1])", "1", "k1"),
                c.call("EVAL", "return redis.call('get', 'x1')", "0"),
                c.call("EVAL", "return redis.call('del', KEYS[1])", "1", "k1"),
                c.call("EVAL", "return redis.call('get', KEYS[1])", "1", "x1"),
                c.call("EVAL", "return redis.pcall('incr', 'k2')", "0"),
                c.call("EVAL", "local r = redis.pcall('lpush', 'x', 'y') return r['err']", "0"),
                c.call("EVAL", "return redis.call('publish', 'c', 'm')", "0"),
                c.call("EVAL_RO", "return redis.call('get', 'k3')", "0"),
                c.call("EVAL", "redis.call('set', 'k4', 'v') return redis.call('get', 'k4')", "0")));
        both(t -> {
            try (RespClient c = new RespClient(t)) {
                return logWithoutTimes(c.call("ACL", "LOG"));
            }
        });
        admin("ACL", "DELUSER", "lua");
    }

    @Test
    void transactionsAreCheckedWhenQueuedAndWhenRun() {
        admin("ACL", "SETUSER", "tx", "on", ">pw", "~k*", "+@all", "-flushall", "-save");
        both(t -> {
            List<Object> out = new ArrayList<>();
            try (RespClient c = new RespClient(t); RespClient a = new RespClient(t)) {
                out.add(c.call("AUTH", "tx", "pw"));
                out.addAll(List.of(c.call("MULTI"), c.call("GET", "k1"), c.call("GET", "x1"), c.call("FLUSHALL"),
                        c.call("SAVE"), c.call("EXEC")));
                out.addAll(List.of(c.call("MULTI"), c.call("GET", "k1"), c.call("SET", "k2", "v")));
                out.add(a.call("ACL", "SETUSER", "tx", "-get"));
                out.add(c.call("EXEC"));
                out.add(a.call("ACL", "SETUSER", "tx", "+get", "resetkeys", "~j*"));
                out.addAll(List.of(c.call("MULTI"), c.call("PING")));
                out.add(a.call("ACL", "SETUSER", "tx", "resetkeys", "~k*"));
                out.addAll(List.of(c.call("SET", "k3", "v"), c.call("EXEC")));
                out.add(logWithoutTimes(a.call("ACL", "LOG", "3")));
                out.add(a.call("DEL", "k2", "k3"));
            }
            return out;
        });
        admin("ACL", "DELUSER", "tx");
    }

    // ------------------------------------------------------------------ authentication and connections

    @Test
    void authenticationAndItsFailures() {
        admin("ACL", "LOG", "RESET");
        admin("ACL", "SETUSER", "carol", "on", ">pw", "~*", "&*", "+@all");
        admin("ACL", "SETUSER", "dan", "off", ">pw", "~*", "+@all");
        same(2, c -> List.of(c.call("AUTH", "carol", "bad"), c.call("HELLO", "3", "AUTH", "carol", "bad"),
                c.call("auth", "nobody", "x"), c.call("AUTH", "dan", "pw"), c.call("AUTH", "x"),
                c.call("AUTH", "default", "anything"), c.call("ACL", "WHOAMI"), c.call("AUTH", "carol", "pw"),
                c.call("ACL", "WHOAMI"), c.call("MULTI"), c.call("AUTH", "carol", "bad"), c.call("DISCARD"),
                c.call("RESET"), c.call("ACL", "WHOAMI"),
                userField(c.call("CLIENT", "INFO")), ((List<?>) c.call("HELLO", "2", "AUTH", "carol", "pw")).size(),
                c.call("ACL", "WHOAMI"), userField(c.call("CLIENT", "INFO"))));
        both(t -> {
            try (RespClient c = new RespClient(t)) {
                return logWithoutTimes(c.call("ACL", "LOG"));
            }
        });
        admin("CLIENT", "KILL", "USER", "nosuch");
        admin("ACL", "DELUSER", "carol", "dan");
    }

    private static String userField(Object clientInfo) {
        String text = clientInfo instanceof Bulk b ? b.text() : ((RespClient.Verbatim) clientInfo).text();
        for (String field : text.trim().split(" ")) {
            if (field.startsWith("user=")) {
                return field;
            }
        }
        return null;
    }

    @Test
    void deletedUsersAreDisconnectedChangedOnesKeepTheirConnections() {
        admin("ACL", "SETUSER", "gone", "on", ">pw", "~*", "&ch*", "+@all");
        both(t -> {
            List<Object> out = new ArrayList<>();
            try (RespClient u = new RespClient(t); RespClient s = new RespClient(t); RespClient self = new RespClient(t);
                 RespClient a = new RespClient(t)) {
                out.add(u.call("AUTH", "gone", "pw"));
                out.add(s.call("AUTH", "gone", "pw"));
                out.add(s.call("SUBSCRIBE", "ch1"));
                out.add(a.call("ACL", "SETUSER", "gone", "off", "-get"));
                out.add(u.call("GET", "x"));
                out.add(u.call("ACL", "WHOAMI"));
                out.add(s.isClosedByServer(200)); // still subscribed: its channel is still allowed
                out.add(a.call("ACL", "SETUSER", "gone", "on", "resetchannels", "&other"));
                out.add(s.isClosedByServer(2000)); // its subscription is no longer allowed
                out.add(a.call("CLIENT", "KILL", "USER", "gone", "SKIPME", "yes"));
                out.add(u.isClosedByServer(2000));
                out.add(a.call("ACL", "SETUSER", "self", "on", "nopass", "~*", "+@all"));
                out.add(self.call("AUTH", "self", "x"));
                out.add(self.call("ACL", "DELUSER", "self", "self"));
                out.add(self.isClosedByServer(2000));
                out.add(a.call("ACL", "USERS").toString().contains("self"));
            }
            return out;
        });
        admin("ACL", "SETUSER", "gone2", "on", ">pw", "~*", "+@all");
        both(t -> {
            try (RespClient u = new RespClient(t); RespClient a = new RespClient(t)) {
                return List.of(u.call("AUTH", "gone2", "pw"), a.call("ACL", "DELUSER", "gone2"),
                        u.isClosedByServer(2000));
            }
        });
        admin("ACL", "DELUSER", "gone");
    }

    @Test
    void theDefaultUserAndRequirepass() {
        try {
            both(t -> {
                List<Object> out = new ArrayList<>();
                try (RespClient a = new RespClient(t); RespClient old = new RespClient(t)) {
                    out.add(a.call("CONFIG", "SET", "requirepass", "sekret"));
                    out.add(old.call("PING")); // authenticated when it connected
                    out.add(normalize(a.call("ACL", "GETUSER", "default")));
                    try (RespClient n = new RespClient(t)) {
                        out.addAll(List.of(n.call("PING"), n.call("ACL", "WHOAMI"), n.call("AUTH", "x"),
                                n.call("AUTH", "sekret"), n.call("PING")));
                    }
                    out.add(a.call("ACL", "SETUSER", "default", "off"));
                    try (RespClient n = new RespClient(t)) {
                        out.addAll(List.of(n.call("PING"), n.call("AUTH", "sekret")));
                    }
                    out.add(a.call("ACL", "SETUSER", "default", "on", "nopass", "-get"));
                    try (RespClient n = new RespClient(t)) {
                        out.addAll(List.of(n.call("GET", "x"), n.call("AUTH", "x"), n.call("SET", "x", "y"),
                                n.call("DEL", "x")));
                    }
                    out.add(a.call("ACL", "SETUSER", "default", "+get"));
                    out.add(a.call("CONFIG", "SET", "requirepass", ""));
                    out.add(normalize(a.call("ACL", "GETUSER", "default")));
                }
                return out;
            });
        } finally {
            admin("ACL", "SETUSER", "default", "on", "nopass", "~*", "&*", "+@all");
            admin("CONFIG", "SET", "requirepass", "");
        }
    }

    @Test
    void aclCommandRepliesAndErrors() {
        admin("ACL", "HELP");
        admin("ACL", "NOSUCH");
        admin("ACL");
        admin("ACL", "LIST", "x");
        admin("ACL", "WHOAMI", "x");
        admin("ACL", "LOAD");
        admin("ACL", "SAVE");
        admin("ACL", "GENPASS", "0");
        admin("ACL", "GENPASS", "abc");
        admin("ACL", "GENPASS", "5000");
        admin("ACL", "GENPASS", "1", "2");
        both(t -> {
            try (RespClient c = new RespClient(t)) {
                return List.of(((Bulk) c.call("ACL", "GENPASS")).text().length(),
                        ((Bulk) c.call("ACL", "GENPASS", "5")).text().length(),
                        ((Bulk) c.call("ACL", "GENPASS", "4096")).text().length());
            }
        });
        same(3, c -> {
            c.call("ACL", "SETUSER", "resp3", "on", ">a", "~k*", "&c", "+get", "(+set ~s*)");
            List<Object> out = List.of(normalize(c.call("ACL", "GETUSER", "resp3")), c.call("ACL", "USERS"),
                    normalize(c.call("ACL", "GETUSER", "default")));
            c.call("ACL", "DELUSER", "resp3");
            return out;
        });
        admin("ACL", "SETUSER", "w1", "on", "nopass", "+acl|whoami");
        as("w1", "x", c -> List.of(c.call("ACL", "WHOAMI"), c.call("ACL", "USERS"), c.call("ACL", "HELP")));
        admin("ACL", "DELUSER", "w1");
    }

    // ------------------------------------------------------------------ a client library

    @Test
    void jedisLogsInWithAUserName() {
        for (ServerTarget target : List.of(redis, converge)) {
            jedisScenario(target);
        }
    }

    private void jedisScenario(ServerTarget target) {
        try (RespClient a = new RespClient(target)) {
            assertThat(a.call("ACL", "SETUSER", "jed", "on", ">jpw", "~cache:*", "+@read", "+set", "+ping",
                    "+acl|whoami")).isEqualTo(OK);
        }
        try (Jedis jedis = new Jedis(new HostAndPort("127.0.0.1", target.port()),
                DefaultJedisClientConfig.builder().user("jed").password("jpw").build())) {
            assertThat(jedis.set("cache:1", "v")).isEqualTo("OK");
            assertThat(jedis.get("cache:1")).isEqualTo("v");
            assertThat(jedis.aclWhoAmI()).isEqualTo("jed");
            assertThatThrownBy(() -> jedis.get("other")).isInstanceOf(JedisAccessControlException.class)
                    .hasMessage("NOPERM this user has no permissions to access one of the keys used as arguments");
            assertThatThrownBy(() -> jedis.del("cache:1")).isInstanceOf(JedisAccessControlException.class)
                    .hasMessage("NOPERM this user has no permissions to run the 'del' command");
        }
        assertThatThrownBy(() -> new Jedis(new HostAndPort("127.0.0.1", target.port()),
                DefaultJedisClientConfig.builder().user("jed").password("wrong").build()).ping())
                .hasMessageContaining("WRONGPASS invalid username-password pair or user is disabled.");
        try (RespClient a = new RespClient(target)) {
            a.call("DEL", "cache:1");
            a.call("ACL", "DELUSER", "jed");
        }
    }
}
