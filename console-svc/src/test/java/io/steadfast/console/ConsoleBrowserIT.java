package io.steadfast.console;

import io.steadfast.api.Readiness;
import io.steadfast.api.State;
import io.steadfast.api.HeartbeatApi.ModuleState;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.WebDriver;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web page in headless Chromium (Debian chromium + chromedriver) against a real ConsoleVerticle with stand-in
 * services ({@link StandInCluster}): it signs in (a session token in memory: the password is in no storage), shows
 * the states, a swap asks for confirmation naming the consequence, and the new roles appear without a reload; a
 * monitor reads but may not command; signing out ends the stream. Also measures state publication → on screen.
 * Screenshots: target/browser/*.png.
 */
class ConsoleBrowserIT {
    static final Path ARTIFACTS = Path.of("target", "browser");
    static final Duration WAIT = Duration.ofSeconds(10);

    static StandInCluster cluster;
    static Browser browser;
    static ChromeDriver driver;

    @BeforeAll
    static void start() throws Exception {
        cluster = StandInCluster.start(true, false);
        browser = Browser.start(ARTIFACTS);
        driver = browser.driver();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** Bounded polling: {@link Browser#waitFor}, 10 s. */
    interface Wait {
        void until(java.util.function.Predicate<WebDriver> condition) throws InterruptedException;
    }

    private Wait waitFor() {
        return condition -> browser.waitFor(WAIT, "condition", condition);
    }

    private String cellState(String module, String node) {
        return browser.cellState(module, node);
    }

    private void screenshot(String name) throws Exception {
        browser.screenshot(name);
    }

    /** A fresh page: it asks to sign in before showing anything. */
    private void open(String user, String password) throws Exception {
        driver.get(cluster.url() + "/");
        browser.signIn(user, password, WAIT);
    }

    private Object js(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    @Test
    void seesStatesSwapsAfterConfirmationAndSeesTheNewRolesWithoutReloading() throws Exception {
        driver.manage().window().setSize(new Dimension(1280, 900));
        open("cy", "cy-pw");
        waitFor().until(d -> "PRIM".equals(cellState("db", "node1")));
        assertThat(cellState("db", "node2")).isEqualTo("SECOND");
        assertThat(driver.findElement(By.id("cell-db-node1")).getAttribute("class")).contains("green");
        assertThat(cellState("web", "node3")).isEqualTo("UNKNOWN");
        assertThat(driver.findElement(By.id("cell-web-node3")).getAttribute("class")).contains("grey");
        // the page must not reload: mark it, and check the mark survives
        ((JavascriptExecutor) driver).executeScript("window.sfNoReload = 42;");
        screenshot("1-before-swap");

        WebElement cell = driver.findElement(By.id("cell-db-node1"));
        cell.findElement(By.tagName("summary")).click();
        cell.findElement(By.cssSelector("button[data-action='swap']")).click();
        WebElement text = driver.findElement(By.id("confirm-text"));
        waitFor().until(d -> d.findElement(By.id("confirm")).isDisplayed());
        assertThat(text.getText()).contains("swap moves the application db to node2");
        screenshot("2-confirm");
        driver.findElement(By.id("confirm-ok")).click();

        waitFor().until(d -> "PRIM".equals(cellState("db", "node2")) && "SECOND".equals(cellState("db", "node1")));
        assertThat(((JavascriptExecutor) driver).executeScript("return window.sfNoReload;")).isEqualTo(42L);
        assertThat(cluster.commands.getLast().module()).isEqualTo("db");
        assertThat(driver.findElement(By.id("who")).getText()).contains("cy");
        screenshot("3-after-swap");
    }

    /** State publication (stand-in heartbeat) → the cell shows it; the figure for RESULTS.md. */
    @Test
    void measuresPublicationToScreenLatency() throws Exception {
        open("mo", "mo-pw");
        waitFor().until(d -> cellState("web", "node2").equals("UP"));
        JavascriptExecutor js = (JavascriptExecutor) driver;
        List<Long> latencies = new ArrayList<>();
        int rounds = 20;
        for (int i = 0; i < rounds; i++) {
            State next = i % 2 == 0 ? State.WAIT : State.UP;
            ModuleState published = cluster.publish("node2", "web", next,
                    next == State.UP ? Readiness.READY : Readiness.TRANSIENT, "round " + i);
            waitFor().until(d -> next.name().equals(cellState("web", "node2")));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> rendered = (List<Map<String, Object>>) js.executeScript(
                    "return window.sfRendered.filter(r => r.module === 'web' && r.node === 'node2' && r.since === "
                            + published.since() + ");");
            assertThat(rendered).isNotEmpty();
            latencies.add(((Number) rendered.getFirst().get("renderedAt")).longValue() - published.since());
        }
        latencies.sort(Long::compare);
        long p50 = latencies.get(rounds / 2);
        long max = latencies.getLast();
        String line = "publication -> page, " + rounds + " rounds: p50 " + p50 + " ms, max " + max + " ms, all "
                + latencies;
        System.out.println("[RESULT] " + line);
        Files.writeString(ARTIFACTS.resolve("latency.txt"), line + "\n");
        assertThat(latencies).allMatch(l -> l >= 0);
    }

    @Test
    void showsResyncProgressLogLinesAndCheckersLive() throws Exception {
        open("mo", "mo-pw");
        waitFor().until(d -> d.findElement(By.id("checkers")).getText().contains("db-port"));
        waitFor().until(d -> d.findElement(By.id("log")).getText().contains("node2 line 2"));
        String secondary = cellState("db", "node1").equals("SECOND") ? "node1" : "node2";
        cluster.publishResync(secondary, "db", 3L << 20, 4L << 20);
        waitFor().until(d -> d.findElement(By.id("cell-db-" + secondary)).getText().contains("resync 75%"));
        assertThat(driver.findElement(By.id("cell-db-" + secondary)).getText()).contains("ETA");
        cluster.vertx.eventBus().publish(io.steadfast.api.CheckerApi.MODULE_LOG,
                new io.steadfast.api.CheckerApi.LogLine("node1", "db", System.currentTimeMillis(),
                        "start_prim: started pid 4242").toJson());
        waitFor().until(d -> d.findElement(By.id("log")).getText().contains("started pid 4242"));
        cluster.vertx.eventBus().publish(io.steadfast.api.CheckerApi.CHECKER_EVENTS,
                new io.steadfast.api.CheckerApi.CheckerStatus("node2", "db", "db-port",
                        io.steadfast.api.CheckerApi.Status.DOWN, "connection refused", System.currentTimeMillis())
                        .toJson());
        waitFor().until(d -> d.findElement(By.id("checkers")).getText().contains("connection refused"));
        assertThat(driver.findElement(By.id("timeline")).findElements(By.cssSelector("svg rect")).size())
                .isGreaterThan(2);
        screenshot("5-resync-log-checkers");
        cluster.publishResync(secondary, "db", 4L << 20, 4L << 20);
    }

    @Test
    void fitsAPhoneSizedScreen() throws Exception {
        driver.manage().window().setSize(new Dimension(390, 844));
        try {
            open("mo", "mo-pw");
            waitFor().until(d -> !cellState("db", "node1").isEmpty());
            Long scrollWidth = (Long) ((JavascriptExecutor) driver).executeScript(
                    "return document.documentElement.scrollWidth;");
            Long clientWidth = (Long) ((JavascriptExecutor) driver).executeScript(
                    "return document.documentElement.clientWidth;");
            assertThat(scrollWidth).as("no horizontal scrolling on a phone").isLessThanOrEqualTo(clientWidth);
            assertThat(driver.findElement(By.id("timeline")).findElements(By.tagName("svg"))).hasSize(1);
            screenshot("4-phone");
        } finally {
            driver.manage().window().setSize(new Dimension(1280, 900));
        }
    }

    @Test
    void signsInWithATokenInMemoryNeverStoresThePasswordAndSignsOut() throws Exception {
        driver.manage().window().setSize(new Dimension(1280, 900));
        driver.get(cluster.url() + "/");
        waitFor().until(d -> d.findElement(By.id("login")).isDisplayed());
        assertThat(driver.findElements(By.cssSelector("[data-state]"))).as("nothing shown before signing in").isEmpty();
        // a wrong password: the dialog stays, saying why
        driver.findElement(By.id("login-user")).sendKeys("mo");
        driver.findElement(By.id("login-password")).sendKeys("wrong-pw");
        driver.findElement(By.id("login-ok")).click();
        waitFor().until(d -> d.findElement(By.id("login-error")).getText().contains("wrong password"));
        assertThat(driver.findElement(By.id("login")).isDisplayed()).isTrue();
        driver.findElement(By.id("login-password")).sendKeys("mo-pw");
        driver.findElement(By.id("login-ok")).click();
        waitFor().until(d -> browser.live() && d.findElement(By.id("who")).getText().contains("mo (monitor)"));
        waitFor().until(d -> !cellState("db", "node1").isEmpty());

        String storage = String.valueOf(js("const all = {};"
                + "for (const s of [sessionStorage, localStorage]) for (let i = 0; i < s.length; i++) "
                + "all[s.key(i)] = s.getItem(s.key(i)); return JSON.stringify(all) + document.cookie;"));
        assertThat(storage).doesNotContain("mo-pw").doesNotContain("sft_");
        assertThat(js("return sessionStorage.length + localStorage.length;")).isEqualTo(0L);
        assertThat(driver.findElement(By.id("login-password")).getAttribute("value")).isEmpty();
        screenshot("6-signed-in-monitor");

        // a monitor may look but not command
        int before = cluster.commands.size();
        WebElement cell = driver.findElement(By.id("cell-db-node1"));
        cell.findElement(By.tagName("summary")).click();
        cell.findElement(By.cssSelector("button[data-action='restart']")).click();
        waitFor().until(d -> d.findElement(By.id("confirm")).isDisplayed());
        driver.findElement(By.id("confirm-ok")).click();
        waitFor().until(d -> d.findElement(By.id("toast")).getText().contains("forbidden"));
        assertThat(cluster.commands).hasSize(before);

        // signing out: the stream ends, the page asks to sign in again
        waitFor().until(d -> cluster.console.eventClients() > 0);
        int streams = cluster.console.eventClients();
        driver.findElement(By.id("login-btn")).click();
        waitFor().until(d -> d.findElement(By.id("login")).isDisplayed());
        waitFor().until(d -> cluster.console.eventClients() < streams);
        assertThat(driver.findElement(By.id("live")).getText()).isNotEqualTo("live");
        assertThat(driver.findElements(By.cssSelector("[data-state]"))).isEmpty();
        driver.findElement(By.cssSelector("#login button[value='cancel']")).click();
    }
}
