package io.steadfast.lbfilter.impl;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A module's filter table as the kernel has it, read from {@code nft -j list table netdev sf_<module>}: its chains
 * with their rule counts, and the {@code owned} map's elements (bucket → verdict) with their packet counters.
 */
public record KernelTable(Map<String, Integer> chainRules, boolean hasMap, Map<Integer, FilterScript.Verdict> verdicts,
                          Map<Integer, Long> packets) {

    /** @throws IllegalArgumentException when the text is not nft JSON */
    public static KernelTable parse(String json) {
        JsonArray items;
        try {
            items = new JsonObject(json).getJsonArray("nftables");
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not nft JSON: " + e.getMessage(), e);
        }
        if (items == null) {
            throw new IllegalArgumentException("not nft JSON: no \"nftables\" array");
        }
        Map<String, Integer> chains = new LinkedHashMap<>();
        Map<Integer, FilterScript.Verdict> verdicts = new TreeMap<>();
        Map<Integer, Long> packets = new TreeMap<>();
        boolean hasMap = false;
        for (Object o : items) {
            if (!(o instanceof JsonObject item)) {
                continue;
            }
            if (item.getJsonObject("chain") != null) {
                chains.putIfAbsent(item.getJsonObject("chain").getString("name"), 0);
            } else if (item.getJsonObject("rule") != null) {
                chains.merge(item.getJsonObject("rule").getString("chain"), 1, Integer::sum);
            } else if (item.getJsonObject("map") != null
                    && FilterScript.MAP.equals(item.getJsonObject("map").getString("name"))) {
                hasMap = true;
                JsonArray elems = item.getJsonObject("map").getJsonArray("elem", new JsonArray());
                for (Object e : elems) {
                    element((JsonArray) e, verdicts, packets);
                }
            }
        }
        return new KernelTable(chains, hasMap, verdicts, packets);
    }

    /** {@code [{"elem": {"val": 3, "counter": {"packets": 1, …}}}, {"accept": null}]} or {@code [3, {"drop": null}]}. */
    private static void element(JsonArray pair, Map<Integer, FilterScript.Verdict> verdicts,
                                Map<Integer, Long> packets) {
        Object key = pair.getValue(0);
        JsonObject verdict = pair.getJsonObject(1);
        int bucket;
        long count = 0;
        if (key instanceof Number n) {
            bucket = n.intValue();
        } else {
            JsonObject elem = ((JsonObject) key).getJsonObject("elem");
            bucket = elem.getInteger("val");
            JsonObject counter = elem.getJsonObject("counter");
            if (counter != null) {
                count = counter.getLong("packets", 0L);
            }
        }
        FilterScript.Verdict v = verdict(verdict);
        if (v != null) { // an element we never write: left out, so that the reconciler rewrites it
            verdicts.put(bucket, v);
        }
        packets.put(bucket, count);
    }

    /** {@code {"accept": null}}, {@code {"drop": null}}, {@code {"goto": {"target": "own"}}}; null otherwise. */
    static FilterScript.Verdict verdict(JsonObject v) {
        if (v.containsKey("accept")) {
            return FilterScript.Verdict.ACCEPT;
        }
        if (v.containsKey("drop")) {
            return FilterScript.Verdict.DROP;
        }
        JsonObject go = v.getJsonObject("goto");
        String target = go == null ? null : go.getString("target");
        if (target == null) {
            return null;
        }
        return switch (target) {
            case FilterScript.OWN -> FilterScript.Verdict.OWN;
            case FilterScript.FRESH -> FilterScript.Verdict.FRESH;
            case FilterScript.DRAIN -> FilterScript.Verdict.DRAIN;
            default -> null;
        };
    }

    /** True when the structure is what {@code spec} generates: only the elements may still differ. */
    public boolean structureMatches(FilterSpec spec) {
        Map<String, Integer> want = new LinkedHashMap<>();
        want.put(FilterScript.chainName(spec), spec.rules().size());
        if (spec.handover()) {
            FilterScript.handoverChains().forEach((name, rules) -> want.put(name, rules.size()));
        }
        return hasMap && new java.util.HashMap<>(chainRules).equals(want);
    }
}
