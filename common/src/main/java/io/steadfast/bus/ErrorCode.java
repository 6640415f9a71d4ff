package io.steadfast.bus;

import io.vertx.core.eventbus.ReplyException;

/**
 * Failure codes used in event-bus failure replies ({@code message.fail(code.code(), text)}). They mirror the HTTP
 * statuses the console maps them to, so a failure travels unchanged from a service to an HTTP client.
 */
public enum ErrorCode {
    BAD_MESSAGE(400, "bad-message"),
    NOT_FOUND(404, "not-found"),
    CONFLICT(409, "conflict"),
    INTERNAL(500, "internal"),
    UNAVAILABLE(503, "unavailable"),
    TIMEOUT(504, "timeout");

    private final int code;
    private final String id;

    ErrorCode(int code, String id) {
        this.code = code;
        this.id = id;
    }

    public int code() {
        return code;
    }

    /** The short name used in JSON errors: {@code {"error": "<id>", "message": "…"}}. */
    public String id() {
        return id;
    }

    public static ErrorCode of(int code) {
        for (ErrorCode c : values()) {
            if (c.code == code) {
                return c;
            }
        }
        return INTERNAL;
    }

    /** The code of a failed request: a service's failure reply, or TIMEOUT / UNAVAILABLE from the bus itself. */
    public static ErrorCode of(Throwable failure) {
        if (failure instanceof ReplyException re) {
            return switch (re.failureType()) {
                case TIMEOUT -> TIMEOUT;
                case NO_HANDLERS -> UNAVAILABLE;
                case RECIPIENT_FAILURE -> of(re.failureCode());
                default -> INTERNAL;
            };
        }
        return INTERNAL;
    }
}
