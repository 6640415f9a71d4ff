package io.steadfast.console;

import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Headless Chromium driven by Selenium (Debian {@code chromium} + {@code chromium-driver}, same version) with a
 * fresh profile, for the browser tests of the console page: here and, through the test-jar, against a lab cluster
 * in the node module. Also the page's own vocabulary (cells {@code cell-<module>-<node>} with {@code data-state}).
 */
public final class Browser implements AutoCloseable {
    public static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    public static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    private final ChromeDriver driver;
    private final Path profile;
    private final Path artifacts;

    private Browser(ChromeDriver driver, Path profile, Path artifacts) {
        this.driver = driver;
        this.profile = profile;
        this.artifacts = artifacts;
    }

    /** Starts the browser; screenshots go to {@code artifacts} (created). */
    public static Browser start(Path artifacts) throws IOException {
        assertThat(CHROMIUM).as("Debian package chromium").exists();
        assertThat(CHROMEDRIVER).as("Debian package chromium-driver").exists();
        Files.createDirectories(artifacts);
        Path profile = Files.createTempDirectory("sf-chromium");
        try {
            ChromeOptions options = new ChromeOptions();
            options.setBinary(CHROMIUM.toFile());
            options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--user-data-dir=" + profile, "--window-size=1280,900");
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
            return new Browser(new ChromeDriver(service, options), profile, artifacts);
        } catch (RuntimeException e) {
            deleteTree(profile);
            throw e;
        }
    }

    public ChromeDriver driver() {
        return driver;
    }

    /**
     * Bounded polling (selenium-support is not available here): every 20 ms until {@code timeout}; an exception
     * from the condition counts as "not yet" and is reported if the time runs out.
     */
    public void waitFor(Duration timeout, String what, Predicate<WebDriver> condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (condition.test(driver)) {
                    return;
                }
            } catch (RuntimeException e) {
                last = e;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(what + ": not met within " + timeout, last);
    }

    /** The state a cell of the module grid shows ({@code data-state}: PRIM, SECOND, …, UNKNOWN). */
    public String cellState(String module, String node) {
        return driver.findElement(By.id("cell-" + module + "-" + node)).getAttribute("data-state");
    }

    /**
     * Signs in through the page's dialog (it opens by itself on a fresh page, or after a 401) and waits until the
     * event stream is live.
     */
    public void signIn(String user, String password, Duration timeout) throws InterruptedException {
        waitFor(timeout, "the sign-in dialog", d -> d.findElement(By.id("login")).isDisplayed());
        driver.findElement(By.id("login-user")).clear();
        driver.findElement(By.id("login-user")).sendKeys(user);
        driver.findElement(By.id("login-password")).sendKeys(password);
        driver.findElement(By.id("login-ok")).click();
        waitFor(timeout, "signed in as " + user + " and live", d -> live()
                && d.findElement(By.id("who")).getText().contains(user));
    }

    /** The page's live indicator says the event stream is connected. */
    public boolean live() {
        return driver.findElement(By.id("live")).getText().equals("live");
    }

    /** Saves the page as {@code <artifacts>/<name>.png}. */
    public Path screenshot(String name) throws IOException {
        File shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Path target = artifacts.resolve(name + ".png");
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
        return target;
    }

    @Override
    public void close() throws IOException {
        try {
            driver.quit();
        } finally {
            deleteTree(profile);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
