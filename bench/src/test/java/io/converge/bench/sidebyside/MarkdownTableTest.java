package io.converge.bench.sidebyside;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MarkdownTableTest {
    @Test
    void padsColumnsAndMarksAlignment() {
        MarkdownTable table = new MarkdownTable(List.of("test", "rps"),
                List.of(MarkdownTable.Align.LEFT, MarkdownTable.Align.RIGHT));
        table.addRow(List.of("SET", "68,965"));
        table.addRow(List.of("HSET", "1"));

        assertThat(table.render()).isEqualTo("""
                | test |    rps |
                | :--- | -----: |
                | SET  | 68,965 |
                | HSET |      1 |
                """);
    }

    @Test
    void escapesPipesAndNewlinesInCells() {
        MarkdownTable table = new MarkdownTable(List.of("a"), List.of(MarkdownTable.Align.LEFT));
        table.addRow(List.of("x|y\nz"));

        assertThat(table.render()).contains("| x\\|y z |");
    }

    @Test
    void rejectsRowsOfTheWrongWidth() {
        MarkdownTable table = new MarkdownTable(List.of("a", "b"),
                List.of(MarkdownTable.Align.LEFT, MarkdownTable.Align.LEFT));

        assertThatThrownBy(() -> table.addRow(List.of("only one"))).isInstanceOf(IllegalArgumentException.class);
    }
}
