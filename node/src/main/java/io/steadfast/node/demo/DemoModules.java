package io.steadfast.node.demo;

import io.steadfast.lab.Lab;

/** The modules the demo runs (the mirror and the farm join as their services land). */
final class DemoModules {
    private DemoModules() {
    }

    static String yaml(Lab lab) {
        return "modules: []\n";
    }
}
