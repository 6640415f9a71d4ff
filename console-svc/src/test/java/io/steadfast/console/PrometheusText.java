package io.steadfast.console;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A strict reader of the Prometheus text format for the tests (the console's {@code /metrics}, here and against a
 * lab agent in the node module): every line must be blank, a {@code # HELP}/{@code # TYPE} comment or a valid
 * sample. Samples are keyed {@code name{label=value, …}} with the labels sorted, e.g.
 * {@code steadfast_module_state{module=db, node=node1, state=PRIM}}.
 */
public final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\]|\\\\.)*\",?)*)\\})? (\\S+)( \\d+)?");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private PrometheusText() {
    }

    /** Parses {@code text}; an assertion fails on the first line that is not valid. */
    public static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("prometheus line: " + line).isTrue();
            StringBuilder key = new StringBuilder(m.group(1));
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                Map<String, String> labels = new TreeMap<>();
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
                key.append(labels);
            }
            String v = m.group(4);
            samples.put(key.toString(), v.equals("NaN") ? Double.NaN : v.equals("+Inf") ? Double.POSITIVE_INFINITY
                    : v.equals("-Inf") ? Double.NEGATIVE_INFINITY : Double.parseDouble(v));
        }
        return samples;
    }
}
