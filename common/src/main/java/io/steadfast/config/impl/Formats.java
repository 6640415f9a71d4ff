package io.steadfast.config.impl;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Value formats shared by the records' parsers and the validator. Pure functions, no state. */
public final class Formats {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
    private static final Pattern IFACE = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
    private static final Pattern MAC = Pattern.compile("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

    public static final String DURATION_HINT = "use e.g. 250ms, 2s, 1m, 24h";
    public static final String NAME_HINT = "letters, digits, - and _, starting with a letter or digit, at most 63";

    private Formats() {
    }

    /** {@code \d+(ms|s|m|h)}; a unit is always required so that "2" is never silently seconds or millis. */
    public static Optional<Duration> duration(String text) {
        Matcher m = DURATION.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        return Optional.of(switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        });
    }

    /** Writes a duration back in the config syntax, largest exact unit. */
    public static String duration(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        if (ms % 1000 == 0) {
            return ms / 1000 + "s";
        }
        return ms + "ms";
    }

    /**
     * Strict dotted quad: four decimal octets 0..255 without leading zeros (some tools read "010" as octal,
     * so it is refused rather than guessed). Returns the 4 bytes.
     */
    public static Optional<byte[]> ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        byte[] out = new byte[4];
        for (int i = 0; i < 4; i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 3 || (p.length() > 1 && p.charAt(0) == '0')) {
                return Optional.empty();
            }
            for (int j = 0; j < p.length(); j++) {
                if (p.charAt(j) < '0' || p.charAt(j) > '9') {
                    return Optional.empty();
                }
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                return Optional.empty();
            }
            out[i] = (byte) v;
        }
        return Optional.of(out);
    }

    /** An http:// or https:// URL with a host. */
    public static boolean isHttpUrl(String text) {
        try {
            java.net.URI u = new java.net.URI(text);
            return ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null;
        } catch (java.net.URISyntaxException e) {
            return false;
        }
    }

    public static boolean isIpv4(String text) {
        return ipv4(text).isPresent();
    }

    /** Linux limits interface names to 15 bytes (IFNAMSIZ - 1); we also keep to characters safe in nft and ip. */
    public static boolean isInterfaceName(String text) {
        return IFACE.matcher(text).matches() && !text.equals(".") && !text.equals("..");
    }

    public static boolean isMac(String text) {
        return MAC.matcher(text).matches();
    }

    /** Locally administered (bit 1 of the first octet) and unicast (bit 0 clear). */
    public static boolean isLocalUnicastMac(String text) {
        if (!isMac(text)) {
            return false;
        }
        int first = Integer.parseInt(text.substring(0, 2), 16);
        return (first & 0x02) != 0 && (first & 0x01) == 0;
    }

    /** Node, module, checker, process and lan names: they end up in event-bus addresses and nft table names. */
    public static boolean isName(String text) {
        return NAME.matcher(text).matches();
    }

    public static int port(String text) {
        return Integer.parseInt(text);
    }

    /** YAML spelling of an enum constant: lower case, e.g. ON_ADDR → on_addr. */
    public static String yamlName(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }
}
