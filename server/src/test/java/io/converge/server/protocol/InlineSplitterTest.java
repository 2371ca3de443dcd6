package io.converge.server.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class InlineSplitterTest {
    private static List<String> split(String line) {
        byte[][] parts = InlineSplitter.split(line.getBytes(StandardCharsets.ISO_8859_1));
        if (parts == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (byte[] p : parts) {
            out.add(new String(p, StandardCharsets.ISO_8859_1));
        }
        return out;
    }

    @Test
    void splitsLikeSdssplitargs() {
        assertThat(split("set key value")).containsExactly("set", "key", "value");
        assertThat(split("  \t spaced\t out  ")).containsExactly("spaced", "out");
        assertThat(split("")).isEmpty();
        assertThat(split("\"a b\" 'c d'")).containsExactly("a b", "c d");
        assertThat(split("\"\\x41\\x6a\\n\\r\\t\\b\\a\\\\\\\"\\q\"")).containsExactly("Aj\n\r\t\b\u0007\\\"q");
        assertThat(split("\"\\xZZ\"")).containsExactly("xZZ");
        assertThat(split("'it\\'s' 'a\\b'")).containsExactly("it's", "a\\b");
        assertThat(split("pre\"in side\"")).containsExactly("prein side");
        assertThat(split("\"\"")).containsExactly("");
    }

    @Test
    void unbalancedOrGluedQuotesAreErrors() {
        assertThat(split("\"open")).isNull();
        assertThat(split("'open")).isNull();
        assertThat(split("\"closed\"glued")).isNull();
        assertThat(split("'closed'glued")).isNull();
    }

    @Test
    void nulEndsTheLine() {
        assertThat(split("a b\0c d")).containsExactly("a", "b");
    }
}
