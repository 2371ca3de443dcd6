package io.converge.server.scripting;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/** C's {@code printf("%.<p>g")} for doubles, as the Lua libraries Redis bundles format numbers. */
final class LuaNumbers {
    private LuaNumbers() {}

    /** {@code d} formatted like C's {@code %.<precision>g} (precision 1 to 17). */
    static String formatG(double d, int precision) {
        if (Double.isNaN(d)) {
            return Double.doubleToRawLongBits(d) < 0 ? "-nan" : "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0" : "0";
        }
        BigDecimal exact = new BigDecimal(d).round(new MathContext(precision, RoundingMode.HALF_EVEN));
        int exponent = exact.precision() - exact.scale() - 1;
        if (exponent < -4 || exponent >= precision) {
            BigDecimal mantissa = exact.movePointLeft(exponent).stripTrailingZeros();
            String m = mantissa.scale() <= 0 ? mantissa.setScale(0).toPlainString() : mantissa.toPlainString();
            String e = Integer.toString(Math.abs(exponent));
            return m + (exponent < 0 ? "e-" : "e+") + (e.length() < 2 ? "0" + e : e);
        }
        BigDecimal fixed = exact.stripTrailingZeros();
        return fixed.scale() <= 0 ? fixed.setScale(0).toPlainString() : fixed.toPlainString();
    }
}
