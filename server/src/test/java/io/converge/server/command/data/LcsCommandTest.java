package io.converge.server.command.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * LCS against redis-server: Redis's examples, options, errors and limit, and random strings over
 * small alphabets (many equally long answers, so the choice among them is compared too).
 */
class LcsCommandTest extends DataDifferentialTestBase {

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void optionsErrorsAndLimit(int protocol) {
        script(protocol,
                cmd("MSET", "key1", "ohmytext", "key2", "mynewtext"),
                cmd("LCS", "key1", "key2"),
                cmd("LCS", "key1", "key2", "LEN"),
                cmd("LCS", "key1", "key2", "IDX"),
                cmd("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4"),
                cmd("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN"),
                cmd("LCS", "key1", "key2", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "-3"),
                cmd("LCS", "key1", "key2", "LEN", "IDX"),
                cmd("LCS", "key1", "key2", "MINMATCHLEN"),
                cmd("LCS", "key1", "key2", "MINMATCHLEN", "x"),
                cmd("LCS", "key1", "key2", "FOO"),
                cmd("LCS", "key1", "nokey"),
                cmd("LCS", "nokey", "nokey2", "IDX"),
                cmd("LCS", "key1", "key1", "IDX", "WITHMATCHLEN"),
                cmd("SADD", "set", "a"),
                cmd("LCS", "key1", "set"),
                cmd("LCS", "set", "key1", "FOO"),
                cmd("SET", "big1", "x".repeat(12000)),
                cmd("SET", "big2", "y".repeat(12000)),
                cmd("LCS", "big1", "big2"),
                cmd("LCS", "big1", "big2", "LEN"),
                cmd("LCS", "key1"),
                cmd("COMMAND", "INFO", "lcs"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void randomStringsMatchRedis(int protocol) {
        Random random = new Random(0x1c5L + protocol);
        List<String[]> commands = new ArrayList<>();
        for (int n = 0; n < 150; n++) {
            String alphabet = n % 3 == 0 ? "ab" : n % 3 == 1 ? "abcd" : "abcdefghij";
            commands.add(cmd("SET", "a", randomString(random, alphabet, random.nextInt(40))));
            commands.add(cmd("SET", "b", randomString(random, alphabet, random.nextInt(40))));
            commands.add(cmd("LCS", "a", "b"));
            commands.add(cmd("LCS", "a", "b", "LEN"));
            commands.add(cmd("LCS", "a", "b", "IDX", "WITHMATCHLEN", "MINMATCHLEN", Integer.toString(random.nextInt(3))));
        }
        commands.add(cmd("SET", "a", randomString(random, "acgt", 3000)));
        commands.add(cmd("SET", "b", randomString(random, "acgt", 2500)));
        commands.add(cmd("LCS", "a", "b"));
        commands.add(cmd("LCS", "a", "b", "IDX", "MINMATCHLEN", "5", "WITHMATCHLEN"));
        script(protocol, commands.toArray(new String[0][]));
    }

    private static String randomString(Random random, String alphabet, int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return sb.toString();
    }
}
