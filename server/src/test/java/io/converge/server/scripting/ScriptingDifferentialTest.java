package io.converge.server.scripting;

import static org.assertj.core.api.Assertions.assertThat;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import io.converge.server.testing.RespClient.Err;
import io.converge.server.testing.ServerTarget;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Lua scripting on one node against a real redis-server, raw RESP, RESP2 and RESP3: EVAL's
 * conversions both ways, errors raised inside scripts and by redis.call, redis.pcall, the
 * sandbox, the bundled libraries (cjson, cmsgpack, bit, struct), EVALSHA and SCRIPT, read-only
 * scripts, scripts inside MULTI, and a busy script stopped with SCRIPT KILL. Every reply must be
 * equal (error texts name the script by its SHA1, which is the same on both).
 */
class ScriptingDifferentialTest extends DifferentialTestBase {

    /** Scripts run with EVAL and no keys; each reply compared. */
    private static final String[] SCRIPTS = {
        "return 1", "return 3.99", "return -3.99", "return 1e20", "return 0/0", "return 2^53", "return true",
        "return false", "return nil", "return 'x'", "return {}", "return {1,2,3.7,'x',{err='bad'}}",
        "return {1,{2,{3}},'a',nil,5}", "return {x=1}", "return {ok='fine'}", "return {err='x'}", "return {err='ERR x'}",
        "return {ok='a\\r\\nb'}", "return string.char(0,255,128,10)", "return _VERSION", "return tostring(0.1)",
        "return tostring(1/3)", "return string.format('%.17g', 0.1)",
        "return 1+", "error('boom')", "error({err='MYERR bad'})", "error()", "error(42)", "x=1", "return os.time()",
        "string.foo = 1 return 1", "local t = setmetatable({}, {__index=function() return 1 end}) return t",
        "return redis.call('set','k','v')", "return redis.call('get','k')", "return redis.call('incr','k')",
        "return redis.pcall('incr','k')", "return type(redis.pcall('incr','k'))", "return redis.call('get')",
        "return redis.call()", "return redis.call({})", "return redis.call('get', nil)", "return redis.call('get', true)",
        "return redis.call('nosuch')", "return redis.pcall('nosuch')", "return redis.call('set','k','v','px')",
        "return redis.call('eval','return 1','0')", "return redis.call('multi')", "return redis.call('subscribe','c')",
        "return redis.call('set','n',1.5)", "return redis.call('get','n')", "return redis.call('type','k')",
        "return redis.call('type','k').ok", "return redis.call('hgetall','nokey')", "return redis.call('get','nokey')",
        "return redis.call('ping')", "return redis.call('lrange','nokey',0,-1)", "return redis.error_reply('x')",
        "return redis.error_reply('-ERR y')", "return redis.error_reply('MY err')", "return redis.error_reply()",
        "return redis.status_reply('FINE')", "return redis.sha1hex('')", "return redis.sha1hex('abc')",
        "return redis.sha1hex()", "return redis.setresp(4)", "return redis.set_repl(redis.REPL_ALL)",
        "return redis.set_repl(99)", "redis.replicate_commands() return 1", "return redis.breakpoint()",
        "redis.log(redis.LOG_WARNING, 'hello', 'from', 'a script') return 1", "return redis.log(1)",
        "return redis.log('a', 'b')", "return redis.log(9, 'b')", "return redis.acl_check_cmd('get','a')",
        "return redis.acl_check_cmd('nosuch')",
        "local t={} for k,v in pairs(redis) do table.insert(t, k .. ':' .. type(v)) end table.sort(t) return t",
        "local t={} for k,v in pairs(_G) do if k ~= '__jthrowable__' then table.insert(t, k .. ':' .. type(v)) end end "
                + "table.sort(t) return t",
        "return loadstring('return 1+1')()", "return pcall(function() error({err='E x'}) end)",
        "local ok, e = pcall(redis.call, 'incr', 'k') return e", "return collectgarbage('count') > 0",
        "return cjson.encode({a=1})", "return cjson.encode({1,2,3,{x='y'}})", "return cjson.encode({})",
        "return cjson.encode('a/b\"c\\n')", "return cjson.encode(0.1)", "return cjson.encode(1e300)",
        "return cjson.encode({[1]=1,[100]=2})", "return cjson.encode(function() end)", "return cjson.encode(1/0)",
        "return cjson.decode('[1,2,{\"a\":null}]')[3].a == cjson.null", "return cjson.decode('{\"a\":[1,2.5,\"x\"]}').a",
        "return cjson.decode('\"\\\\u00e9\\\\ud83d\\\\ude00\"')", "return cjson.decode('[1,2')", "return cjson.decode('')",
        "return cjson.decode('{\"a\":1}x')", "return cjson.encode(cjson.decode('{\"k\":[true,false,null]}'))",
        "return cmsgpack.pack({1,2})", "return cmsgpack.pack({a=1})", "return cmsgpack.pack(1.5, -1, 300, -300, 70000, "
                + "2^40, -2^40, 'x', true, false)", "return cmsgpack.pack(0.1)", "return {cmsgpack.unpack(cmsgpack.pack("
                + "1, 'two', {3, 4}))}", "return cmsgpack.unpack(cmsgpack.pack({a={b='c'}})).a.b", "return {cmsgpack"
                + ".unpack_one(cmsgpack.pack(1, 2, 3), 0)}", "return cmsgpack.unpack('\\193')", "return cmsgpack.unpack("
                + "'\\220\\0')", "return cmsgpack.pack(string.rep('x', 40), string.rep('y', 300))",
        "return bit.tohex(65535)", "return bit.tohex(-1, -4)", "return bit.band(0xff, 0x0f, 0x3)",
        "return bit.bor(1, 2, 4)", "return bit.bxor(5, 3)", "return bit.bnot(0)", "return bit.lshift(1, 31)",
        "return bit.rshift(-1, 28)", "return bit.arshift(-256, 4)", "return bit.rol(1, 33)", "return bit.bswap(1)",
        "return bit.tobit(2^32 + 5)", "return bit.band()",
        "return struct.pack('>I', 1)", "return struct.pack('<i2hBb', -2, 3, 255, -1)", "return struct.pack('>d', 1.5)",
        "return struct.pack('s', 'ab')", "return struct.pack('c3', 'abcdef')", "return {struct.unpack('>I2', "
                + "'\\1\\2')}", "return {struct.unpack('<i4', '\\255\\255\\255\\255')}", "return {struct.unpack('s', "
                + "'ab\\0cd')}", "return struct.size('>iHd')", "return struct.size('!8bd')", "return struct.pack('q', 1)",
        "return {struct.unpack('>f', struct.pack('>f', 0.5))}",
        "local s = 0 for i = 1, 1000 do s = s + i end return s", "return #KEYS + #ARGV",
        "return redis.call('time')[1] > '0'", "return redis.call('publish', 'channel', 'from a script')", "return string.format('%5.2f|%d|%s', 3.14159, 42, 'x')",
    };

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void scriptsReplyAndFailAsInRedis(int protocol) {
        same(protocol, c -> {
            List<Object> r = new ArrayList<>();
            c.call("FLUSHALL");
            for (String script : SCRIPTS) {
                r.add(List.of(script, c.call("EVAL", script, "0")));
            }
            return r;
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void resp3ConversionsBothWays(int protocol) {
        same(protocol, c -> {
            List<Object> r = new ArrayList<>();
            c.call("FLUSHALL");
            c.call("HSET", "h", "f", "v");
            c.call("SADD", "s", "m");
            c.call("ZADD", "z", "1.5", "m");
            for (String script : new String[] {
                "redis.setresp(3) return redis.call('hgetall', 'h')",
                "redis.setresp(3) local m = redis.call('hgetall', 'h') return m.map.f",
                "redis.setresp(3) return redis.call('smembers', 's')",
                "redis.setresp(3) return redis.call('zscore', 'z', 'm')",
                "redis.setresp(3) return type(redis.call('zscore', 'z', 'm').double)",
                "redis.setresp(3) return redis.call('get', 'missing') == nil",
                "redis.setresp(3) return redis.call('exists', 'h')",
                "redis.setresp(3) return true", "redis.setresp(3) return false", "return {double=3.5}",
                "return {map={a=1}}", "return {set={a=true}}", "return {big_number='123456789012345678901234567890'}",
                "return {verbatim_string={format='txt', string='hello'}}", "return {double='x'}",
                "redis.setresp(3) return redis.call('hello')",
            }) {
                r.add(List.of(script, c.call("EVAL", script, "0")));
            }
            return r;
        });
    }

    @Test
    void keysArgvAndBinaryValues() {
        byte[] binary = {0, 1, (byte) 0xff, (byte) 0x80, '"', '\\', '\n'};
        same(2, c -> {
            List<Object> r = new ArrayList<>();
            c.call("FLUSHALL");
            r.add(c.call("EVAL", "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", "2", "k1", "k2", "a1", "a2"));
            r.add(c.call("EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "bin"));
            r.add(c.call("EVAL".getBytes(StandardCharsets.US_ASCII),
                    "return redis.call('set', KEYS[1], ARGV[1])".getBytes(StandardCharsets.US_ASCII), "1".getBytes(
                            StandardCharsets.US_ASCII), "bin".getBytes(StandardCharsets.US_ASCII), binary));
            r.add(c.call("GET", "bin"));
            r.add(c.call("EVAL", "return #redis.call('get', 'bin')", "0"));
            r.add(c.call("EVAL", "return redis.call('get', 'bin')", "0"));
            r.add(c.call("EVAL".getBytes(StandardCharsets.US_ASCII),
                    "return ARGV[1] .. ARGV[1]".getBytes(StandardCharsets.US_ASCII), "0".getBytes(StandardCharsets.US_ASCII),
                    binary));
            r.add(c.call("EVAL", "return 1", "-1"));
            r.add(c.call("EVAL", "return 1", "2", "a"));
            r.add(c.call("EVAL", "return 1", "x"));
            r.add(c.call("EVAL", "return 1"));
            r.add(c.call("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "bin"));
            r.add(c.call("EVAL_RO", "return redis.call('set', KEYS[1], 'x')", "1", "bin"));
            r.add(c.call("EVAL_RO", "return redis.call('publish', 'ch', 'x')", "0"));
            return r;
        });
    }

    @Test
    void evalshaAndScriptCommands() {
        same(2, c -> {
            List<Object> r = new ArrayList<>();
            c.call("SCRIPT", "FLUSH");
            String body = "return {KEYS[1], ARGV[1]}";
            Object sha = c.call("SCRIPT", "LOAD", body);
            r.add(sha);
            String s = ((RespClient.Bulk) sha).text();
            r.add(c.call("EVALSHA", s, "1", "k", "v"));
            r.add(c.call("EVALSHA", s.toUpperCase(), "1", "k", "v"));
            r.add(c.call("EVALSHA_RO", s, "1", "k", "v"));
            r.add(c.call("EVALSHA", "0000000000000000000000000000000000000000", "0"));
            r.add(c.call("EVALSHA", "short", "0"));
            r.add(c.call("SCRIPT", "EXISTS", s, s.toUpperCase(), "nope"));
            r.add(c.call("EVAL", "return 'cached by eval'", "0"));
            r.add(c.call("SCRIPT", "EXISTS", "e3ed6ca8bbc9ba6b01ac46d0d4b28c4bb4b1a2d4"));
            r.add(c.call("SCRIPT", "LOAD", "return 1+"));
            r.add(c.call("SCRIPT", "EXISTS", "ba3df8b5d9b1aca6dddec4e5f6c8d3ae98d8cf1c"));
            r.add(c.call("EVAL", "return 1 +", "0"));
            r.add(c.call("SCRIPT", "FLUSH", "ASYNC"));
            r.add(c.call("SCRIPT", "FLUSH", "SYNC"));
            r.add(c.call("SCRIPT", "FLUSH", "BAD"));
            r.add(c.call("SCRIPT", "EXISTS", s));
            r.add(c.call("EVALSHA", s, "1", "k", "v"));
            r.add(c.call("SCRIPT", "KILL"));
            r.add(c.call("SCRIPT", "NOSUCH"));
            r.add(c.call("SCRIPT", "LOAD"));
            r.add(c.call("SCRIPT", "HELP"));
            return r;
        });
    }

    @Test
    void pipelinedScriptsAndCommandsKeepTheirOrder() {
        sameReply(2, "FLUSHALL");
        StringBuilder pipeline = new StringBuilder();
        String incr = "return redis.call('incr', KEYS[1])";
        for (int i = 0; i < 5; i++) {
            pipeline.append(raw("EVAL", incr, "1", "p"));
        }
        pipeline.append(raw("GET", "p"));
        pipeline.append(raw("EVAL", "return redis.call('get', KEYS[1]) .. '!'", "1", "p"));
        pipeline.append(raw("SET", "p", "10"));
        pipeline.append(raw("EVAL", incr, "1", "p"));
        pipeline.append(raw("MULTI")).append(raw("EVAL", incr, "1", "p")).append(raw("INCR", "p")).append(raw("EXEC"));
        pipeline.append(raw("GET", "p"));
        sameRawExchange(pipeline.toString());
    }

    private static String raw(String... args) {
        return new String(RespClient.encode(args), StandardCharsets.UTF_8);
    }

    @Test
    void scriptsInsideMultiAndWatch() {
        same(2, c -> {
            List<Object> r = new ArrayList<>();
            c.call("FLUSHALL");
            r.add(c.call("WATCH", "w"));
            r.add(c.call("MULTI"));
            r.add(c.call("EVAL", "return redis.call('incr', KEYS[1])", "1", "w"));
            r.add(c.call("EVAL", "return redis.call('incrby', KEYS[1], 10)", "1", "w"));
            r.add(c.call("EVAL", "error('inside exec')", "0"));
            r.add(c.call("EXEC"));
            r.add(c.call("GET", "w"));
            return r;
        });
    }

    @Test
    void aBusyScriptGetsOthersBusyRepliesUntilScriptKill() {
        List<Object> expected = busyScenario(redis);
        List<Object> actual = busyScenario(converge);
        assertThat(actual).isEqualTo(expected);
        assertThat(actual.get(1)).isEqualTo(new Err("BUSY Redis is busy running a script. You can only call "
                + "SCRIPT KILL or SHUTDOWN NOSAVE."));
    }

    /**
     * A client runs an endless script; another one's PING waits, then (the threshold lowered to
     * 200 ms) gets BUSY; SCRIPT KILL stops the script; the first client gets the kill error.
     */
    private static List<Object> busyScenario(ServerTarget target) {
        List<Object> r = new ArrayList<>();
        try (RespClient runner = new RespClient(target); RespClient other = new RespClient(target)) {
            r.add(other.call("CONFIG", "SET", "busy-reply-threshold", "200"));
            runner.send(RespClient.encode("EVAL", "local i = 0 while true do i = i + 1 end", "0"));
            sleep(400);
            r.add(other.call("PING"));
            r.add(other.call("SCRIPT", "KILL"));
            r.add(runner.read());
            r.add(other.call("PING"));
            r.add(runner.call("PING"));
            r.add(other.call("CONFIG", "SET", "busy-reply-threshold", "5000"));
        }
        return r;
    }

    @Test
    void aScriptThatWroteCannotBeKilled() {
        List<Object> expected = unkillable(redis);
        List<Object> actual = unkillable(converge);
        assertThat(actual).isEqualTo(expected);
    }

    private static List<Object> unkillable(ServerTarget target) {
        List<Object> r = new ArrayList<>();
        try (RespClient runner = new RespClient(target); RespClient other = new RespClient(target)) {
            r.add(other.call("CONFIG", "SET", "busy-reply-threshold", "100"));
            runner.send(RespClient.encode("EVAL", "redis.call('set', 'written', '1') local t0 = redis.call('time') "
                    + "while true do local t = redis.call('time') if (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) > 800000 "
                    + "then break end end return 'done'", "0"));
            sleep(300);
            r.add(other.call("SCRIPT", "KILL"));
            r.add(runner.read());
            r.add(other.call("GET", "written"));
            r.add(other.call("CONFIG", "SET", "busy-reply-threshold", "5000"));
        }
        return r;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A connection's pipelined scripts run in the order it sent them, whether they are
     * straight-line (run on the connection's event loop) or loop (run on the script thread), and
     * with many connections doing it at once.
     */
    @Test
    void pipelinedScriptsOfOneConnectionRunInOrderWhereverTheyRun() {
        String straight = "return redis.call('rpush', KEYS[1], ARGV[1])";
        String looping = "local n = 0 for i = 1, 3 do n = i end return redis.call('rpush', KEYS[1], ARGV[1] .. ':' .. n)";
        int connections = 8;
        int scripts = 60;
        targets().forEach(target -> {
            List<RespClient> clients = new ArrayList<>();
            try {
                for (int c = 0; c < connections; c++) {
                    clients.add(connect(target, 2));
                }
                String straightSha = (String) ((RespClient.Bulk) clients.get(0).call("SCRIPT", "LOAD", straight)).text();
                for (int c = 0; c < connections; c++) {
                    clients.get(c).call("DEL", "order:" + c);
                    StringBuilder pipeline = new StringBuilder();
                    for (int i = 0; i < scripts; i++) {
                        String[] command = switch ((i + c) % 3) {
                            case 0 -> new String[] {"EVAL", straight, "1", "order:" + c, Integer.toString(i)};
                            case 1 -> new String[] {"EVAL", looping, "1", "order:" + c, Integer.toString(i)};
                            default -> new String[] {"EVALSHA", straightSha, "1", "order:" + c, Integer.toString(i)};
                        };
                        pipeline.append(new String(RespClient.encode(command), java.nio.charset.StandardCharsets.UTF_8));
                    }
                    clients.get(c).send(pipeline.toString());
                }
                for (int c = 0; c < connections; c++) {
                    List<Object> replies = clients.get(c).read(scripts);
                    for (int i = 0; i < scripts; i++) {
                        assertThat(replies.get(i)).as("%s: reply %d of connection %d", target, i, c).isEqualTo((long) i + 1);
                    }
                    List<String> expected = new ArrayList<>();
                    for (int i = 0; i < scripts; i++) {
                        expected.add((i + c) % 3 == 1 ? i + ":3" : Integer.toString(i));
                    }
                    Object list = clients.get(c).call("LRANGE", "order:" + c, "0", "-1");
                    assertThat(((List<?>) list).stream().map(e -> ((RespClient.Bulk) e).text()).toList())
                            .as("%s: list of connection %d", target, c).isEqualTo(expected);
                }
            } finally {
                clients.forEach(RespClient::close);
            }
        });
    }
}
