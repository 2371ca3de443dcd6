package io.converge.crdt;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import static org.assertj.core.api.Assertions.assertThat;

class SmokeProperties {
    @Property(tries = 10)
    void addition(@ForAll int a, @ForAll int b) { assertThat(a + b).isEqualTo(b + a); }
    @Test
    void junit() { assertThat(1).isEqualTo(1); }
}
