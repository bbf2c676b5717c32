package embtune.eval;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import org.junit.jupiter.api.Test;

class TablesTest {
    @Test
    void cjkTextIsAlignedByDisplayWidth() {
        List<String> texts = List.of("一个男人在弹吉他。", "A man plays guitar.", "ｆｕｌｌｗｉｄｔｈ and 한국어");
        float[][] v = {{1, 0}, {0.6f, 0.8f}, {0, 1}};
        String text = Tables.text(Tables.similarity(texts, v));
        List<String> lines = text.lines().skip(1).toList();
        assertEquals(5, lines.size(), text);
        int width = Tables.width(lines.get(0));
        for (String l : lines) assertEquals(width, Tables.width(l), "every line as wide as the header:\n" + text);
        int bar = Tables.width(lines.get(0).substring(0, lines.get(0).indexOf('|')));
        for (String l : lines) assertEquals(bar, Tables.width(l.substring(0, l.indexOf('|'))), "first column bars line up:\n" + text);
        assertTrue(lines.get(2).startsWith("一个男人在弹吉他。") && lines.get(2).contains("1.000 | 0.600 | 0.000"), text);
        assertEquals(2, Tables.width("吉"));
        assertTrue(Tables.width(Tables.shorten("吉".repeat(30))) <= 40, "cut to 40 columns");
    }
}
