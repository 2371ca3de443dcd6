package io.converge.server.protocol;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;

/**
 * Formats doubles the way Redis 7.0 replies with them: C's {@code printf("%.17g")}, with
 * {@code inf}, {@code -inf} and {@code nan} spelled out.
 *
 * <p>{@code %.17g} rounds the exact binary value to 17 significant digits (round-half-even on
 * the exact expansion, which {@link BigDecimal} gives us), then uses fixed notation when the
 * decimal exponent X satisfies -4 &le; X &lt; 17 and scientific notation ({@code 1e+20}) otherwise,
 * and in both cases drops trailing zeros and a trailing decimal point. So 1.5 is "1.5", 3 is "3",
 * 0.1 is "0.10000000000000001" and 1e20 is "1e+20".
 */
public final class RespDoubles {
    private RespDoubles() {}

    private static final int PRECISION = 17;
    private static final MathContext SEVENTEEN = new MathContext(PRECISION, RoundingMode.HALF_EVEN);
    private static final byte[] INF = "inf".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NEG_INF = "-inf".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NAN = "nan".getBytes(StandardCharsets.US_ASCII);

    /** The ASCII bytes of {@code value} as Redis formats it. */
    public static byte[] format(double value) {
        if (Double.isNaN(value)) {
            return NAN;
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? INF : NEG_INF;
        }
        return toG17(value).getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code value} formatted as {@code %.17g} (finite values). */
    public static String toG17(double value) {
        if (value == 0) {
            return (1 / value < 0) ? "-0" : "0";
        }
        // Fast path: integers that fit 17 digits print as themselves.
        if (value == Math.rint(value) && Math.abs(value) < 1e17) {
            return Long.toString((long) value);
        }
        BigDecimal rounded = new BigDecimal(value).round(SEVENTEEN);
        String digits = rounded.unscaledValue().abs().toString();
        // Normalise to exactly 17 digits: exponent X is the power of ten of the first digit.
        int exponent = digits.length() - 1 - rounded.scale();
        if (digits.length() < PRECISION) {
            digits = digits + "0".repeat(PRECISION - digits.length());
        } else if (digits.length() > PRECISION) {
            digits = digits.substring(0, PRECISION);
        }
        StringBuilder sb = new StringBuilder(32);
        if (value < 0) {
            sb.append('-');
        }
        if (exponent < -4 || exponent >= PRECISION) {
            sb.append(digits.charAt(0));
            String fraction = stripZeros(digits.substring(1));
            if (!fraction.isEmpty()) {
                sb.append('.').append(fraction);
            }
            sb.append('e').append(exponent < 0 ? '-' : '+');
            int abs = Math.abs(exponent);
            if (abs < 10) {
                sb.append('0');
            }
            sb.append(abs);
        } else if (exponent >= 0) {
            String intPart = digits.substring(0, exponent + 1);
            String fraction = stripZeros(digits.substring(exponent + 1));
            sb.append(intPart);
            if (!fraction.isEmpty()) {
                sb.append('.').append(fraction);
            }
        } else {
            String fraction = stripZeros("0".repeat(-exponent - 1) + digits);
            sb.append("0.").append(fraction);
        }
        return sb.toString();
    }

    private static String stripZeros(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == '0') {
            end--;
        }
        return s.substring(0, end);
    }
}
