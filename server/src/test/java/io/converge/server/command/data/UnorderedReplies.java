package io.converge.server.command.data;

import io.converge.server.testing.RespClient.RespMap;
import io.converge.server.testing.RespClient.RespSet;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Puts hash and set replies in a canonical order, so that replies whose order Redis leaves
 * unspecified (HGETALL, SMEMBERS, SINTER, HSCAN ...) can be compared between redis-server and
 * Converge. Only the order changes: element counts, types (map, set, array) and contents stay.
 */
final class UnorderedReplies {
    private static final Comparator<Object> BY_TEXT = Comparator.comparing(String::valueOf);

    private UnorderedReplies() {}

    /** {@code reply} to {@code command} in canonical order (unchanged if the order is defined). */
    static Object canonical(String[] command, Object reply) {
        String name = command[0].toUpperCase(Locale.ROOT);
        return switch (name) {
            case "HGETALL" -> sortPairs(reply);
            case "HKEYS", "HVALS", "SMEMBERS", "SINTER", "SUNION", "SDIFF", "SPOP", "SRANDMEMBER" -> sortItems(reply);
            case "HRANDFIELD" -> hasWord(command, "withvalues") ? sortPairs(reply) : sortItems(reply);
            case "HSCAN" -> sortScan(reply, !hasWord(command, "novalues"));
            case "SSCAN" -> sortScan(reply, false);
            default -> reply;
        };
    }

    private static boolean hasWord(String[] command, String word) {
        for (int i = 2; i < command.length; i++) {
            if (command[i].equalsIgnoreCase(word)) {
                return true;
            }
        }
        return false;
    }

    /** Sorts the items of an array or RESP3 set. */
    static Object sortItems(Object reply) {
        if (reply instanceof List<?> list) {
            List<Object> sorted = new ArrayList<>(list);
            sorted.sort(BY_TEXT);
            return sorted;
        }
        if (reply instanceof RespSet set) {
            List<Object> sorted = new ArrayList<>(set.items());
            sorted.sort(BY_TEXT);
            return new RespSet(sorted);
        }
        return reply;
    }

    /**
     * Sorts field/value pairs by field: a RESP3 map, a flat RESP2 array, or an array of
     * [field, value] arrays (RESP3 HRANDFIELD WITHVALUES).
     */
    static Object sortPairs(Object reply) {
        if (reply instanceof RespMap map) {
            return new RespMap(sortFlatPairs(map.entries()));
        }
        if (reply instanceof List<?> list) {
            if (!list.isEmpty() && list.get(0) instanceof List<?>) {
                return sortItems(list);
            }
            return sortFlatPairs(list);
        }
        return reply;
    }

    private static List<Object> sortFlatPairs(List<?> flat) {
        List<List<Object>> pairs = new ArrayList<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            pairs.add(List.of(flat.get(i), flat.get(i + 1)));
        }
        pairs.sort(Comparator.comparing(p -> String.valueOf(p.get(0)) + "\0" + p.get(1)));
        List<Object> out = new ArrayList<>();
        for (List<Object> p : pairs) {
            out.addAll(p);
        }
        return out;
    }

    /** A SCAN-family reply [cursor, items] with its items sorted (as pairs when {@code pairs}). */
    private static Object sortScan(Object reply, boolean pairs) {
        if (reply instanceof List<?> list && list.size() == 2 && list.get(1) instanceof List<?> items) {
            return List.of(list.get(0), pairs ? sortFlatPairs(items) : sortItems(items));
        }
        return reply;
    }
}
