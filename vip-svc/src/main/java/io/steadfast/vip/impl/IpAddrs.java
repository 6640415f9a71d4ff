package io.steadfast.vip.impl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/** Reads {@code ip -j addr} output. */
public final class IpAddrs {
    private IpAddrs() {
    }

    /**
     * Whether {@code iface} carries {@code addr/prefix}.
     *
     * @throws IllegalArgumentException when the text is not {@code ip -j} JSON
     */
    public static boolean has(String json, String iface, String addr, int prefix) {
        JsonArray links;
        try {
            links = new JsonArray(json.isBlank() ? "[]" : json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not ip -j output: " + e.getMessage(), e);
        }
        for (Object l : links) {
            if (!(l instanceof JsonObject link) || !iface.equals(link.getString("ifname"))) {
                continue;
            }
            for (Object a : link.getJsonArray("addr_info", new JsonArray())) {
                if (a instanceof JsonObject info && "inet".equals(info.getString("family"))
                        && addr.equals(info.getString("local")) && info.getInteger("prefixlen", -1) == prefix) {
                    return true;
                }
            }
        }
        return false;
    }
}
