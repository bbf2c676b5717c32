package embtune;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Jackson's error messages in one line: what was wrong and where (line, column), without the
 * second line that dumps the source. Every "not valid JSON" message of a file goes through here.
 */
public final class Json {
    private Json() {}

    public static String problem(Exception e) {
        if (e instanceof JsonProcessingException j) {
            String what = String.valueOf(j.getOriginalMessage()).lines().findFirst().orElse("").strip();
            JsonLocation at = j.getLocation();
            return at == null || at.getLineNr() < 1 ? what : what + " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
        }
        return String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getSimpleName());
    }
}
