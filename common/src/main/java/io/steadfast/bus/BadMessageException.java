package io.steadfast.bus;

/** A bus message that cannot be parsed or is not allowed; the receiver replies {@link ErrorCode#BAD_MESSAGE}. */
public class BadMessageException extends RuntimeException {
    public BadMessageException(String message) {
        super(message);
    }
}
