package io.steadfast.bus.auth;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BusMacTest {
    final BusMac mac = new BusMac(BusKeys.busKey(BusKeysTest.SECRET));
    final BusMac other = new BusMac(BusKeys.busKey("another-secret-0123456789abcdef".getBytes()));

    BusMac.Signature signed(BusMac m, String node, long seq, String address, boolean send, Object body) {
        BusMac.Signature s = new BusMac.Signature(node, "node", 0x1234_5678_9abc_def0L, 1_700_000_000_000L, seq, null);
        return new BusMac.Signature(node, "node", s.boot(), s.bootTime(), seq, m.mac(s, address, send, null, body));
    }

    @Test
    void aSignatureSurvivesItsHeaderAndCoversEveryField() {
        JsonObject body = new JsonObject().put("v", 1).put("node", "node1").put("upToDate", true).put("x", 0.1)
                .put("big", Long.MAX_VALUE).put("text", "é ü \" \\ \n");
        BusMac.Signature s = signed(mac, "node1", 7, "sf.events.replication", false, body);
        BusMac.Signature parsed = BusMac.Signature.parse(s.header()).orElseThrow();
        assertThat(parsed.header()).isEqualTo(s.header());
        // the receiver checks the body it decoded from the wire
        JsonObject received = new JsonObject(body.toBuffer());
        assertThat(mac.valid(parsed, "sf.events.replication", false, null, received)).isTrue();

        assertThat(mac.valid(parsed, "sf.events.replication", false, null, received.copy().put("upToDate", false)))
                .as("body").isFalse();
        assertThat(mac.valid(parsed, "sf.events.vip", false, null, received)).as("address").isFalse();
        assertThat(mac.valid(parsed, "sf.events.replication", true, null, received)).as("send/publish").isFalse();
        assertThat(mac.valid(parsed, "sf.events.replication", false, "__vertx.reply.1", received)).as("reply to")
                .isFalse();
        BusMac.Signature otherSeq = new BusMac.Signature("node1", "node", s.boot(), s.bootTime(), 8, s.mac());
        assertThat(mac.valid(otherSeq, "sf.events.replication", false, null, received)).as("counter").isFalse();
        BusMac.Signature otherNode = new BusMac.Signature("node2", "node", s.boot(), s.bootTime(), 7, s.mac());
        assertThat(mac.valid(otherNode, "sf.events.replication", false, null, received)).as("sender").isFalse();
        assertThat(other.valid(parsed, "sf.events.replication", false, null, received)).as("other secret").isFalse();
    }

    @Test
    void everyBodyTypeIsSignedByItsContent() {
        Object[][] pairs = {
                {new JsonArray().add(1), new JsonArray().add(2)}, {"a", "b"}, {Buffer.buffer("a"), Buffer.buffer("b")},
                {new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 409, "x"),
                        new ReplyException(ReplyFailure.RECIPIENT_FAILURE, 409, "y")}, {1L, 2L}, {null, ""}};
        for (Object[] p : pairs) {
            BusMac.Signature s = signed(mac, "node1", 1, "x", true, p[0]);
            assertThat(mac.valid(s, "x", true, null, p[0])).isTrue();
            assertThat(mac.valid(s, "x", true, null, p[1])).as("%s vs %s", p[0], p[1]).isFalse();
        }
    }

    @Test
    void malformedHeadersAreRefused() {
        assertThat(BusMac.Signature.parse(null)).isEmpty();
        assertThat(BusMac.Signature.parse("")).isEmpty();
        assertThat(BusMac.Signature.parse("v1 node1 node 123 1 1 AAAA")).isEmpty();
        assertThat(BusMac.Signature.parse("v2 node1 node 0000000000000001 1 1 "
                + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).isEmpty();
        assertThat(BusMac.Signature.parse("v1 node1 node 0000000000000001 1 0 "
                + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).as("counters start at 1").isEmpty();
        assertThat(BusMac.Signature.parse("v1 node1 node 0000000000000001 1 1 "
                + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).isPresent();
        assertThat(BusMac.Signature.parse("v1 node1 node 0000000000000001 1 1 " + "A".repeat(600))).isEmpty();
    }
}
