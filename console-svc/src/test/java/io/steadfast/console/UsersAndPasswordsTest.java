package io.steadfast.console;

import io.steadfast.console.impl.Authenticator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class UsersAndPasswordsTest {
    @TempDir
    Path dir;

    @Test
    void hashesCarryTheirSaltAndCostAndVerify() {
        String h = PasswordHash.hash("s3cret".toCharArray(), 1000);
        assertThat(h).startsWith("pbkdf2-sha256$1000$").doesNotContain(":");
        assertThat(PasswordHash.verify("s3cret".toCharArray(), h)).isTrue();
        assertThat(PasswordHash.verify("s3cre".toCharArray(), h)).isFalse();
        assertThat(PasswordHash.hash("s3cret".toCharArray(), 1000)).isNotEqualTo(h); // fresh salt
        assertThat(PasswordHash.hash("x".toCharArray())).startsWith("pbkdf2-sha256$600000$");
    }

    @Test
    void badHashesAreRejectedWithAReason() {
        for (String bad : List.of("plain", "md5$1$a$b", "pbkdf2-sha256$x$AAAAAAAAAAA$AAAA", "pbkdf2-sha256$10$AAAAAAAAAAA$AAAA",
                "pbkdf2-sha256$1000$!!$AAAA")) {
            assertThatThrownBy(() -> PasswordHash.validate(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("password hash");
        }
    }

    @Test
    void addWritesAModeSixHundredFileAndRefusesDuplicates() throws Exception {
        Path f = dir.resolve("etc/users");
        UsersFile.add(f, "ada", Role.ADMIN, "pw".toCharArray(), false, 1000);
        UsersFile.add(f, "mo", Role.MONITOR, "pw2".toCharArray(), false, 1000);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f))).isEqualTo("rw-------");
        UsersFile users = UsersFile.read(f);
        assertThat(users.user("ada").orElseThrow().role()).isEqualTo(Role.ADMIN);
        assertThat(users.user("mo").orElseThrow().role()).isEqualTo(Role.MONITOR);
        assertThatThrownBy(() -> UsersFile.add(f, "ada", Role.MONITOR, "x".toCharArray(), false, 1000))
                .hasMessageContaining("exists");
        UsersFile.add(f, "ada", Role.CONTROL, "new".toCharArray(), true, 1000);
        assertThat(UsersFile.read(f).user("ada").orElseThrow().role()).isEqualTo(Role.CONTROL);
        assertThat(Files.readAllLines(f)).hasSize(2);
        assertThatThrownBy(() -> UsersFile.add(f, "bad name", Role.ADMIN, "x".toCharArray(), false, 1000))
                .hasMessageContaining("bad user name");
    }

    @Test
    void parseNamesTheBadLine() {
        String h = PasswordHash.hash("x".toCharArray(), 1000);
        assertThatThrownBy(() -> UsersFile.parse("u", List.of("# comment", "", "ada:root:" + h)))
                .hasMessage("u:3: role \"root\" is not one of admin, control, monitor");
        assertThatThrownBy(() -> UsersFile.parse("u", List.of("ada:admin")))
                .hasMessage("u:1: expected name:role:hash");
        assertThatThrownBy(() -> UsersFile.parse("u", List.of("ada:admin:" + h, "ada:monitor:" + h)))
                .hasMessageContaining("listed twice");
    }

    @Test
    void aUsersFileOthersCanReadRefusesEveryMutatingRequestUntilFixed() throws Exception {
        Path f = dir.resolve("users");
        UsersFile.add(f, "cy", Role.CONTROL, "pw".toCharArray(), false, 1000);
        Authenticator auth = new Authenticator(Optional.of(f), () -> 1000);
        assertThat(auth.authenticate("Bearer cy:pw")).isInstanceOfSatisfying(Authenticator.Ok.class, ok -> assertThat(ok.role()).isEqualTo(Role.CONTROL));
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertThat(auth.authenticate("Bearer cy:pw")).isInstanceOfSatisfying(Authenticator.Refused.class, r -> {
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.message()).contains("cluster.console.users_file " + f + " (mode 0644")
                    .contains("chmod 600 " + f);
        });
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(auth.authenticate("Bearer cy:pw")).isInstanceOfSatisfying(Authenticator.Ok.class, ok -> assertThat(ok.role()).isEqualTo(Role.CONTROL));
    }

    @Test
    void authenticatorChecksBasicAndBearerAndReloadsTheFile() throws Exception {
        Path f = dir.resolve("users");
        AtomicLong now = new AtomicLong(1000);
        Authenticator auth = new Authenticator(Optional.of(f), now::get);
        assertThat(auth.authenticate(null)).isInstanceOfSatisfying(Authenticator.Refused.class,
                r -> assertThat(r.status()).isEqualTo(403)); // no file yet: nobody may mutate
        UsersFile.add(f, "cy", Role.CONTROL, "pw".toCharArray(), false, 1000);
        assertThat(auth.authenticate(null)).isInstanceOfSatisfying(Authenticator.Refused.class,
                r -> assertThat(r.status()).isEqualTo(401));
        assertThat(auth.authenticate("Bearer cy:pw")).isInstanceOfSatisfying(Authenticator.Ok.class, ok -> assertThat(ok.role()).isEqualTo(Role.CONTROL));
        assertThat(auth.authenticate(Http.basic("cy", "pw"))).isInstanceOfSatisfying(Authenticator.Ok.class, ok -> assertThat(ok.role()).isEqualTo(Role.CONTROL));
        assertThat(auth.authenticate(Http.basic("cy", "pw:with:colons"))).isInstanceOf(Authenticator.Refused.class);
        assertThat(auth.authenticate("Digest abc")).isInstanceOf(Authenticator.Refused.class);
        assertThat(auth.authenticate("Bearer nocolon")).isInstanceOf(Authenticator.Refused.class); // not a session
        // password changed in the file: the cached success no longer counts
        UsersFile.add(f, "cy", Role.CONTROL, "new-pw".toCharArray(), true, 1000);
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertThat(auth.authenticate("Bearer cy:pw")).isInstanceOf(Authenticator.Refused.class);
        assertThat(auth.authenticate("Bearer cy:new-pw")).isInstanceOf(Authenticator.Ok.class);
        Files.writeString(f, "garbage\n");
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 9000));
        assertThat(auth.authenticate("Bearer cy:new-pw")).isInstanceOfSatisfying(Authenticator.Refused.class,
                r -> assertThat(r.message()).contains("invalid"));
    }

    @Test
    void withoutAUsersFileEverythingIsRefusedWithHowToAddOne() {
        Authenticator auth = new Authenticator(Optional.empty(), () -> 0);
        assertThat(auth.authenticate(Http.basic("admin", "admin"))).isInstanceOfSatisfying(Authenticator.Refused.class,
                r -> {
                    assertThat(r.status()).isEqualTo(403);
                    assertThat(r.message()).contains("steadfast user add");
                });
    }

    @Test
    void anUnknownUserCostsThePbkdf2OfAKnownOneAndGetsTheSameAnswer() throws Exception {
        Path f = dir.resolve("users");
        UsersFile.add(f, "cy", Role.CONTROL, "pw".toCharArray(), false, 2000);
        UsersFile.add(f, "mo", Role.MONITOR, "pw".toCharArray(), false, 2000);
        Authenticator auth = new Authenticator(Optional.of(f), () -> 1000);
        auth.checkPassword("nobody", "warm-up"); // the dummy hash is made once, on first use
        long before = PasswordHash.roundsSoFar();
        Authenticator.Result known = auth.checkPassword("cy", "wrong");
        long knownRounds = PasswordHash.roundsSoFar() - before;
        before = PasswordHash.roundsSoFar();
        Authenticator.Result unknown = auth.checkPassword("eve", "wrong");
        long unknownRounds = PasswordHash.roundsSoFar() - before;
        assertThat(knownRounds).isEqualTo(2000);
        assertThat(unknownRounds).as("a dummy hash of the users' cost").isEqualTo(knownRounds);
        assertThat(unknown).isEqualTo(known);
    }
}
