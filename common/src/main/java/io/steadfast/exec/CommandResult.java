package io.steadfast.exec;

import java.util.List;

/** What a command did. {@code exitCode} is -1 when it timed out (and was killed) or could not start. */
public record CommandResult(List<String> argv, int exitCode, String stdout, String stderr, boolean timedOut) {
    public boolean ok() {
        return exitCode == 0 && !timedOut;
    }

    /** One line for logs and failure replies. */
    public String describe() {
        if (timedOut) {
            return String.join(" ", argv) + ": timed out";
        }
        String err = stderr.isBlank() ? stdout.strip() : stderr.strip();
        return String.join(" ", argv) + ": exit " + exitCode + (err.isEmpty() ? "" : ": " + firstLine(err));
    }

    public static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
