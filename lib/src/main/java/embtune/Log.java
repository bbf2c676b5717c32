package embtune;

import java.io.PrintStream;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The one place the library speaks through. Library code never prints: it calls {@link #info}
 * (progress a user wants to see: downloads, imports) or {@link #note} (something odd but survivable:
 * a kernel that fell back, a setting that was capped). The commands and the notebook kernel choose
 * where that goes with {@link #to}; by default it goes to standard error, which keeps standard output
 * clean for what a command produces (JSON lines, tables).
 */
public final class Log {
    /** A message and how much it matters; a sink renders it. */
    public record Message(Level level, String text) {
        @Override
        public String toString() {
            return level == Level.NOTE ? "note: " + text : "embtune: " + text;
        }
    }

    public enum Level { INFO, NOTE }

    private static volatile Consumer<Message> sink = stream(System.err);

    private Log() {}

    public static void info(String text) {
        sink.accept(new Message(Level.INFO, text));
    }

    public static void note(String text) {
        sink.accept(new Message(Level.NOTE, text));
    }

    /** Sends every later message to {@code sink} and returns the previous one (to restore it). */
    public static Consumer<Message> to(Consumer<Message> newSink) {
        Consumer<Message> old = sink;
        sink = Objects.requireNonNull(newSink);
        return old;
    }

    /** A sink that prints each message as one line. */
    public static Consumer<Message> stream(PrintStream out) {
        return m -> out.println(m);
    }
}
