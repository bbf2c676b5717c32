package embtune.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Command-line flags the way {@code swift sft} spells them: {@code --snake_case} or
 * {@code --kebab-case}, {@code --name value} or {@code --name=value}, booleans as bare
 * {@code --flag} or {@code --flag true|false}. Declared up front so {@code --help} lists them and
 * a typo is an error that suggests the closest name.
 */
public final class Cli {
    private record Option(String name, String defaultValue, String help, boolean bool) {}

    private final String command;
    private final String summary;
    private final Map<String, Option> options = new LinkedHashMap<>();
    private final Map<String, String> aliases = new LinkedHashMap<>();
    private String positionalName;
    private String positionalHelp;

    public Cli(String command, String summary) {
        this.command = command;
        this.summary = summary;
    }

    public Cli option(String name, String defaultValue, String help) {
        options.put(name, new Option(name, defaultValue, help, false));
        return this;
    }

    public Cli flag(String name, String help) {
        options.put(name, new Option(name, "false", help, true));
        return this;
    }

    /** Another spelling of an option, e.g. {@code loss} for {@code loss_type}. */
    public Cli alias(String alias, String name) {
        aliases.put(alias, name);
        return this;
    }

    public Cli positionals(String name, String help) {
        positionalName = name;
        positionalHelp = help;
        return this;
    }

    /** Parsed values; every declared option has one (its default when not given). */
    public static final class Args {
        private final Map<String, String> values;
        private final List<String> positionals;
        private final java.util.Set<String> given;
        private final Map<String, List<String>> repeated;

        Args(Map<String, String> values, List<String> positionals, java.util.Set<String> given, Map<String, List<String>> repeated) {
            this.values = values;
            this.positionals = positionals;
            this.given = given;
            this.repeated = repeated;
        }

        /** Every value given for a repeatable option ({@code --model a --model b}, or {@code --model a,b}). */
        public List<String> all(String name) {
            List<String> out = new ArrayList<>();
            for (String v : repeated.getOrDefault(name, List.of())) for (String part : v.split(",")) if (!part.isBlank()) out.add(part.trim());
            if (out.isEmpty() && get(name) != null) out.add(get(name));
            return out;
        }

        public String get(String name) {
            if (!values.containsKey(name)) throw new IllegalArgumentException("undeclared option " + name);
            return values.get(name);
        }

        public boolean has(String name) { return get(name) != null; }
        public boolean given(String name) { return given.contains(name); }
        public boolean bool(String name) { return Boolean.parseBoolean(get(name)); }
        public int integer(String name) { return parse(name, Integer::parseInt); }
        public double number(String name) { return parse(name, Double::parseDouble); }
        public List<String> positionals() { return positionals; }

        private <T> T parse(String name, java.util.function.Function<String, T> f) {
            String v = get(name);
            try {
                return f.apply(v);
            } catch (RuntimeException e) {
                boolean whole = v != null && v.trim().matches("[-+]?\\d+");
                throw new UsageError("--" + name + ": '" + v + "' is " + (whole ? "out of range (at most " + Integer.MAX_VALUE + ")" : "not a number"));
            }
        }

        @Override
        public String toString() { return values + (positionals.isEmpty() ? "" : " " + positionals); }
    }

    /** A mistake on the command line: the message and a usage hint, no stack trace. */
    public static final class UsageError extends IllegalArgumentException {
        public UsageError(String message) { super(message); }
    }

    public Args parse(String... args) {
        Map<String, String> values = new LinkedHashMap<>();
        options.values().forEach(o -> values.put(o.name, o.defaultValue));
        List<String> positionals = new ArrayList<>();
        java.util.Set<String> given = new java.util.HashSet<>();
        Map<String, List<String>> repeated = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.equals("--")) {
                if (positionalName == null) throw new UsageError("unexpected argument '" + a + "'");
                positionals.add(a);
                continue;
            }
            String body = a.substring(2), value = null;
            int eq = body.indexOf('=');
            if (eq >= 0) {
                value = body.substring(eq + 1);
                body = body.substring(0, eq);
            }
            String name = normalise(body);
            name = aliases.getOrDefault(name, name);
            if (name.equals("help")) throw new HelpRequested();
            Option o = options.get(name);
            if (o == null) throw new UsageError("unknown option --" + body + suggestion(name));
            if (value == null) {
                boolean nextIsValue = i + 1 < args.length && !args[i + 1].startsWith("--");
                if (o.bool) {
                    if (nextIsValue && (args[i + 1].equalsIgnoreCase("true") || args[i + 1].equalsIgnoreCase("false"))) value = args[++i];
                    else value = "true";
                } else {
                    if (!nextIsValue) throw new UsageError("--" + body + " needs a value");
                    value = args[++i];
                }
            }
            if (o.bool && !value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false"))
                throw new UsageError("--" + body + " takes true or false, not '" + value + "'");
            values.put(name, o.bool ? value.toLowerCase(Locale.ROOT) : value);
            repeated.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            given.add(name);
        }
        return new Args(values, positionals, given, repeated);
    }

    static String normalise(String flag) {
        return flag.replace('-', '_').toLowerCase(Locale.ROOT);
    }

    private String suggestion(String name) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        List<String> names = new ArrayList<>(options.keySet());
        names.addAll(aliases.keySet());
        for (String o : names) {
            int d = distance(name, o);
            if (d < bestD) { bestD = d; best = o; }
        }
        return best != null && bestD <= Math.max(2, name.length() / 3) ? "; did you mean --" + best + "?" : "; see --help";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++)
                cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            int[] t = prev; prev = cur; cur = t;
        }
        return prev[b.length()];
    }

    public String usage() {
        StringBuilder sb = new StringBuilder(command + ": " + summary + "\n\nusage: " + command + " [options]");
        if (positionalName != null) sb.append(" ").append(positionalName).append("...");
        sb.append("\n");
        if (positionalName != null) sb.append(String.format("  %-32s %s%n", positionalName, positionalHelp));
        for (Option o : options.values()) {
            String left = "--" + o.name + (o.bool ? "" : " " + o.name.toUpperCase(Locale.ROOT));
            sb.append(String.format("  %-32s %s%s%n", left, o.help,
                    o.bool || o.defaultValue == null ? "" : " (default " + o.defaultValue + ")"));
        }
        sb.append("Flags also take kebab-case (--skip-invalid) and --name=value.\n");
        return sb.toString();
    }

    private static final class HelpRequested extends RuntimeException {
        HelpRequested() { super(null, null, false, false); }
    }

    /** What a script's main does: parse, run, and turn known failures into one clear line. */
    public interface Body {
        void run(Args args) throws Exception;
    }

    public void run(String[] argv, Body body) {
        int code = run(argv, body, System.out, System.err);
        if (code != 0) System.exit(code);
    }

    /**
     * The one top-level handler: a usage mistake (flag, value) is one line and exit 2; a failure
     * of the run (data, model, hub, I/O) one line and exit 1; anything unexpected one line naming
     * its kind, exit 1. {@code EMBTUNE_DEBUG=1} adds the stack trace.
     */
    int run(String[] argv, Body body, PrintStream out, PrintStream err) {
        int code;
        Throwable failure;
        try {
            Args args = parse(argv);
            if (args.values.containsKey("hub")) hub(args); // an unknown name fails before any work
            body.run(args);
            return 0;
        } catch (HelpRequested h) {
            out.print(usage());
            return 0;
        } catch (UsageError | embtune.train.ConfigError e) {
            err.println(command + ": " + e.getMessage());
            err.println("run with --help for the options");
            code = 2;
            failure = e;
        } catch (embtune.data.DataError | embtune.ModelError | embtune.hub.HubError | IllegalArgumentException | IllegalStateException e) {
            err.println(command + ": " + e.getMessage());
            code = 1;
            failure = e;
        } catch (java.io.UncheckedIOException | java.io.IOException e) {
            Throwable io = e instanceof java.io.UncheckedIOException u ? u.getCause() : e;
            String msg = e.getMessage();
            if (io != null && io != e && io.getMessage() != null && (msg == null || !msg.contains(io.getMessage())))
                msg = (msg == null ? "" : msg + ": ") + io.getClass().getSimpleName() + " " + io.getMessage();
            err.println(command + ": " + msg);
            code = 1;
            failure = e;
        } catch (Exception e) {
            err.println(command + ": internal error: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + (debug() ? "" : " (EMBTUNE_DEBUG=1 shows the stack trace)"));
            code = 1;
            failure = e;
        }
        if (debug()) failure.printStackTrace(err);
        return code;
    }

    /** The hub a command's ids resolve against: --hub, else USE_HF's choice. */
    public static embtune.hub.Hub hub(Args args) {
        try {
            return embtune.hub.Hub.named(args.get("hub")).progressTo(System.err);
        } catch (IllegalArgumentException e) {
            throw new UsageError("--hub: " + e.getMessage());
        }
    }

    static boolean debug() {
        String v = System.getenv("EMBTUNE_DEBUG");
        return v != null && !v.isBlank() && !v.equals("0") && !v.equalsIgnoreCase("false");
    }
}
