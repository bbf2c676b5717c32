package embtune.cli;

import embtune.train.TrainConfig;
import java.util.List;

/**
 * The train command's flags are TrainConfig's settings ({@link TrainConfig#flags()}), with their
 * help text and defaults: one list, so the CLI, args.json and the notebook API cannot drift apart.
 */
final class ConfigFlags {
    private ConfigFlags() {}

    static Cli declare(Cli cli) {
        for (TrainConfig.Flag f : TrainConfig.flags()) {
            Object def = f.defaultValue();
            String shown = def == null || (def instanceof List<?> l && l.isEmpty()) ? null
                    : def instanceof List<?> l ? String.join(",", l.stream().map(String::valueOf).toList()) : String.valueOf(def);
            if (f.type() == boolean.class) cli.flag(f.name(), f.help());
            else cli.option(f.name(), shown, f.help());
        }
        return cli;
    }

    /** The config with every flag the user gave; a value of the wrong type is a usage error naming the flag. */
    static TrainConfig apply(Cli.Args args, TrainConfig config) {
        for (TrainConfig.Flag f : TrainConfig.flags()) {
            if (!args.given(f.name())) continue;
            config = config.with(f.name(), f.type() == List.class ? args.all(f.name()) : args.get(f.name()));
        }
        return config;
    }
}
