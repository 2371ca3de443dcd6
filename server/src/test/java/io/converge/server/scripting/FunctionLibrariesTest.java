package io.converge.server.scripting;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.converge.server.util.LastWriterMap;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The function libraries' merge: nodes that saw the same entries, in any order and any number of
 * times, hold the same libraries (last writer wins per name, deletes included); and what a node
 * holds survives a restart and a damaged payload is refused.
 */
class FunctionLibrariesTest {

    private static byte[] code(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void replicasThatSawTheSameChangesInAnyOrderHoldTheSameLibraries() {
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<FunctionLibraries> writers = List.of(new FunctionLibraries(null, "a"), new FunctionLibraries(null, "b"),
                    new FunctionLibraries(null, "c"));
            List<LastWriterMap.Entry> history = new ArrayList<>();
            for (int op = 0; op < 12; op++) {
                FunctionLibraries w = writers.get(random.nextInt(writers.size()));
                String name = "lib" + random.nextInt(3);
                int kind = random.nextInt(4);
                if (kind == 0) {
                    w.delete(name);
                } else if (kind == 1) {
                    w.flush();
                } else {
                    w.put(name, code("v" + op));
                }
                history.addAll(w.all());
                if (random.nextBoolean()) { // some changes reach another writer before it writes again
                    writers.get(random.nextInt(writers.size())).merge(w.all());
                }
            }
            Map<String, byte[]> first = null;
            for (int replica = 0; replica < 4; replica++) {
                List<LastWriterMap.Entry> shuffled = new ArrayList<>(history);
                Collections.shuffle(shuffled, random);
                FunctionLibraries r = new FunctionLibraries(null, "r" + replica);
                for (LastWriterMap.Entry e : shuffled) {
                    r.merge(List.of(e));
                }
                Map<String, byte[]> live = r.live();
                if (first == null) {
                    first = live;
                } else {
                    assertThat(live.keySet()).isEqualTo(first.keySet());
                    for (String k : live.keySet()) {
                        assertThat(live.get(k)).isEqualTo(first.get(k));
                    }
                }
            }
        }
    }

    @Test
    void aLaterDeleteWinsOverAnEarlierLoadAndALaterLoadOverAnEarlierDelete() {
        FunctionLibraries a = new FunctionLibraries(null, "a");
        FunctionLibraries b = new FunctionLibraries(null, "b");
        a.put("lib", code("one"));
        b.merge(a.all());
        b.delete("lib");
        a.merge(b.all());
        assertThat(a.code("lib")).isNull();
        a.put("lib", code("two"));
        b.merge(a.all());
        assertThat(b.code("lib")).isEqualTo(code("two"));
        assertThat(b.merge(a.all())).as("nothing new").isFalse();
    }

    @Test
    void theLibrariesSurviveARestartAndADamagedPayloadIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("functions.bin");
        FunctionLibraries before = new FunctionLibraries(file, "n1");
        before.put("kept", code("#!lua name=kept\n"));
        before.put("gone", code("#!lua name=gone\n"));
        before.delete("gone");
        FunctionLibraries after = new FunctionLibraries(file, "n1");
        assertThat(after.live()).containsOnlyKeys("kept");
        assertThat(after.all()).hasSize(2); // the tombstone too
        after.put("newer", code("x")); // stamps keep growing after a restart
        assertThat(after.all().stream().filter(e -> e.name().equals("newer")).findFirst().orElseThrow().stamp())
                .isGreaterThan(before.all().stream().mapToLong(LastWriterMap.Entry::stamp).max().orElseThrow());
        byte[] damaged = Files.readAllBytes(file);
        damaged[damaged.length / 2] ^= 1;
        assertThatThrownBy(() -> FunctionLibraries.decode(damaged)).isInstanceOf(IllegalArgumentException.class);
    }
}
