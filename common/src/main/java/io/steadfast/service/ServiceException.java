package io.steadfast.service;

import io.steadfast.bus.ErrorCode;

/** A refusal with a code the requester (and the console's HTTP client) sees: NOT_FOUND, CONFLICT, … */
public class ServiceException extends RuntimeException {
    private final ErrorCode code;

    public ServiceException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
