import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import org.rapaio.jupyter.kernel.MainApp;
import org.rapaio.jupyter.kernel.channels.Channels;
import org.rapaio.jupyter.kernel.channels.LoopThread;
import org.rapaio.jupyter.kernel.core.ConnectionProperties;
import org.rapaio.jupyter.kernel.core.Transform;

/**
 * Starts rapaio-jupyter-kernel 3.0.1 as its MainApp does, without two start-up races that made
 * about one kernel start in four hang on 2 busy cores ("Kernel didn't respond in 90 seconds").
 *
 * <ol>
 * <li>{@code LoopThread.start()} calls {@code Thread.start()} before it sets {@code running =
 *     true}. A loop thread that is scheduled first reads {@code running == false} and returns at
 *     once, silently: its channel (shell, control or heartbeat) never reads a message again. A
 *     thread dump of a hung kernel shows it: one "Shell-0" loop thread where there should be two
 *     (the control loop is named "Shell-" too). Remedy: after connecting, a loop thread that has
 *     already ended is replaced by one whose flag is set before it starts.</li>
 * <li>{@code Channels.connect} starts the shell thread before it creates its map of message
 *     handlers, and the client's queued {@code kernel_info_request}s arrive the moment the port is
 *     bound: a look-up in the null map throws outside the handler's try and kills the thread.
 *     Remedy: an empty, thread-safe map is in place before connecting; an early request finds no
 *     handler, is logged and dropped, and the client's next request (every second) is answered.</li>
 * </ol>
 */
public final class EmbtuneKernel {
    private static final Logger LOGGER = Logger.getLogger("EmbtuneKernel");

    private EmbtuneKernel() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) throw new IllegalArgumentException("usage: EmbtuneKernel CONNECTION_FILE");
        LogManager.getLogManager().readConfiguration(MainApp.class.getClassLoader().getResourceAsStream("logging.properties"));
        ConnectionProperties connection = Transform.fromJson(Files.readString(Path.of(args[0])), ConnectionProperties.class);
        Channels channels = new Channels(connection);
        set(channels, "handlers", new ConcurrentHashMap<>());
        channels.connect(MainApp.kernel);
        Thread.sleep(300); // a loop thread that lost the race has ended by now; a healthy one never ends
        for (String name : List.of("shell", "control", "heartbeat")) restartIfEnded(get(channels, name));
        channels.joinUntilClose();
    }

    /** Replaces a channel's ended loop thread by an equal one that is running from its start. */
    private static void restartIfEnded(Object channel) throws Exception {
        Field f = field(channel.getClass(), "loopThread");
        LoopThread old = (LoopThread) f.get(channel);
        if (old == null || old.isAlive()) return;
        LoopThread fresh = new LoopThread(old.getName(), (long) get(old, "sleep"), (Runnable) get(old, "loopBody"));
        set(fresh, "running", true);
        fresh.start();
        f.set(channel, fresh);
        LOGGER.info(channel.getClass().getSimpleName() + ": loop thread had ended at start-up; restarted");
    }

    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField(name);
                f.setAccessible(true);
                return f;
            } catch (NoSuchFieldException e) {
                // look in the superclass
            }
        }
        throw new NoSuchFieldException(type.getName() + "." + name);
    }

    private static Object get(Object o, String name) throws Exception {
        return field(o.getClass(), name).get(o);
    }

    private static void set(Object o, String name, Object value) throws Exception {
        field(o.getClass(), name).set(o, value);
    }
}
