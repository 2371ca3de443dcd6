package io.converge.server.util;

/**
 * Redis's glob matching ({@code stringmatchlen}), for KEYS, SCAN MATCH, CONFIG GET and the like:
 * {@code *} any run, {@code ?} one byte, {@code [abc]}, {@code [^abc]}, {@code [a-z]} classes,
 * {@code \} escapes the next byte. Works on raw bytes; {@code nocase} folds ASCII letters.
 *
 * <p>Like Redis, a {@code *} that fails to match at every remaining position stops the whole
 * search early, which keeps pathological patterns such as {@code a*a*a*a*b} linear-ish.
 */
public final class Glob {
    private Glob() {}

    /** Whether {@code string} matches {@code pattern}. */
    public static boolean matches(byte[] pattern, byte[] string, boolean nocase) {
        return match(pattern, 0, string, 0, nocase, new boolean[1]);
    }

    private static byte at(byte[] b, int i) {
        return i < b.length ? b[i] : 0;
    }

    private static int lower(int c) {
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    }

    private static boolean match(byte[] pat, int p, byte[] str, int s, boolean nocase, boolean[] skipLonger) {
        int plen = pat.length - p;
        int slen = str.length - s;
        while (plen > 0 && slen > 0) {
            switch (pat[p]) {
                case '*' -> {
                    while (plen > 1 && pat[p + 1] == '*') {
                        p++;
                        plen--;
                    }
                    if (plen == 1) {
                        return true;
                    }
                    while (slen > 0) {
                        if (match(pat, p + 1, str, s, nocase, skipLonger)) {
                            return true;
                        }
                        if (skipLonger[0]) {
                            return false;
                        }
                        s++;
                        slen--;
                    }
                    skipLonger[0] = true;
                    return false;
                }
                case '?' -> {
                    s++;
                    slen--;
                }
                case '[' -> {
                    p++;
                    plen--;
                    boolean not = plen > 0 && pat[p] == '^';
                    if (not) {
                        p++;
                        plen--;
                    }
                    boolean matched = false;
                    while (true) {
                        if (plen >= 2 && pat[p] == '\\') {
                            p++;
                            plen--;
                            if (pat[p] == str[s]) {
                                matched = true;
                            }
                        } else if (plen > 0 && pat[p] == ']') {
                            break;
                        } else if (plen <= 0) {
                            p--;
                            plen++;
                            break;
                        } else if (plen >= 3 && pat[p + 1] == '-') {
                            int start = pat[p];
                            int end = pat[p + 2];
                            int c = str[s];
                            if (start > end) {
                                int t = start;
                                start = end;
                                end = t;
                            }
                            if (nocase) {
                                start = lower(start);
                                end = lower(end);
                                c = lower(c);
                            }
                            p += 2;
                            plen -= 2;
                            if (c >= start && c <= end) {
                                matched = true;
                            }
                        } else if (nocase ? lower(pat[p]) == lower(str[s]) : pat[p] == str[s]) {
                            matched = true;
                        }
                        p++;
                        plen--;
                    }
                    if (not) {
                        matched = !matched;
                    }
                    if (!matched) {
                        return false;
                    }
                    s++;
                    slen--;
                }
                default -> {
                    if (pat[p] == '\\' && plen >= 2) {
                        p++;
                        plen--;
                    }
                    boolean same = nocase ? lower(pat[p]) == lower(str[s]) : pat[p] == str[s];
                    if (!same) {
                        return false;
                    }
                    s++;
                    slen--;
                }
            }
            p++;
            plen--;
            if (slen == 0) {
                while (plen > 0 && at(pat, p) == '*') {
                    p++;
                    plen--;
                }
                break;
            }
        }
        return plen == 0 && slen == 0;
    }
}
