package io.steadfast.replication.impl;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * The process behind the FUSE request this thread is serving: libfuse's {@code fuse_get_context()}, which jfuse
 * does not expose. Valid only inside a filesystem callback (libfuse keeps it per worker thread).
 *
 * <pre>struct fuse_context { struct fuse *fuse; uid_t uid; gid_t gid; pid_t pid; void *private_data; mode_t umask; }</pre>
 * (LP64: uid at 8, gid at 12, pid at 16.)
 */
final class FuseCaller {
    private static final long UID = 8;
    private static final long GID = 12;
    private static final long SIZE = 40;
    private static volatile MethodHandle get;

    private FuseCaller() {
    }

    private static MethodHandle handle() {
        MethodHandle h = get;
        if (h == null) {
            synchronized (FuseCaller.class) {
                if (get == null) {
                    SymbolLookup lib = SymbolLookup.libraryLookup(Path.of(DirMount.libfuse()), Arena.global());
                    get = Linker.nativeLinker().downcallHandle(lib.find("fuse_get_context").orElseThrow(
                            () -> new IllegalStateException("libfuse3 has no fuse_get_context")),
                            FunctionDescriptor.of(ValueLayout.ADDRESS));
                }
                h = get;
            }
        }
        return h;
    }

    /** The calling process's uid and gid (its fsuid/fsgid, as the kernel sends them). */
    static Owners.Caller current() {
        try {
            MemorySegment ctx = (MemorySegment) handle().invokeExact();
            if (ctx.equals(MemorySegment.NULL)) {
                throw new IllegalStateException("no FUSE request context on this thread");
            }
            MemorySegment s = ctx.reinterpret(SIZE);
            return new Owners.Caller(s.get(ValueLayout.JAVA_INT, UID), s.get(ValueLayout.JAVA_INT, GID));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
