package embtune.cli;

import embtune.train.TrainConfig;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The train command's flags are TrainConfig's fields: {@code learningRate} is
 * {@code --learning_rate} (or {@code --learning-rate}), with the field's {@link TrainConfig.Help}
 * text and default. One list, so the CLI, args.json and the notebook API cannot drift apart.
 */
final class ConfigFlags {
    private ConfigFlags() {}

    static String flagName(String field) {
        return field.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase();
    }

    static List<Field> fields() {
        List<Field> out = new ArrayList<>();
        for (Field f : TrainConfig.class.getFields())
            if (!Modifier.isStatic(f.getModifiers()) && f.isAnnotationPresent(TrainConfig.Help.class)) out.add(f);
        return out;
    }

    static Cli declare(Cli cli, TrainConfig defaults) {
        for (Field f : fields()) {
            String help = f.getAnnotation(TrainConfig.Help.class).value();
            Object def = get(f, defaults);
            String shown = def == null || (def instanceof List<?> l && l.isEmpty()) ? null
                    : def instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(def);
            if (f.getType() == boolean.class) cli.flag(flagName(f.getName()), help);
            else cli.option(flagName(f.getName()), shown, help);
        }
        return cli;
    }

    /** Copies every flag the user gave into the config, converting to the field's type. */
    @SuppressWarnings("unchecked")
    static TrainConfig apply(Cli.Args args, TrainConfig config) {
        for (Field f : fields()) {
            String name = flagName(f.getName());
            if (!args.given(name)) continue;
            String v = args.get(name);
            try {
                Class<?> t = f.getType();
                Object value;
                if (t == String.class) value = v;
                else if (t == int.class || t == Integer.class) value = Integer.valueOf(v.trim());
                else if (t == long.class || t == Long.class) value = Long.valueOf(v.trim());
                else if (t == double.class || t == Double.class) value = Double.valueOf(v.trim());
                else if (t == boolean.class || t == Boolean.class) value = parseBool(name, v);
                else if (t == List.class) value = new ArrayList<>(Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList());
                else throw new IllegalStateException("unsupported field type " + t);
                f.set(config, value);
            } catch (NumberFormatException e) {
                throw new Cli.UsageError("--" + name + ": '" + v + "' is not a number");
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return config;
    }

    private static Boolean parseBool(String name, String v) {
        if (v.equalsIgnoreCase("true") || v.equals("1")) return true;
        if (v.equalsIgnoreCase("false") || v.equals("0")) return false;
        throw new Cli.UsageError("--" + name + " takes true or false, not '" + v + "'");
    }

    private static Object get(Field f, Object o) {
        try {
            return f.get(o);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
