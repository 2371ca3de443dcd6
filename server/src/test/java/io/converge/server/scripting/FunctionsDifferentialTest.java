package io.converge.server.scripting;

import io.converge.server.testing.DifferentialTestBase;
import io.converge.server.testing.RespClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Functions on one node against a real redis-server, raw RESP, RESP2 and RESP3: FUNCTION LOAD
 * (and every way a library is refused), FCALL and FCALL_RO, LIST, DELETE, FLUSH, DUMP/RESTORE,
 * STATS, KILL and HELP. Every reply must be equal. (Libraries listed here register one function
 * each: Redis lists a library's functions in its hash table's order.)
 */
class FunctionsDifferentialTest extends DifferentialTestBase {
    private static final String LIB = "#!lua name=mylib\n"
            + "redis.register_function('hello', function(keys, args) return 'hi ' .. (args[1] or '') end)\n"
            + "redis.register_function{function_name='ro', callback=function(keys, args) return redis.call('get', keys[1]) "
            + "end, flags={'no-writes'}, description='reads'}\n"
            + "redis.register_function('boom', function() error('bad') end)\n"
            + "redis.register_function('w', function(keys) return redis.call('set', keys[1], 'x') end)";

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void functionsLoadRunAndFailAsInRedis(int protocol) {
        same(protocol, c -> {
            List<Object> r = new ArrayList<>();
            c.call("FLUSHALL");
            r.add(c.call("FUNCTION", "FLUSH"));
            r.add(c.call("FUNCTION", "LOAD", LIB));
            r.add(c.call("FUNCTION", "LOAD", LIB));
            r.add(c.call("FCALL", "hello", "0", "you"));
            r.add(c.call("FCALL", "ro", "1", "k"));
            r.add(c.call("FCALL_RO", "ro", "1", "k"));
            r.add(c.call("FCALL_RO", "w", "1", "k"));
            r.add(c.call("FCALL", "w", "1", "k"));
            r.add(c.call("FCALL_RO", "ro", "1", "k"));
            r.add(c.call("FCALL", "boom", "0"));
            r.add(c.call("FCALL", "nosuch", "0"));
            r.add(c.call("FCALL", "hello", "-1"));
            r.add(c.call("FCALL", "hello", "5", "a"));
            r.add(c.call("FUNCTION", "LOAD", "REPLACE", LIB.replace("'hi '", "'hello '")));
            r.add(c.call("FCALL", "hello", "0", "again"));
            r.add(c.call("FUNCTION", "LOAD", "NOPE", LIB));
            for (String bad : new String[] {
                "return 1", "#!lua\nreturn 1", "#!lua name=x foo=bar\nreturn 1", "#!python name=x\nreturn 1",
                "#!lua name=x-y\nreturn 1", "#!lua name=empty\nreturn 1", "#!lua name=bad\nreturn 1 +",
                "#!lua name=bad2\nredis.call('ping')", "#!lua name=bad3\nredis.register_function('hello', function() end)",
                "#!lua name=bad4\nredis.register_function('a-b', function() end)",
                "#!lua name=bad5\nredis.register_function{function_name='f', callback=function() end, flags={'nope'}}",
                "#!lua name=bad6\nredis.register_function('f')", "#!lua name=bad7\nx = 1",
                "#!lua name=bad8\nredis.register_function('f', function() end) redis.register_function('f', function() end)",
                "#!lua name=bad9\nredis.register_function{function_name='f'}",
                "#!lua name=bad10\nredis.register_function{function_name='f', callback=function() end, other=1}",
            }) {
                r.add(List.of(bad, c.call("FUNCTION", "LOAD", bad)));
            }
            r.add(c.call("FUNCTION", "DELETE", "mylib"));
            r.add(c.call("FUNCTION", "LOAD", "#!lua name=lib2\nredis.register_function('second', function(k, a) "
                    + "return #k + #a end)"));
            r.add(c.call("FUNCTION", "LOAD", "#!lua name=lib3\nredis.register_function{function_name='third', "
                    + "callback=function(k, a) return redis.call('ping') end, flags={'no-writes', 'allow-stale'}, "
                    + "description='pong'}"));
            r.add(c.call("FCALL", "second", "2", "a", "b", "c"));
            r.add(c.call("FCALL_RO", "third", "0"));
            r.add(c.call("FUNCTION", "LIST", "LIBRARYNAME", "lib2"));
            r.add(c.call("FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "*3"));
            r.add(c.call("FUNCTION", "LIST", "LIBRARYNAME"));
            r.add(c.call("FUNCTION", "LIST", "BAD"));
            r.add(c.call("FUNCTION", "STATS"));
            r.add(c.call("FUNCTION", "DELETE", "lib2"));
            r.add(c.call("FUNCTION", "DELETE", "lib2"));
            r.add(c.call("FUNCTION", "KILL"));
            r.add(c.call("FUNCTION", "FLUSH", "BAD"));
            r.add(c.call("FUNCTION", "RESTORE", "garbage"));
            r.add(c.call("FUNCTION", "HELP"));
            Object dump = c.call("FUNCTION", "DUMP");
            r.add(c.call("FUNCTION", "FLUSH", "SYNC"));
            r.add(c.call("FCALL_RO", "third", "0"));
            if (dump instanceof RespClient.Bulk b) {
                r.add(c.call("FUNCTION".getBytes(StandardCharsets.US_ASCII), "RESTORE".getBytes(StandardCharsets.US_ASCII), b.text().getBytes(StandardCharsets.ISO_8859_1)));
                r.add(c.call("FUNCTION".getBytes(StandardCharsets.US_ASCII), "RESTORE".getBytes(StandardCharsets.US_ASCII), b.text().getBytes(StandardCharsets.ISO_8859_1)));
                r.add(c.call("FUNCTION".getBytes(StandardCharsets.US_ASCII), "RESTORE".getBytes(StandardCharsets.US_ASCII), b.text().getBytes(StandardCharsets.ISO_8859_1), "REPLACE".getBytes(StandardCharsets.US_ASCII)));
                r.add(c.call("FUNCTION".getBytes(StandardCharsets.US_ASCII), "RESTORE".getBytes(StandardCharsets.US_ASCII), b.text().getBytes(StandardCharsets.ISO_8859_1), "BAD".getBytes(StandardCharsets.US_ASCII)));
            } else {
                r.add(dump);
            }
            r.add(c.call("FCALL_RO", "third", "0"));
            r.add(c.call("FUNCTION", "FLUSH", "ASYNC"));
            r.add(c.call("FUNCTION", "LIST"));
            return r;
        });
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void aFunctionsErrorsAndResultsConvertAsScriptsDo(int protocol) {
        same(protocol, c -> {
            List<Object> r = new ArrayList<>();
            c.call("FUNCTION", "FLUSH");
            r.add(c.call("FUNCTION", "LOAD", "#!lua name=conv\n"
                    + "redis.register_function('conv', function(keys, args)\n"
                    + "  if args[1] == 'table' then return {1, 'two', {3}, {ok='fine'}} end\n"
                    + "  if args[1] == 'call' then return redis.call('incr', 'notanumber') end\n"
                    + "  if args[1] == 'pcall' then return redis.pcall('nosuch') end\n"
                    + "  if args[1] == 'global' then return undefined_thing end\n"
                    + "  if args[1] == 'keys' then return {#keys, keys[1]} end\n"
                    + "  if args[1] == 'resp3' then redis.setresp(3) return redis.call('hgetall', 'h') end\n"
                    + "  return tostring(KEYS)\n"
                    + "end)"));
            c.call("SET", "notanumber", "x");
            c.call("HSET", "h", "f", "v");
            for (String mode : new String[] {"table", "call", "pcall", "global", "keys", "resp3", "other"}) {
                r.add(List.of(mode, c.call("FCALL", "conv", "1", "k", mode)));
            }
            return r;
        });
    }
}
