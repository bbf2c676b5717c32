package embtune.engine;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Frees a direct or memory-mapped buffer now instead of whenever the garbage collector gets to
 * it. Loading a model touches gigabytes through such buffers; left to GC they pile up and the
 * peak memory of a load doubles. Uses {@code sun.misc.Unsafe.invokeCleaner} (module
 * jdk.unsupported, no flags needed); where that is unavailable, GC frees them as before.
 */
public final class DirectBuffers {
    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method m = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            m = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // leave freeing to the garbage collector
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = m;
    }

    private DirectBuffers() {}

    /** Only call once nothing reads the buffer any more (no tensor wraps it). */
    public static void free(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null || buffer == null || !buffer.isDirect()) return;
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // a slice or duplicate cannot be cleaned; GC will do it
        }
    }
}
