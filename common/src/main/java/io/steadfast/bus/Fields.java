package io.steadfast.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Strict readers for message fields: each throws {@link BadMessageException} naming the field, so that every
 * {@code fromJson} rejects garbage with a clear reason instead of a NullPointerException or ClassCastException.
 */
public final class Fields {
    private Fields() {
    }

    public static JsonObject object(Object body) {
        if (body instanceof JsonObject json) {
            return json;
        }
        throw new BadMessageException("body is not a JSON object");
    }

    /** Checks the version field: absent or newer than this code knows is an error. */
    public static void version(JsonObject json) {
        Object v = json.getValue("v");
        if (!(v instanceof Number n) || n.intValue() < 1 || n.intValue() > BusMessage.VERSION) {
            throw new BadMessageException("v: unsupported message version " + v + " (expected 1.." + BusMessage.VERSION + ")");
        }
    }

    public static String string(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v instanceof String s && !s.isEmpty()) {
            return s;
        }
        throw new BadMessageException(field + ": expected a non-empty string, got " + describe(v));
    }

    public static Optional<String> optString(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof String s) {
            return Optional.of(s);
        }
        throw new BadMessageException(field + ": expected a string, got " + describe(v));
    }

    public static long longValue(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v instanceof Number n) {
            return n.longValue();
        }
        throw new BadMessageException(field + ": expected a number, got " + describe(v));
    }

    public static long optLong(JsonObject json, String field, long dflt) {
        return json.getValue(field) == null ? dflt : longValue(json, field);
    }

    public static int intValue(JsonObject json, String field) {
        long v = longValue(json, field);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new BadMessageException(field + ": out of range: " + v);
        }
        return (int) v;
    }

    public static boolean bool(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v instanceof Boolean b) {
            return b;
        }
        throw new BadMessageException(field + ": expected true or false, got " + describe(v));
    }

    public static boolean optBool(JsonObject json, String field, boolean dflt) {
        return json.getValue(field) == null ? dflt : bool(json, field);
    }

    public static JsonObject obj(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v instanceof JsonObject o) {
            return o;
        }
        throw new BadMessageException(field + ": expected an object, got " + describe(v));
    }

    public static <E extends Enum<E>> E enumValue(JsonObject json, String field, Class<E> type) {
        String s = string(json, field);
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(s)) {
                return e;
            }
        }
        throw new BadMessageException(field + ": \"" + s + "\" is not one of " + List.of(type.getEnumConstants()));
    }

    public static List<String> strings(JsonObject json, String field) {
        return list(json, field, v -> {
            if (v instanceof String s) {
                return s;
            }
            throw new BadMessageException(field + ": expected strings, got " + describe(v));
        });
    }

    public static <T> List<T> list(JsonObject json, String field, Function<Object, T> item) {
        Object v = json.getValue(field);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof JsonArray array)) {
            throw new BadMessageException(field + ": expected a list, got " + describe(v));
        }
        List<T> out = new ArrayList<>(array.size());
        for (Object o : array) {
            out.add(item.apply(o));
        }
        return List.copyOf(out);
    }

    public static <T> List<T> objects(JsonObject json, String field, Function<JsonObject, T> item) {
        return list(json, field, o -> item.apply(object(o)));
    }

    private static String describe(Object v) {
        return v == null ? "nothing" : v.getClass().getSimpleName() + " " + v;
    }
}
