package io.steadfast.lab;

/** A lab operation failed: a command exited non-zero, timed out, or the topology is inconsistent. */
public class LabException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
