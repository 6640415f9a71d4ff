package io.steadfast.service;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CoalescingTest {
    @Test
    void runsOneAtATimeAndOnlyTheLatestOfWhatArrivedMeanwhile() {
        List<Integer> ran = new ArrayList<>();
        List<Promise<Void>> running = new ArrayList<>();
        ServiceVerticle.Coalescing<Integer> c = new ServiceVerticle.Coalescing<>(i -> {
            ran.add(i);
            Promise<Void> p = Promise.promise();
            running.add(p);
            return p.future();
        });
        c.submit(1);
        c.submit(2);
        c.submit(3);
        assertThat(ran).containsExactly(1);
        running.getFirst().complete();
        assertThat(ran).containsExactly(1, 3);
        running.get(1).fail("kernel said no");
        c.submit(4);
        assertThat(ran).containsExactly(1, 3, 4);
    }

    @Test
    void aTaskThatThrowsDoesNotStopTheNextOnes() {
        List<Integer> ran = new ArrayList<>();
        ServiceVerticle.Coalescing<Integer> c = new ServiceVerticle.Coalescing<>(i -> {
            ran.add(i);
            if (i == 1) {
                throw new IllegalStateException("boom");
            }
            return Future.succeededFuture();
        });
        c.submit(1);
        c.submit(2);
        assertThat(ran).containsExactly(1, 2);
    }
}
