package io.converge.server.command.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.crdt.LexBound;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Unit tests of the sorted-set argument parsers and of the ZSCAN score cursor, beyond what the
 * differential tests reach: random decimal and hexadecimal numbers agree with Java's correctly
 * rounded parser (as glibc's strtod is), and the cursor keeps score order.
 */
class SortedSetParsingTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void scoresParseLikeStrtod() {
        assertThat(ZScoreParser.parseScore(b("12"))).isEqualTo(12.0);
        assertThat(ZScoreParser.parseScore(b("-0"))).isEqualTo(-0.0);
        assertThat(ZScoreParser.parseScore(b("+1.5e3"))).isEqualTo(1500.0);
        assertThat(ZScoreParser.parseScore(b("-InFiNiTy"))).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(ZScoreParser.parseScore(b("0x1.8p1"))).isEqualTo(3.0);
        assertThat(ZScoreParser.parseScore(b("0X10"))).isEqualTo(16.0);
        assertThat(ZScoreParser.parseScore(b("4.9e-324"))).isEqualTo(Double.MIN_VALUE);
        assertThat(ZScoreParser.parseScore(b("999999999999999999999"))).isEqualTo(1e21);
        for (String bad : new String[] {"", " 1", "1 ", "nan", "inf ", "1e400", "1e-400", "0x1p99999", "0x", ".", "e5",
            "1e+", "1.5x", "+-1", "0x1p-99999"}) {
            assertThat(ZScoreParser.parseScore(b(bad))).as(bad).isNaN();
        }
    }

    @Test
    void boundsParseLikeStrtodOnACString() {
        assertThat(ZScoreParser.parseBound(b(""), 0)).isEqualTo(0.0);
        assertThat(ZScoreParser.parseBound(b("("), 1)).isEqualTo(0.0);
        assertThat(ZScoreParser.parseBound(b(" \t2"), 0)).isEqualTo(2.0);
        assertThat(ZScoreParser.parseBound(b("1e400"), 0)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(ZScoreParser.parseBound(b("3\u0000junk"), 0)).isEqualTo(3.0);
        assertThat(ZScoreParser.parseBound(b("  "), 0)).isNaN();
        assertThat(ZScoreParser.parseBound(b("2 "), 0)).isNaN();
        assertThat(ZScoreParser.parseBound(b("-nan"), 0)).isNaN();
    }

    @Test
    void randomDecimalsAndHexFloatsAgreeWithJava() {
        Random random = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            double d = Double.longBitsToDouble(random.nextLong());
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                continue;
            }
            String decimal = random.nextBoolean() ? Double.toString(d) : String.format(java.util.Locale.ROOT, "%.25e", d);
            assertThat(ZScoreParser.parseScore(b(decimal))).as(decimal).isEqualTo(Double.parseDouble(decimal));
            String hex = Double.toHexString(d);
            assertThat(ZScoreParser.parseScore(b(hex))).as(hex).isEqualTo(d);
            assertThat(ZScoreParser.parseBound(b(decimal), 0)).as(decimal).isEqualTo(Double.parseDouble(decimal));
        }
    }

    @Test
    void rangesParseTheirEnds() {
        ZScoreRange r = ZScoreRange.parse(b("(1.5"), b("+inf"));
        assertThat(r).isEqualTo(new ZScoreRange(1.5, true, Double.POSITIVE_INFINITY, false));
        assertThatThrownBy(() -> ZScoreRange.parse(b("x"), b("1"))).isSameAs(ZScoreRange.NOT_A_FLOAT);
        ZLexRange lex = ZLexRange.parse(b("(a"), b("+"));
        assertThat(lex.min().isExclusive()).isTrue();
        assertThat(lex.min().value()).isEqualTo(b("a"));
        assertThat(lex.max()).isSameAs(LexBound.MAX);
        assertThat(ZLexRange.parse(b("-"), b("[")).max().value()).isEmpty();
        assertThatThrownBy(() -> ZLexRange.parse(b("a"), b("+"))).isSameAs(ZLexRange.NOT_VALID);
        assertThatThrownBy(() -> ZLexRange.parse(b("-"), b("++"))).isSameAs(ZLexRange.NOT_VALID);
    }

    @Test
    void scanCursorKeepsScoreOrderAndIsNeverZero() {
        Random random = new Random(5);
        double[] specials = {Double.NEGATIVE_INFINITY, -Double.MAX_VALUE, -1, -Double.MIN_VALUE, 0.0, -0.0,
            Double.MIN_VALUE, 1, Double.MAX_VALUE, Double.POSITIVE_INFINITY};
        for (int i = 0; i < 10_000; i++) {
            double a = i < specials.length ? specials[i] : Double.longBitsToDouble(random.nextLong());
            double b = Double.longBitsToDouble(random.nextLong());
            if (Double.isNaN(a) || Double.isNaN(b)) {
                continue;
            }
            long ca = SortedSetCommands.scoreCursor(a);
            long cb = SortedSetCommands.scoreCursor(b);
            assertThat(ca).isNotZero();
            assertThat(SortedSetCommands.cursorScore(ca)).isEqualTo(a + 0.0);
            assertThat(Integer.signum(Long.compareUnsigned(ca, cb))).as("%s vs %s", a, b)
                    .isEqualTo(Integer.signum(Double.compare(a + 0.0, b + 0.0)));
        }
    }
}
