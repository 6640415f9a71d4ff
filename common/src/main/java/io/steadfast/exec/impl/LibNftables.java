package io.steadfast.exec.impl;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * {@code nft} without a process: the same library the {@code nft} binary is a thin wrapper of (libnftables, part
 * of Debian's nftables package), called through the JDK's foreign-function API.
 *
 * <p>Why: a farm membership change is one small nft transaction, but starting the {@code nft} process from a busy
 * JVM took 84–619 ms on this 2-core machine (farm recovery bench, load ≈ 10; the same transaction from a shell:
 * 26–73 ms), and the target from "node declared dead" to "its buckets owned elsewhere" is 100 ms. In-process, the
 * transaction is a few netlink messages. Semantics are the binary's: a script is one atomic transaction, errors
 * come back as the text nft prints, {@code -j} gives JSON. It acts in the calling process's network namespace,
 * exactly like an {@code nft} child would.
 *
 * <p>Calls are serialised (one context per call, under one lock): older libnftables versions keep global state.
 */
public final class LibNftables {
    private static final Logger LOG = LoggerFactory.getLogger(LibNftables.class);
    /** {@code NFT_CTX_DEFAULT}. */
    private static final int CTX_DEFAULT = 0;
    /** {@code NFT_CTX_OUTPUT_JSON} (libnftables.h: 1 << 4). */
    private static final int OUTPUT_JSON = 1 << 4;

    private static final Optional<LibNftables> INSTANCE = load();

    private final MethodHandle ctxNew;
    private final MethodHandle ctxFree;
    private final MethodHandle setOutputFlags;
    private final MethodHandle bufferOutput;
    private final MethodHandle bufferError;
    private final MethodHandle getOutput;
    private final MethodHandle getError;
    private final MethodHandle runFromBuffer;

    /** What one call did: nft's exit status (0 = done), its output and its error text. */
    public record Result(int status, String stdout, String stderr) {
    }

    private LibNftables(SymbolLookup lib, Linker linker) {
        ctxNew = handle(lib, linker, "nft_ctx_new", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        ctxFree = handle(lib, linker, "nft_ctx_free", FunctionDescriptor.ofVoid(ADDRESS));
        setOutputFlags = handle(lib, linker, "nft_ctx_output_set_flags", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
        bufferOutput = handle(lib, linker, "nft_ctx_buffer_output", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        bufferError = handle(lib, linker, "nft_ctx_buffer_error", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        getOutput = handle(lib, linker, "nft_ctx_get_output_buffer", FunctionDescriptor.of(ADDRESS, ADDRESS));
        getError = handle(lib, linker, "nft_ctx_get_error_buffer", FunctionDescriptor.of(ADDRESS, ADDRESS));
        runFromBuffer = handle(lib, linker, "nft_run_cmd_from_buffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    }

    /** The library, when this machine has it (else callers run the {@code nft} binary). */
    public static Optional<LibNftables> get() {
        return INSTANCE;
    }

    private static Optional<LibNftables> load() {
        if (Boolean.getBoolean("steadfast.nft.exec")) {
            return Optional.empty(); // forced to the binary (comparisons, diagnosis)
        }
        try {
            SymbolLookup lib = SymbolLookup.libraryLookup("libnftables.so.1", Arena.global());
            return Optional.of(new LibNftables(lib, Linker.nativeLinker()));
        } catch (Throwable e) {
            LOG.debug("libnftables not usable ({}): nft runs as a process", e.toString());
            return Optional.empty();
        }
    }

    private static MethodHandle handle(SymbolLookup lib, Linker linker, String name, FunctionDescriptor fd) {
        return linker.downcallHandle(lib.find(name).orElseThrow(() -> new IllegalStateException("no " + name)), fd);
    }

    /**
     * Runs {@code nft ARGS} in-process when the arguments are ones this class understands ({@code -j}, {@code -f -}
     * with {@code stdin}, or a command such as {@code list table netdev t}); empty otherwise (run the binary).
     */
    public Optional<Result> run(List<String> args, String stdin) {
        boolean json = false;
        String command = null;
        int i = 0;
        for (; i < args.size() && args.get(i).startsWith("-"); i++) {
            switch (args.get(i)) {
                case "-j", "--json" -> json = true;
                case "-f", "--file" -> {
                    if (i + 1 >= args.size() || !args.get(i + 1).equals("-") || stdin == null) {
                        return Optional.empty();
                    }
                    command = stdin;
                    i++;
                }
                default -> {
                    return Optional.empty();
                }
            }
        }
        if (command == null) {
            if (i >= args.size()) {
                return Optional.empty();
            }
            command = String.join(" ", args.subList(i, args.size()));
        } else if (i < args.size()) {
            return Optional.empty();
        }
        return Optional.of(call(command, json));
    }

    private static synchronized Result callLocked(LibNftables lib, String command, boolean json) throws Throwable {
        MemorySegment ctx = (MemorySegment) lib.ctxNew.invokeExact(CTX_DEFAULT);
        if (ctx.equals(MemorySegment.NULL)) {
            return new Result(1, "", "nft_ctx_new failed");
        }
        try (Arena arena = Arena.ofConfined()) {
            if (json) {
                lib.setOutputFlags.invokeExact(ctx, OUTPUT_JSON);
            }
            int o = (int) lib.bufferOutput.invokeExact(ctx);
            int e = (int) lib.bufferError.invokeExact(ctx);
            int status = (int) lib.runFromBuffer.invokeExact(ctx, arena.allocateFrom(command));
            String out = text((MemorySegment) lib.getOutput.invokeExact(ctx));
            String err = text((MemorySegment) lib.getError.invokeExact(ctx));
            return new Result(status == 0 ? 0 : 1, out, err);
        } finally {
            lib.ctxFree.invokeExact(ctx);
        }
    }

    private Result call(String command, boolean json) {
        try {
            return callLocked(this, command, json);
        } catch (Throwable t) {
            return new Result(1, "", "libnftables: " + t);
        }
    }

    private static String text(MemorySegment cString) {
        return cString.equals(MemorySegment.NULL) ? "" : cString.reinterpret(Long.MAX_VALUE).getString(0);
    }
}
