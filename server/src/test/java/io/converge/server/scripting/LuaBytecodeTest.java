package io.converge.server.scripting;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import party.iroiro.luajava.lua51.Lua51;

/** Which compiled scripts {@link LuaBytecode} calls straight-line (they may run on an event loop). */
class LuaBytecodeTest {

    private static boolean straightLine(String script) {
        try (Lua51 lua = new Lua51()) {
            byte[] body = script.getBytes(StandardCharsets.UTF_8);
            ByteBuffer code = ByteBuffer.allocateDirect(body.length);
            code.put(body).flip();
            lua.load(code, "@user_script");
            return LuaBytecode.straightLine(lua.dump());
        }
    }

    @Test
    void scriptsWithoutLoopsFunctionsOrPatternSearchesAreStraightLine() {
        assertThat(straightLine("redis.call('incr', KEYS[1]) redis.call('expire', KEYS[1], ARGV[1]) return 1")).isTrue();
        assertThat(straightLine("""
                local current = tonumber(redis.call('get', KEYS[1]) or '0')
                if current + tonumber(ARGV[1]) > tonumber(ARGV[2]) then
                  return {err = 'limit'}
                elseif current == 0 then
                  redis.call('set', KEYS[1], ARGV[1], 'px', ARGV[3])
                else
                  redis.call('incrby', KEYS[1], ARGV[1])
                end
                return cjson.encode({a = 1, b = {current, 'x' .. ARGV[1]}})
                """)).isTrue();
        assertThat(straightLine("return redis.pcall('hgetall', KEYS[1])")).isTrue();
        assertThat(straightLine("return table.concat(redis.call('lrange', KEYS[1], 0, -1), ',')")).isTrue();
    }

    @Test
    void loopsAreNot() {
        assertThat(straightLine("while true do end")).isFalse();
        assertThat(straightLine("repeat local x = 1 until false")).isFalse();
        assertThat(straightLine("for i = 1, 10 do redis.call('incr', KEYS[1]) end")).isFalse();
        assertThat(straightLine("for k, v in pairs(KEYS) do redis.call('del', v) end")).isFalse();
        assertThat(straightLine("local i = 0 while i < 3 do i = i + 1 end return i")).isFalse();
    }

    @Test
    void functionsAndUnboundedLibraryCallsAreNot() {
        assertThat(straightLine("local function f(n) return n end return f(1)")).isFalse();
        assertThat(straightLine("local f = function() return 1 end return f()")).isFalse();
        assertThat(straightLine("return string.rep('x', 1000000000)")).isFalse();
        assertThat(straightLine("return ('x'):rep(10)")).isFalse();
        assertThat(straightLine("return string.find(ARGV[1], '(.-)(.-)(.-)x')")).isFalse();
        assertThat(straightLine("return ARGV[1]:gsub('a', 'b')")).isFalse();
        assertThat(straightLine("return loadstring('while true do end')()")).isFalse();
    }

    @Test
    void aDamagedDumpIsNot() {
        ByteBuffer whole;
        try (Lua51 lua = new Lua51()) {
            ByteBuffer code = ByteBuffer.allocateDirect(8);
            code.put("return 1".getBytes(StandardCharsets.US_ASCII)).flip();
            lua.load(code, "@user_script");
            whole = lua.dump();
        }
        assertThat(LuaBytecode.straightLine(whole)).isTrue();
        for (int cut = 0; cut < whole.remaining(); cut++) {
            ByteBuffer part = whole.duplicate();
            part.limit(part.position() + cut);
            assertThat(LuaBytecode.straightLine(part)).as("first %d bytes", cut).isFalse();
        }
        assertThat(LuaBytecode.straightLine(ByteBuffer.wrap(new byte[] {1, 2, 3}))).isFalse();
    }
}
