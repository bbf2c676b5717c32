package embtune;

import java.io.PrintStream;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The one place the library speaks through. Library code never prints: it calls {@link #progress}
 * (a running job's lines, such as training steps), {@link #info} (what it is doing: downloads,
 * imports) or {@link #note} (something odd but survivable: a kernel that fell back, a setting that
 * was capped). The commands and the notebook kernel choose
 * where that goes with {@link #to}; by default it goes to standard error, which keeps standard output
 * clean for what a command produces (JSON lines, tables).
 */
public final class Log {
    /** A message and how much it matters; a sink renders it. */
    public record Message(Level level, String text) {
        @Override
        public String toString() {
            return switch (level) {
                case PROGRESS -> text;
                case INFO -> "embtune: " + text;
                case NOTE -> "note: " + text;
            };
        }
    }

    /** PROGRESS: a running job's lines (training steps); INFO: what the library is doing; NOTE: odd but survivable. */
    public enum Level { PROGRESS, INFO, NOTE }

    private static volatile Consumer<Message> sink = stream(System.err);

    private Log() {}

    public static void info(String text) {
        sink.accept(new Message(Level.INFO, text));
    }

    public static void progress(String text) {
        sink.accept(new Message(Level.PROGRESS, text));
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

    /**
     * A stream for code that writes lines (the trainer's progress): each finished line becomes a
     * {@link #progress} message; a carriage return (a terminal's progress bar redrawn) starts the line anew.
     */
    public static PrintStream lines() {
        return new PrintStream(new java.io.OutputStream() {
            private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                if (b == '\n') {
                    progress(line.toString(java.nio.charset.StandardCharsets.UTF_8));
                    line.reset();
                } else if (b == '\r') {
                    line.reset();
                } else {
                    line.write(b);
                }
            }
        }, true, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** A sink that prints each message as one line. */
    public static Consumer<Message> stream(PrintStream out) {
        return m -> out.println(m);
    }
}
