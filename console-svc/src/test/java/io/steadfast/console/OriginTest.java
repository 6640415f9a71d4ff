package io.steadfast.console;

import io.steadfast.console.impl.EventStream;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OriginTest {
    @Test
    void onlyTheConsolesOwnOriginPasses() {
        assertThat(ConsoleVerticle.sameOrigin("http://10.0.0.1:9400", "10.0.0.1:9400")).isTrue();
        assertThat(ConsoleVerticle.sameOrigin("https://console.example", "console.example:443")).isTrue();
        assertThat(ConsoleVerticle.sameOrigin("https://console.example", "console.example")).isTrue();
        assertThat(ConsoleVerticle.sameOrigin("http://evil.example", "10.0.0.1:9400")).isFalse();
        assertThat(ConsoleVerticle.sameOrigin("http://10.0.0.1:9401", "10.0.0.1:9400")).isFalse();
        assertThat(ConsoleVerticle.sameOrigin("null", "10.0.0.1:9400")).isFalse();
        assertThat(ConsoleVerticle.sameOrigin("http://10.0.0.1:9400", null)).isFalse();
        assertThat(ConsoleVerticle.sameOrigin("::not a uri", "x")).isFalse();
    }

    @Test
    void anEventIsOneSseFrame() {
        String frame = EventStream.frame("state", new JsonObject().put("reason", "line1\nline2"));
        assertThat(frame).isEqualTo("event: state\ndata: {\"reason\":\"line1\\nline2\"}\n\n");
    }
}
