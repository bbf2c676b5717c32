package embtune.data;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A data set reference as ms-swift writes it: {@code path[:subset][#N]}.
 * {@code #N} takes N rows (seeded sample; more than the data repeats it), {@code subset} picks
 * a named view such as {@code positive}. Windows drive letters ({@code C:\...}) are not subsets.
 */
public record DatasetSpec(String path, String subset, Integer sample) {
    private static final Pattern SAMPLE = Pattern.compile("^(.*)#(\\d+)$");
    private static final Pattern BAD_SAMPLE = Pattern.compile("^.+#[^/\\\\.]*$"); // "#-3", "#abc", "#"
    private static final Pattern SUBSET = Pattern.compile("^(.+):([A-Za-z_][\\w-]*)$");

    public static DatasetSpec parse(String spec) {
        String rest = spec.trim();
        if (rest.isEmpty()) throw new IllegalArgumentException("empty dataset spec");
        Integer n = null;
        Matcher m = SAMPLE.matcher(rest);
        if (m.matches()) {
            rest = m.group(1);
            try {
                n = Integer.valueOf(m.group(2));
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n <= 0) throw new DataError(spec, 0, null, "#N takes a whole number of rows from 1 to " + Integer.MAX_VALUE);
        } else if (BAD_SAMPLE.matcher(rest).matches()) {
            throw new DataError(spec, 0, null, "#N takes a whole number of rows, like data.jsonl#500, not '"
                    + rest.substring(rest.lastIndexOf('#')) + "'");
        }
        String subset = null;
        m = SUBSET.matcher(rest);
        if (m.matches() && m.group(1).length() > 1) {
            rest = m.group(1);
            subset = m.group(2);
        }
        return new DatasetSpec(rest, subset, n);
    }

    @Override
    public String toString() {
        return path + (subset == null ? "" : ":" + subset) + (sample == null ? "" : "#" + sample);
    }
}
